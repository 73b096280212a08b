/**
 * Publish throughput over real gRPC: a DtxClient in this process sends batches of 1,000 to a
 * node in its own process on 127.0.0.1, which validates, signs, chains and commits each batch
 * (durability "full", the default: one fsync per commit) before answering. The headline keeps
 * four calls in flight, as `dtx publish --file` does; one call in flight (the per-batch latency)
 * is measured too, not in --quick. Each run gets a fresh node.
 */
import { rmSync } from 'node:fs';
import { DtxClient, type IndicatorInputInit } from '../client/index.js';
import { initCrypto } from '../shared/crypto.js';
import { initDataDir, readAdminToken } from '../server/config/data-dir.js';
import { randomIndicator } from './indicator-mix.js';
import { percentile, type Results } from './metrics.js';
import { LOOPBACK_ANY_PORT, startNodeProcess } from './node-process.js';
import type { BenchOptions } from './options.js';
import { CACHE_DIR } from './paths.js';
import { Budget, fmt, progress, throttled } from './progress.js';
import { Random } from './random.js';
import { removeStaleScratch, scratchDir } from './scratch-dirs.js';

export const PUBLISH_BATCH = 1_000;
export const PIPELINED_IN_FLIGHT = 4;
const WARMUP_BATCHES = 2;

interface RunResult {
  published: number;
  seconds: number;
  latencies: number[];
  rssMb: number;
  truncated: boolean;
}

function makeBatches(random: Random, count: number): IndicatorInputInit[][] {
  return Array.from({ length: count }, () => Array.from({ length: PUBLISH_BATCH }, () => randomIndicator(random)));
}

async function publishRun(label: string, batches: IndicatorInputInit[][], inFlight: number, budgetMs: number): Promise<RunResult> {
  removeStaleScratch(CACHE_DIR, 'publish');
  const dir = scratchDir(CACHE_DIR, 'publish');
  rmSync(dir, { recursive: true, force: true });
  await initDataDir(dir, { name: 'bench-publish', grpc: LOOPBACK_ANY_PORT, http: LOOPBACK_ANY_PORT });
  const total = batches.length * PUBLISH_BATCH;
  progress(`${label}: starting a node, then ${fmt(total)} indicators in batches of ${fmt(PUBLISH_BATCH)}, ${inFlight} in flight`);
  const node = await startNodeProcess(dir, label.replace(/ /g, '-'));
  const client = new DtxClient({ address: node.address, token: readAdminToken(dir), timeoutMs: 60_000 });
  try {
    await client.ready(10_000);
    const warmup = makeBatches(new Random(0x3a7), WARMUP_BATCHES);
    for (const batch of warmup) await client.publish(batch);

    const budget = new Budget(label, budgetMs);
    const latencies: number[] = [];
    let published = 0;
    let next = 0;
    const started = performance.now();
    const report = throttled(3_000, () => progress(`${label}: ${fmt(published)}/${fmt(total)} (${fmt(published / ((performance.now() - started) / 1000))}/s)`));
    // Each lane sends its next batch when its previous one is answered.
    const lane = async () => {
      while (next < batches.length && !budget.expired) {
        const batch = batches[next++]!;
        const t0 = performance.now();
        const items = await client.publish(batch);
        latencies.push(performance.now() - t0);
        if (items.length !== batch.length) throw new Error(`publish answered ${items.length} items for a batch of ${batch.length}`);
        published += items.length;
        report();
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    const seconds = (performance.now() - started) / 1000;
    const rssMb = node.peakRssMb();
    progress(`${label}: ${fmt(published)} in ${seconds.toFixed(1)} s (${fmt(published / seconds)}/s), node peak RSS ${rssMb.toFixed(0)} MiB`);
    return { published, seconds, latencies, rssMb, truncated: budget.exceeded };
  } finally {
    client.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runPublishBench(options: BenchOptions, results: Results): Promise<void> {
  await initCrypto();
  // Generated up front, so the figure is the client call, the wire and the node; not the generator.
  const batchCount = Math.ceil(options.publishCount / PUBLISH_BATCH);
  const batches = makeBatches(new Random(0x9b1e5), batchCount);
  const budgetMs = options.quick ? 25_000 : 240_000;

  const note = (r: RunResult, inFlight: number) =>
    `${fmt(r.published)} in batches of ${fmt(PUBLISH_BATCH)}, ${inFlight} in flight${r.truncated ? ' (stopped by time budget)' : ''}`;
  const many = await publishRun('publish', batches, PIPELINED_IN_FLIGHT, budgetMs);
  results.add({
    name: 'publish-grpc-throughput',
    value: many.published / many.seconds,
    unit: 'indicators/s',
    target: { kind: 'min', value: 15_000 },
    note: note(many, PIPELINED_IN_FLIGHT),
  });
  results.add({ name: 'publish-grpc-batch-p50', value: percentile(many.latencies, 50), unit: 'ms', note: `per call, ${PIPELINED_IN_FLIGHT} in flight` });
  results.add({ name: 'node-peak-rss-mb-publish', value: many.rssMb, unit: 'MiB', note: 'VmHWM of the node process' });

  // One call at a time: the latency of a single batch. Left out of --quick to stay under a minute.
  if (options.quick) return;
  const one = await publishRun('publish one in flight', batches, 1, budgetMs);
  results.add({ name: 'publish-grpc-throughput-1-in-flight', value: one.published / one.seconds, unit: 'indicators/s', note: note(one, 1) });
  results.add({ name: 'publish-grpc-batch-p50-1-in-flight', value: percentile(one.latencies, 50), unit: 'ms', note: 'per Publish call of 1,000' });
  results.add({ name: 'publish-grpc-batch-p99-1-in-flight', value: percentile(one.latencies, 99), unit: 'ms' });
}
