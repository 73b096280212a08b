/**
 * `npm run bench [-- --quick] [-- --only=<group>] [-- --size=N]`: measures publish throughput,
 * lookup latency, startup time, storage and federation sync of DTX nodes, prints a table with the targets and
 * writes bench/results/latest.json. Progress goes to stderr, the table to stdout.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { ensureDataset, type Dataset } from './dataset.js';
import { warmDatabaseFiles } from './file-cache.js';
import { runGrpcLookups, runInProcessLookups } from './lookup-bench.js';
import { Results, renderTable, writeResults } from './metrics.js';
import { parseOptions, type BenchOptions } from './options.js';
import { startProfiling, summariseProfiles } from './profiles.js';
import { CACHE_DIR, CLI_PATH, RESULTS_DIR, RESULTS_FILE } from './paths.js';
import { fmt, progress } from './progress.js';
import { runPublishBench } from './publish-bench.js';
import { runStartupBench } from './startup-bench.js';
import { runStorageBench } from './storage-bench.js';
import { runSyncBench } from './sync-bench.js';

async function runGroups(options: BenchOptions, results: Results): Promise<void> {
  if (options.groups.has('publish')) await runPublishBench(options, results);
  if (!(['lookup', 'startup', 'storage', 'sync'] as const).some((g) => options.groups.has(g))) return;

  const dataset: Dataset = await ensureDataset(options.size);
  results.add({ name: 'dataset-indicators', value: dataset.size, unit: 'count', note: dataset.built ? 'built this run' : `cached, built ${dataset.meta.builtAt}` });
  if (dataset.built) {
    results.add({
      name: 'dataset-build-throughput',
      value: dataset.size / (dataset.meta.buildMs / 1000),
      unit: 'indicators/s',
      note: 'in-process Publisher, batches of 10k, durability normal',
    });
  }
  if (options.groups.has('lookup')) {
    warmDatabaseFiles(dataset.dir, 'lookup');
    await runInProcessLookups(dataset, options, results);
    await runGrpcLookups(dataset, options, results);
  }
  if (options.groups.has('startup')) {
    warmDatabaseFiles(dataset.dir, 'startup');
    await runStartupBench(dataset, results);
  }
  if (options.groups.has('storage')) runStorageBench(dataset, results);
  if (options.groups.has('sync')) await runSyncBench(dataset, options, results);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run npm run build first`);
  const started = performance.now();
  progress(`${options.quick ? 'quick' : 'full'} run: ${[...options.groups].join(', ')}; ${fmt(options.size)} stored for lookups; cache ${CACHE_DIR}`);
  const loadAtStart = loadavg()[0] ?? 0;
  progress(`load average ${loadAtStart.toFixed(2)} on ${cpus().length} cpus${loadAtStart > 0.5 ? ' (other work on this machine will skew the figures)' : ''}`);
  const results = new Results();
  const profiles = options.profile ? startProfiling() : undefined;
  let failure: unknown;
  try {
    await runGroups(options, results);
  } catch (err) {
    failure = err;
  }
  if (profiles !== undefined) summariseProfiles(profiles);
  const seconds = (performance.now() - started) / 1000;
  results.add({ name: 'bench-duration-s', value: seconds, unit: 's', note: options.quick ? 'quick run' : 'full run' });
  process.stdout.write(`\n${renderTable(results)}\n`);
  for (const note of results.notes) process.stdout.write(`note: ${note}\n`);
  writeResults(RESULTS_FILE, RESULTS_DIR, results, {
    mode: options.quick ? 'quick' : 'full',
    groups: [...options.groups],
    size: options.size,
    publishCount: options.publishCount,
    complete: failure === undefined,
    profiled: options.profile,
    tls: options.tls,
    loadAvg1mAtStart: Number(loadAtStart.toFixed(2)),
  });
  process.stdout.write(`results written to ${RESULTS_FILE}\n`);
  if (failure !== undefined) throw failure;
  const failed = results.failed.map((m) => m.name);
  process.stdout.write(failed.length === 0 ? 'all targets met\n' : `targets missed: ${failed.join(', ')}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
