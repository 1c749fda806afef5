import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';

// The real thing, as a developer or a pipeline runs it: the pinned CDK CLI, esbuild bundling, cdk-nag and
// CloudFormation validation, with no AWS credentials or config anywhere in reach.
it(
  'synthesizes with the pinned CDK CLI offline, without credentials, bundling every function',
  { timeout: 240_000 },
  () => {
    const home = mkdtempSync(join(tmpdir(), 'no-aws-home-'));
    const out = mkdtempSync(join(tmpdir(), 'cdk-out-'));
    try {
      const result = spawnSync(
        'npx',
        ['--no-install', 'cdk', 'synth', '--quiet', '--no-notices', '--output', out],
        {
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', HOME: home, CI: 'true' },
        },
      );
      assert.equal(result.status, 0, `cdk synth failed:\n${result.stdout}\n${result.stderr}`);
      const template = JSON.parse(readFileSync(join(out, 'ChatbooksCloud.template.json'), 'utf8')) as {
        Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
      };
      const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
      assert.ok(functions.length >= 12);
      for (const fn of functions) {
        const asset = String(fn.Metadata?.['aws:asset:path']);
        assert.ok(existsSync(join(out, asset, 'index.js')), `bundle for ${asset}`);
      }
      assert.ok(
        !readdirSync(out).includes('validation-report.json') ||
          !/"status":\s*"failure"/.test(readFileSync(join(out, 'validation-report.json'), 'utf8')),
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  },
);
