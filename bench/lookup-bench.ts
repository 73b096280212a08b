/**
 * Exact lookups of (kind, value) pairs at N stored indicators: in this process straight on
 * IndicatorQuery (read-only database connection to the cached dataset), then over gRPC against
 * a node process started on it, one pair per call and one call of 10,000 pairs.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { DtxClient } from '../client/index.js';
import { initCrypto } from '../shared/crypto.js';
import { dataPath, readAdminToken } from '../server/config/data-dir.js';
import { openDatabase } from '../server/db/database.js';
import { IndicatorStore } from '../server/db/indicator-store.js';
import { SightingStore } from '../server/db/sighting-store.js';
import { LogStore } from '../server/db/log-store.js';
import { IndicatorQuery } from '../server/indicators/query.js';
import type { Dataset } from './dataset.js';
import { measureGrpcFloor } from './grpc-floor.js';
import type { LookupClientJob, LookupClientResult } from './lookup-client.js';
import { randomPair, type LookupPair } from './indicator-mix.js';
import { median, percentile, type Results } from './metrics.js';
import { startNodeProcess } from './node-process.js';
import type { BenchOptions } from './options.js';
import { Budget, fmt, progress } from './progress.js';
import { PROJECT_ROOT } from './paths.js';
import { Random } from './random.js';

const CLIENT = resolve(PROJECT_ROOT, 'dist', 'bench', 'lookup-client.js');

const INPROC_SAMPLES = 20_000;
const BATCH_SIZE = 10_000;
/** Fewer in --quick, so that it stays well under a minute. */
const grpcSamples = (options: BenchOptions) => (options.quick ? 3_000 : 10_000);
const batchRuns = (options: BenchOptions) => (options.quick ? 3 : 7);
const OPTIONS = { includeRetracted: false, includeExpired: false };

/** `count` pairs drawn from the dataset's samples (each once while they last). */
function draw(samples: readonly LookupPair[], count: number, random: Random): LookupPair[] {
  const out: LookupPair[] = [];
  while (out.length < count) out.push(...random.shuffle([...samples]).slice(0, count - out.length));
  return out;
}

/** The 10,000 pairs of the batch lookups, the same in process and over gRPC: half stored, half not. */
function batchQueries(dataset: Dataset): LookupPair[] {
  const random = new Random(0xba7c4);
  const hits = draw(dataset.samples, BATCH_SIZE / 2, random);
  const misses = Array.from({ length: BATCH_SIZE / 2 }, () => randomPair(random));
  return random.shuffle([...hits, ...misses]);
}

export async function runInProcessLookups(dataset: Dataset, options: BenchOptions, results: Results): Promise<void> {
  await initCrypto();
  const db = openDatabase(dataPath(dataset.dir, 'database'), { readonly: true });
  try {
    const query = new IndicatorQuery(new IndicatorStore(db), new LogStore(db), new SightingStore(db));
    const random = new Random(0x10c4);
    for (const pair of draw(dataset.samples, 2_000, random)) query.lookup([pair], OPTIONS);
    progress(`lookup: ${fmt(INPROC_SAMPLES)} single lookups in process at ${fmt(dataset.size)} stored`);
    const budget = new Budget('lookup in process', options.quick ? 20_000 : 60_000);
    const latencies: number[] = [];
    let missing = 0;
    for (const pair of draw(dataset.samples, INPROC_SAMPLES, random)) {
      if (budget.expired) break;
      const t0 = performance.now();
      const found = query.lookup([pair], OPTIONS);
      latencies.push(performance.now() - t0);
      if (found.length === 0) missing++;
    }
    if (missing > 0) throw new Error(`${missing} stored sample pairs were not found in process`);
    const note = `${fmt(latencies.length)} lookups, 1 pair each`;
    results.add({ name: 'lookup-inproc-p50', value: percentile(latencies, 50), unit: 'ms', note });
    results.add({ name: 'lookup-inproc-p99', value: percentile(latencies, 99), unit: 'ms', target: { kind: 'max', value: 1 } });

    // The batch of the gRPC measurement, without the transport, on one thread and without the
    // node's key filter: its whole cost, which the node splits over its reader threads.
    const queries = batchQueries(dataset);
    const times: number[] = [];
    for (let run = 0; run <= batchRuns(options); run++) {
      const t0 = performance.now();
      query.lookupMatches(queries, OPTIONS);
      if (run > 0) times.push(performance.now() - t0);
    }
    results.add({ name: 'lookup-batch-10k-inproc-ms', value: median(times), unit: 'ms', note: `IndicatorQuery.lookupMatches of the same batch on one thread, no key filter, median of ${times.length}` });
  } finally {
    db.close();
  }
}

export async function runGrpcLookups(dataset: Dataset, options: BenchOptions, results: Results): Promise<void> {
  progress(`lookup: starting a node on the dataset (${fmt(dataset.size)} stored)`);
  const node = await startNodeProcess(dataset.dir, 'lookup');
  const client = new DtxClient({ address: node.address, token: readAdminToken(dataset.dir), timeoutMs: 30_000 });
  try {
    await client.ready(10_000);
    const random = new Random(0x6e9c);
    // Steady state, not start-up: V8 keeps optimising the call path (grpc-js, http2, ours) for
    // thousands of calls; a bare grpc-js echo here goes from 0.65 to 0.19 ms p50 over its first 6,000.
    const warmup = options.quick ? 3_000 : 8_000;
    progress(`lookup: warming up with ${fmt(warmup)} single lookups`);
    const warm = new Budget('warm-up', 20_000);
    for (const pair of draw(dataset.samples, warmup, random)) {
      if (warm.expired) break;
      await client.lookup([pair]);
    }

    await unaryFloor(client, options, results);
    await measureGrpcFloor(warmup, options.quick ? 1_000 : 3_000, results);
    const pairs = draw(dataset.samples, grpcSamples(options), random);
    progress(`lookup: ${fmt(pairs.length)} single lookups over gRPC, one at a time (the client's lookup stream)`);
    const latencies = await timeSingles(client, pairs, options);
    results.add({ name: 'lookup-grpc-p50', value: percentile(latencies, 50), unit: 'ms', note: `${fmt(latencies.length)} calls of DtxClient.lookup, 1 pair each, over its lookup stream` });
    results.add({ name: 'lookup-grpc-p99', value: percentile(latencies, 99), unit: 'ms', target: { kind: 'max', value: 3 } });

    // The same lookups as one unary LookupIndicators call each (a client with the stream off):
    // what a client without stream support gets.
    const unary = new DtxClient({ address: node.address, token: readAdminToken(dataset.dir), timeoutMs: 30_000, lookupStream: false });
    try {
      progress(`lookup: warming up unary calls with ${fmt(warmup)} single lookups`);
      const warmUnary = new Budget('unary warm-up', 20_000);
      for (const pair of draw(dataset.samples, warmup, random)) {
        if (warmUnary.expired) break;
        await unary.lookup([pair]);
      }
      progress(`lookup: ${fmt(pairs.length)} single lookups as unary calls, one at a time`);
      const unaryLatencies = await timeSingles(unary, pairs, options);
      results.add({ name: 'lookup-grpc-unary-p50', value: percentile(unaryLatencies, 50), unit: 'ms', note: `${fmt(unaryLatencies.length)} LookupIndicators calls, 1 pair each (lookupStream: false)` });
      results.add({ name: 'lookup-grpc-unary-p99', value: percentile(unaryLatencies, 99), unit: 'ms' });
    } finally {
      unary.close();
    }

    await ownClientLookups(node.address, readAdminToken(dataset.dir), draw(dataset.samples, 2_000, random), options, results);
    await batchLookups(client, dataset, batchRuns(options), results);
    const rss = node.peakRssMb();
    results.add({ name: 'node-peak-rss-mb-lookup', value: rss, unit: 'MiB', note: `VmHWM of the node process, ${fmt(dataset.size)} stored` });
  } finally {
    client.close();
    await node.stop();
  }
}

/** Times `client.lookup` of each pair, one at a time; every pair is stored, so each must be found. */
async function timeSingles(client: DtxClient, pairs: LookupPair[], options: BenchOptions): Promise<number[]> {
  const budget = new Budget('lookup over gRPC', options.quick ? 20_000 : 60_000);
  const latencies: number[] = [];
  for (const pair of pairs) {
    if (budget.expired) break;
    const t0 = performance.now();
    const found = await client.lookup([pair]);
    latencies.push(performance.now() - t0);
    if (found.length !== 1) throw new Error(`a stored pair was not found over gRPC: ${pair.kind} ${pair.value}`);
  }
  return latencies;
}

/**
 * The same single calls from a client process of its own (lookup-client.ts), reported beside the
 * target, not instead of it: how much of the tail is the bench's own process.
 */
async function ownClientLookups(address: string, token: string, pairs: LookupPair[], options: BenchOptions, results: Results): Promise<void> {
  const count = options.quick ? 1_000 : 3_000;
  progress(`lookup: ${fmt(count)} GetNodeInfo calls and ${fmt(count)} single lookups from a client process of its own`);
  const job: LookupClientJob = { address, token, warmup: options.quick ? 2_000 : 5_000, count, pairs, budgetMs: 40_000 };
  const child = spawn(process.execPath, [CLIENT], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify(job));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the lookup client process exited with ${code}`);
  const { nodeInfo, lookup } = JSON.parse(output) as LookupClientResult;
  const note = 'from a client process of its own (not the bench\'s), one call at a time';
  results.add({ name: 'rpc-nodeinfo-p99-own-client', value: percentile(nodeInfo, 99), unit: 'ms', note: `GetNodeInfo, ${fmt(nodeInfo.length)} calls ${note}` });
  results.add({ name: 'lookup-grpc-p99-own-client', value: percentile(lookup, 99), unit: 'ms', note: `${fmt(lookup.length)} lookups over the lookup stream ${note}; p50 ${percentile(lookup, 50).toFixed(2)} ms` });
}

/** The cost of any unary call on this machine: GetNodeInfo (no token, two tiny messages). */
async function unaryFloor(client: DtxClient, options: BenchOptions, results: Results): Promise<void> {
  const count = options.quick ? 1_000 : 3_000;
  progress(`lookup: ${fmt(count)} GetNodeInfo calls, one at a time (the gRPC floor)`);
  const budget = new Budget('GetNodeInfo over gRPC', 20_000);
  // Warmed up on its own: the lookups before it warm the stream path, not unary calls.
  for (let i = 0; i < count && !budget.expired; i++) await client.nodeInfo();
  const latencies: number[] = [];
  for (let i = 0; i < count && !budget.expired; i++) {
    const t0 = performance.now();
    await client.nodeInfo();
    latencies.push(performance.now() - t0);
  }
  results.add({ name: 'rpc-nodeinfo-p50', value: percentile(latencies, 50), unit: 'ms', note: `GetNodeInfo, ${fmt(latencies.length)} calls: the unary-call floor` });
  results.add({ name: 'rpc-nodeinfo-p99', value: percentile(latencies, 99), unit: 'ms' });
}

/**
 * Batches answered before the timed ones: as for single calls, steady state, not start-up. The
 * node starts its reader threads at the first large batch; their code is optimised and their
 * page caches filled over the next few.
 */
const BATCH_WARMUP = 3;

async function timeBatch(runs: number, call: () => Promise<number>): Promise<{ times: number[]; matched: number }> {
  for (let i = 0; i < BATCH_WARMUP; i++) await call();
  const times: number[] = [];
  let matched = 0;
  for (let run = 0; run < runs; run++) {
    const t0 = performance.now();
    matched = await call();
    times.push(performance.now() - t0);
  }
  return { times, matched };
}

/**
 * The same 10,000 pairs in both views: compact matches (what a gateway asks for; the target)
 * and whole indicators (what an analyst asks for; reported beside it).
 */
async function batchLookups(client: DtxClient, dataset: Dataset, runs: number, results: Results): Promise<void> {
  const queries = batchQueries(dataset);
  const stored = BATCH_SIZE / 2;
  progress(`lookup: ${runs} calls of ${fmt(BATCH_SIZE)} pairs (half stored, half not), matches view then full view`);
  const compact = await timeBatch(runs, async () => new Set((await client.lookupMatches(queries)).map((m) => m.queryIndex)).size);
  const full = await timeBatch(runs, async () => (await client.lookup(queries)).length);
  for (const r of [compact, full]) {
    if (r.matched < stored) throw new Error(`the batch lookup matched ${r.matched} of ${stored} stored pairs`);
  }
  progress(`lookup: batch times ${compact.times.map((t) => t.toFixed(0)).join(', ')} ms (matches), ${full.times.map((t) => t.toFixed(0)).join(', ')} ms (full)`);
  results.add({
    name: 'lookup-batch-10k-ms',
    value: median(compact.times),
    unit: 'ms',
    target: { kind: 'max', value: 100 },
    note: `LOOKUP_VIEW_MATCHES, median of ${runs}; ${fmt(compact.matched)} of ${fmt(BATCH_SIZE)} matched`,
  });
  results.add({
    name: 'lookup-batch-10k-full-ms',
    value: median(full.times),
    unit: 'ms',
    note: `LOOKUP_VIEW_FULL (whole indicators), median of ${runs}`,
  });
}
