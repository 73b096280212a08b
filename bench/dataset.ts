/**
 * A data directory holding N indicators, for the lookup, startup and storage groups. Built
 * once with the in-process Publisher (validated, signed and chained exactly as over gRPC, but
 * without the transport) and kept under bench/.cache/dataset-s<schema>-g<generator>-n<N>/:
 *   node/          the data directory
 *   samples.json   up to 20,000 (kind, value) pairs that it holds, chosen uniformly
 *   meta.json      how and when it was built
 * It is rebuilt when missing, when the database schema version changed, or when its
 * indicators are about to expire.
 */
import { create } from '@bufbuild/protobuf';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { initCrypto } from '../shared/crypto.js';
import { IndicatorInputSchema } from '../shared/gen/dtx/v1/indicator_pb.js';
import { silentLogger } from '../shared/logger.js';
import { initDataDir } from '../server/config/data-dir.js';
import { closeNodeContext, openNodeContext } from '../server/context.js';
import { SCHEMA_VERSION } from '../server/db/migrations.js';
import { randomIndicator, type LookupPair } from './indicator-mix.js';
import { LOOPBACK_ANY_PORT } from './node-process.js';
import { CACHE_DIR } from './paths.js';
import { Budget, fmt, progress, throttled } from './progress.js';
import { Random } from './random.js';
import { datasetHealth } from './dataset-check.js';
import { removeStaleScratch, scratchDir } from './scratch-dirs.js';

/**
 * Bump when the generated data changes, so old caches are rebuilt. 2: databases of 8 KiB pages
 * (server/db/database.ts), which the lookup figures depend on.
 */
export const GENERATOR_VERSION = 2;
export const SAMPLE_COUNT = 20_000;
const BUILD_BATCH = 10_000;
const VALIDITY_MS = 365 * 86_400_000;
const BUILD_BUDGET_MS = 30 * 60_000;

export interface DatasetMeta {
  schema: number;
  generator: number;
  size: number;
  builtAt: string;
  validUntilMs: number;
  buildMs: number;
}

export interface Dataset {
  /** The node's data directory. */
  dir: string;
  size: number;
  samples: LookupPair[];
  meta: DatasetMeta;
  /** True when this run built it (meta.buildMs is then this run's figure). */
  built: boolean;
}

export function datasetRoot(size: number): string {
  return join(CACHE_DIR, `dataset-s${SCHEMA_VERSION}-g${GENERATOR_VERSION}-n${size}`);
}

export async function ensureDataset(size: number): Promise<Dataset> {
  const root = datasetRoot(size);
  const problem = datasetHealth(root, size);
  if (problem === undefined) {
    const meta = JSON.parse(readFileSync(join(root, 'meta.json'), 'utf8')) as DatasetMeta;
    const samples = JSON.parse(readFileSync(join(root, 'samples.json'), 'utf8')) as LookupPair[];
    progress(`dataset: reusing ${root} (${fmt(size)} indicators, built ${meta.builtAt})`);
    return { dir: join(root, 'node'), size, samples, meta, built: false };
  }
  progress(`dataset: building ${fmt(size)} indicators (${problem})`);
  rmSync(root, { recursive: true, force: true });
  const building = `${basename(root)}.building`;
  removeStaleScratch(CACHE_DIR, building);
  const staging = scratchDir(CACHE_DIR, building);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const { meta, samples } = await build(join(staging, 'node'), size);
    writeFileSync(join(staging, 'samples.json'), JSON.stringify(samples));
    writeFileSync(join(staging, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    renameSync(staging, root);
    return { dir: join(root, 'node'), size, samples, meta, built: true };
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

async function build(dir: string, size: number): Promise<{ meta: DatasetMeta; samples: LookupPair[] }> {
  await initCrypto();
  await initDataDir(dir, { name: 'bench-dataset', grpc: LOOPBACK_ANY_PORT, http: LOOPBACK_ANY_PORT });
  // Bulk load: commits without fsync and a big page cache; the node later serves with its defaults.
  const context = await openNodeContext(dir, {
    logger: silentLogger(),
    overrides: { durability: 'normal', maxBatch: BUILD_BATCH, cacheMiB: 1024 },
  });
  const random = new Random(0x0d7a5e7 ^ size);
  const pick = new Random(0x5a3b1e ^ size);
  const validUntilMs = Date.now() + VALIDITY_MS;
  const samples: LookupPair[] = [];
  const budget = new Budget('dataset build', BUILD_BUDGET_MS);
  const started = performance.now();
  let done = 0;
  const report = throttled(5_000, () => progress(`dataset: ${fmt(done)}/${fmt(size)} (${fmt(done / ((performance.now() - started) / 1000))}/s)`));
  // Two batches in flight: the next one is generated and validated while the worker signs this one.
  let previous: Promise<unknown> = Promise.resolve();
  try {
    while (done < size) {
      if (budget.expired) throw new Error(`building the dataset took over ${BUILD_BUDGET_MS / 60_000} minutes; try a smaller --size`);
      const count = Math.min(BUILD_BATCH, size - done);
      const batch = Array.from({ length: count }, () => create(IndicatorInputSchema, randomIndicator(random, { validUntilMs })));
      const current = context.publisher.publish(batch);
      current.catch(() => undefined);
      await previous;
      previous = current;
      // Reservoir sampling: every stored pair is equally likely to be a sample.
      batch.forEach((input, i) => {
        const seen = done + i;
        const slot = seen < SAMPLE_COUNT ? seen : Math.floor(pick.next() * (seen + 1));
        if (slot < SAMPLE_COUNT) samples[slot] = { kind: input.kind, value: input.value };
      });
      done += count;
      report();
    }
    await previous;
  } finally {
    await closeNodeContext(context);
  }
  const buildMs = performance.now() - started;
  progress(`dataset: built ${fmt(size)} in ${(buildMs / 1000).toFixed(1)} s (${fmt(size / (buildMs / 1000))}/s)`);
  const meta: DatasetMeta = { schema: SCHEMA_VERSION, generator: GENERATOR_VERSION, size, builtAt: new Date().toISOString(), validUntilMs, buildMs };
  return { meta, samples };
}
