/**
 * Writer bench: our writeChatbook against Info-ZIP `zip -r` (-6 for text and many, -0 for media) on the
 * same bytes, plus archiver 8 fed buffers on the text set for reference. Ours runs twice: as the format
 * core (the target applies) and with the archive's SHA-256 as the export job adds it. Each case runs in a child
 * process, at least twice; the better time is kept, the peak RSS is the child's max RSS. Our archives are
 * checked with `unzip -tq`.
 *
 *   node --openssl-legacy-provider --import tsx test/bench/writer.bench.ts [text many media]
 *   (BENCH_WORKDIR to reuse materialized data, BENCH_RUNS to change the run count, BENCH_ARCHIVER=0 to skip)
 *
 * Our writer's input: the materialized files, read one by one (synchronously, in order) into buffers, as zip
 * reads them; the manifest (content_items for every item) is built before the clock starts.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ZipArchive } from 'archiver';
import { writeChatbook } from '../../shared/chatbook/writer';
import type { ChatbookEntry } from '../../shared/chatbook/writer';
import { childCommand } from './child';
import { DATASET_NAMES, datasetFiles, datasetManifestFromPaths, materialize } from './datasets';
import type { DatasetName } from './datasets';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 2));
const RSS_LIMIT_MB = 256;
const TARGET_RATIO: Readonly<Record<DatasetName, number>> = { text: 1.5, many: 1.0, media: 0.8 };
const ZIP_LEVEL: Readonly<Record<DatasetName, string>> = { text: '-6', many: '-6', media: '-0' };
const self = fileURLToPath(import.meta.url);
const hasTime = existsSync('/usr/bin/time');

interface Measure {
  seconds: number;
  peakRssMb: number;
  archiveBytes: number;
}

/**
 * `ours`: the format core as specified (CRC-32 and the inventory's per-file SHA-256); `ours-hashed` adds the
 * whole archive's SHA-256, as the export job runs it (a second SHA-256 pass over every byte).
 */
type Engine = 'ours' | 'ours-hashed' | 'archiver';

/** Child mode: write one archive, print {seconds, rssKb, archiveBytes} as the last line. */
async function child(engine: Engine, name: DatasetName, dataDir: string, outPath: string): Promise<void> {
  const paths = JSON.parse(await readFile(`${dataDir}.paths.json`, 'utf8')) as string[];
  // From the listing, as production builds it from rows: regenerating every body here only to learn the
  // paths grew the heap by tens of MB before the clock started.
  const manifest = datasetManifestFromPaths(name, '1.1.0', paths);
  /**
   * Reads the files as zip does: one at a time, in order, synchronously (open, read, close). An async
   * readFile costs ~60 us of promise and thread-pool round trips per file (6.4 s for the 100,000 files of
   * `many`, more than zip's whole run), which would measure Node's fs/promises rather than the writer.
   */
  async function* entries(): AsyncGenerator<ChatbookEntry> {
    for (const path of paths) yield await Promise.resolve({ path, body: readFileSync(join(dataDir, path)) });
  }
  const started = performance.now();
  let archiveBytes: number;
  if (engine !== 'archiver') {
    const { stream, result } = writeChatbook({
      manifest,
      version: '1.1.0',
      entries: entries(),
      hashArchive: engine === 'ours-hashed',
    });
    await pipeline(stream, createWriteStream(outPath));
    archiveBytes = (await result).archiveBytes;
  } else {
    const archive = new ZipArchive({ zlib: { level: 6 } });
    const done = pipeline(archive, createWriteStream(outPath, { highWaterMark: 1024 * 1024 }));
    for await (const entry of entries()) archive.append(entry.body as Buffer, { name: entry.path });
    await archive.finalize();
    await done;
    archiveBytes = (await stat(outPath)).size;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ seconds, rssKb: process.resourceUsage().maxRSS, archiveBytes }));
}

function runChild(engine: Engine, name: DatasetName, dataDir: string, outPath: string): Measure {
  const child = childCommand(self, ['--child', engine, name, dataDir, outPath]);
  const run = spawnSync(child.command, child.args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${engine} ${name} failed: ${run.stderr}`);
  const last = run.stdout.trim().split('\n').pop() ?? '{}';
  const parsed = JSON.parse(last) as { seconds: number; rssKb: number; archiveBytes: number };
  return { seconds: parsed.seconds, peakRssMb: parsed.rssKb / 1024, archiveBytes: parsed.archiveBytes };
}

function runZip(name: DatasetName, dataDir: string, outPath: string): Measure {
  const args = ['-q', '-r', '-X', ZIP_LEVEL[name], outPath, '.'];
  const started = performance.now();
  const run = hasTime
    ? spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', 'zip', ...args], { cwd: dataDir, encoding: 'utf8' })
    : spawnSync('zip', args, { cwd: dataDir, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`zip ${name} failed: ${run.stderr}`);
  const rss = /maxrss=(\d+)/.exec(run.stderr);
  return { seconds, peakRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN, archiveBytes: 0 };
}

async function best(measure: () => Promise<Measure> | Measure, outPath: string): Promise<Measure> {
  let bestRun: Measure | undefined;
  let peak = 0;
  for (let i = 0; i < RUNS; i++) {
    await rm(outPath, { force: true });
    const run = await measure();
    peak = Math.max(peak, run.peakRssMb);
    if (!bestRun || run.seconds < bestRun.seconds) bestRun = run;
  }
  return { ...bestRun!, peakRssMb: peak };
}

function unzipAccepts(path: string): string {
  if (!existsSync('/usr/bin/unzip')) return 'n/a';
  return spawnSync('unzip', ['-tq', path], { encoding: 'utf8' }).status === 0 ? 'ok' : 'FAIL';
}

interface Row {
  set: DatasetName;
  engine: string;
  measure: Measure;
  inputMb: number;
  zipSeconds: number;
  target: number | undefined;
  unzip: string;
}

function printTable(rows: Row[]): void {
  const header = [
    'set',
    'engine',
    'seconds',
    'MB/s',
    'vs zip',
    'target',
    'peak RSS MB',
    'archive MB',
    'unzip -t',
    'result',
  ];
  const lines = rows.map((row) => {
    const ratio = row.zipSeconds / row.measure.seconds;
    const isZip = row.engine.startsWith('zip');
    const speedOk = row.target === undefined || ratio >= row.target;
    const rssOk = !(row.measure.peakRssMb > RSS_LIMIT_MB);
    const verdict =
      isZip || row.target === undefined ? '' : speedOk && rssOk && row.unzip !== 'FAIL' ? 'PASS' : 'MISS';
    return [
      row.set,
      row.engine,
      row.measure.seconds.toFixed(2),
      (row.inputMb / row.measure.seconds).toFixed(1),
      isZip ? '1.00' : ratio.toFixed(2),
      row.target === undefined ? '' : `>=${row.target}x, <=${RSS_LIMIT_MB}MB`,
      Number.isNaN(row.measure.peakRssMb) ? '?' : row.measure.peakRssMb.toFixed(0),
      row.measure.archiveBytes ? (row.measure.archiveBytes / 1e6).toFixed(1) : '',
      row.unzip,
      verdict,
    ];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

async function main(): Promise<void> {
  const requested = process.argv
    .slice(2)
    .filter((arg): arg is DatasetName => (DATASET_NAMES as string[]).includes(arg));
  const sets = requested.length > 0 ? requested : [...DATASET_NAMES];
  const ownWorkdir = process.env.BENCH_WORKDIR === undefined;
  const workdir = process.env.BENCH_WORKDIR ?? (await mkdtemp(join(tmpdir(), 'chatbook-writer-bench-')));
  const rows: Row[] = [];
  try {
    for (const name of sets) {
      const dataDir = join(workdir, name);
      const summary = await materialize(name, dataDir);
      await writeListing(name, dataDir);
      const inputMb = summary.totalBytes / 1e6;
      const zipOut = join(workdir, `${name}.writer-bench.zip-cli.zip`);
      const oursOut = join(workdir, `${name}.writer-bench.ours.zip`);
      console.log(
        `[writer] ${name}: ${summary.fileCount} files, ${inputMb.toFixed(1)} MB; ${RUNS} runs per case`,
      );
      const zip = await best(() => runZip(name, dataDir, zipOut), zipOut);
      zip.archiveBytes = (await stat(zipOut)).size;
      await rm(zipOut, { force: true });
      const ours = await best(() => runChild('ours', name, dataDir, oursOut), oursOut);
      const unzip = unzipAccepts(oursOut);
      await rm(oursOut, { force: true });
      const hashed = await best(() => runChild('ours-hashed', name, dataDir, oursOut), oursOut);
      const hashedUnzip = unzipAccepts(oursOut);
      await rm(oursOut, { force: true });
      const row = (engine: string, measure: Measure, target: number | undefined, check: string): Row => ({
        set: name,
        engine,
        measure,
        inputMb,
        zipSeconds: zip.seconds,
        target,
        unzip: check,
      });
      rows.push(row(`zip ${ZIP_LEVEL[name]}`, zip, undefined, ''));
      rows.push(row('ours', ours, TARGET_RATIO[name], unzip));
      rows.push(row('ours + archive SHA-256', hashed, undefined, hashedUnzip));
      if (name === 'text' && process.env.BENCH_ARCHIVER !== '0') {
        const archiverOut = join(workdir, `${name}.writer-bench.archiver.zip`);
        const archiver = await best(() => runChild('archiver', name, dataDir, archiverOut), archiverOut);
        rows.push(row('archiver (buffers)', archiver, undefined, unzipAccepts(archiverOut)));
        await rm(archiverOut, { force: true });
      }
    }
  } finally {
    if (ownWorkdir) await rm(workdir, { recursive: true, force: true });
  }
  console.log(
    `\n[writer] best of ${RUNS} runs each; MB/s = uncompressed input / wall seconds; vs zip = throughput ratio`,
  );
  printTable(rows);
}

/** The dataset's archive paths in order, so the child reads the files without regenerating them. */
async function writeListing(name: DatasetName, dataDir: string): Promise<void> {
  const listingPath = `${dataDir}.paths.json`;
  if (existsSync(listingPath)) return;
  const paths: string[] = [];
  for (const file of datasetFiles(name)) paths.push(file.path);
  await writeFile(listingPath, JSON.stringify(paths));
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as Engine, process.argv[4] as DatasetName, process.argv[5]!, process.argv[6]!);
} else {
  await main();
}
