// Settings the stack takes as context: tier quotas and the key of the user-id hashes in logs reach every
// function that needs them, and a bad value fails the synth instead of the first request.
import { Template } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApp } from '../../infra/create-app';

process.env.CDK_VALIDATION = 'false';

function variablesOf(context: Record<string, unknown>): Record<string, unknown>[] {
  const { stack } = createApp({ nag: false, context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map(
    (resource) =>
      (resource as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties
        .Environment?.Variables ?? {},
  );
}

describe('stack settings', () => {
  it('gives every function the tier quotas and the log hash key, when set', () => {
    const quotas = '{"free":{"concurrentJobs":3}}';
    const key = 'k'.repeat(40);
    const functions = variablesOf({ tierQuotas: quotas, logHashKey: key });
    assert.ok(functions.filter((variables) => variables.JOBS_TABLE !== undefined).length >= 15);
    for (const variables of functions) {
      assert.equal(variables.TIER_QUOTAS, quotas);
      assert.equal(variables.LOG_HASH_KEY, key);
    }
    for (const variables of variablesOf({})) {
      assert.equal(variables.TIER_QUOTAS, undefined);
      assert.equal(variables.LOG_HASH_KEY, undefined);
    }
  });

  it('refuses tier quotas it cannot trust and a short log hash key', () => {
    assert.throws(
      () => variablesOf({ tierQuotas: '{"free":{"concurrentJobs":0}}' }),
      /Tier quotas are invalid/,
    );
    assert.throws(() => variablesOf({ tierQuotas: 'free=3' }), /must be JSON/);
    assert.throws(() => variablesOf({ logHashKey: 'short' }), /at least 32 characters/);
  });
});
