// `npm run web:build [-- --outputs cdk-outputs.json] [--outdir web/dist]`: the web page as static files for a
// deployment. With the outputs file of `cdk deploy --outputs-file`, it also writes config.json from the stack's
// WebConfig output.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseWebConfig } from './src/config';
import { buildSite, configFile } from './site';

const { values } = parseArgs({
  options: {
    outdir: { type: 'string', default: 'web/dist' },
    outputs: { type: 'string' },
    stack: { type: 'string', default: 'ChatbooksCloud' },
  },
});
const outdir = resolve(values.outdir);

const files = await buildSite();
if (values.outputs) {
  const outputs = JSON.parse(readFileSync(values.outputs, 'utf8')) as Record<string, Record<string, string>>;
  const raw = outputs[values.stack]?.WebConfig;
  if (!raw) throw new Error(`${values.outputs} has no WebConfig output for stack ${values.stack}.`);
  files.set('/config.json', configFile(parseWebConfig(JSON.parse(raw))));
}

// Only the folder of hashed assets is cleared (old names would pile up); nothing else under --outdir.
rmSync(join(outdir, 'app'), { recursive: true, force: true });
for (const [path, file] of files) {
  const target = join(outdir, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.body);
}
console.log(
  `Built ${files.size} files into ${outdir}${values.outputs ? ' (with config.json)' : ' (add config.json before deploying)'}`,
);
