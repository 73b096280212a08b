/**
 * Everything one running node holds, built from its data directory: key, config, database,
 * stores, the sequencer of its own log, and the services on top. Handlers receive this.
 */
import { resolve } from 'node:path';
import { readEnv } from '../shared/env.js';
import { nodeIdFromPublicKey } from '../shared/node-id.js';
import type { SigningKey } from '../shared/crypto.js';
import type { Logger } from '../shared/logger.js';
import { checkConfig, resolveConfig, type NodeConfig } from './config/config.js';
import { dataPath, loadConfigFile, loadNodeKey } from './config/data-dir.js';
import { Checkpointer } from './db/checkpointer.js';
import { openDatabase, type Db } from './db/database.js';
import { IndicatorStore } from './db/indicator-store.js';
import { LogStore } from './db/log-store.js';
import { LookupMerger } from './db/lookup-merger.js';
import { SightingStore } from './db/sighting-store.js';
import { WalSync } from './db/wal-sync.js';
import { Publisher } from './indicators/publisher.js';
import { IndicatorQuery } from './indicators/query.js';
import { LookupReaders, MIN_POOLED_QUERIES } from './indicators/lookup-readers.js';
import { LookupKeyFilter } from './db/lookup-key-filter.js';
import { SightingReporter } from './indicators/sightings.js';
import { AppendHub } from './log/append-hub.js';
import { Sequencer } from './log/sequencer.js';
import type { Signer } from './log/signer.js';
import { Federation } from './sync/federation.js';
import { PeerRoots } from './sync/peer-roots.js';
import { loadNodeTls, type NodeTls } from './config/tls-files.js';
import { CallCounts } from './rpc/call-counts.js';

export interface NodeContext {
  dir: string;
  /** The gRPC port's certificate and key, and the roots for https:// peers (tls-files.ts). */
  tls: NodeTls;
  /** gRPC calls answered, by method and outcome (GET /metrics). */
  calls: CallCounts;
  nodeId: string;
  key: SigningKey;
  config: NodeConfig;
  logger: Logger;
  db: Db;
  /** Copies the write-ahead log into the database file off the main thread, once started. */
  checkpointer: Checkpointer;
  /** Flushes the write-ahead log for the node's own appends, off the main thread (durability "full"). */
  walSync: WalSync | undefined;
  /** Merges the lookup index's recent keys into its big table as they accumulate. */
  lookupMerger: LookupMerger;
  logStore: LogStore;
  indicatorStore: IndicatorStore;
  sequencer: Sequencer;
  publisher: Publisher;
  sightings: SightingReporter;
  query: IndicatorQuery;
  /** Batch lookups, large ones on reader threads. */
  lookups: LookupReaders;
  /** The Bloom filter of lookup keys; built once the node serves. */
  keyFilter: LookupKeyFilter;
  /** Wakes whatever follows the logs when any origin's log grows. */
  hub: AppendHub;
  federation: Federation;
  clock: () => number;
}

export interface OpenContextOptions {
  /** Settings from command-line flags; they override DTX_* variables and config.json. */
  overrides?: Partial<NodeConfig>;
  logger: Logger;
  clock?: () => number;
  /** A signer already started for this node's key; the context owns it from here on. */
  signer?: Signer;
}

export function resolveNodeConfig(dir: string, overrides: Partial<NodeConfig> = {}): NodeConfig {
  const env = readEnv();
  // TLS paths from the environment are the shell's (relative to the working directory), as
  // from flags; only config.json's are relative to the data directory (tls-files.ts).
  const path = (file?: string) => file && resolve(file);
  const fromEnv = checkConfig({ name: env.name, grpc: env.grpc, http: env.http, tlsCert: path(env.tlsCert), tlsKey: path(env.tlsKey), tlsCa: path(env.tlsCa) }, 'environment');
  return resolveConfig(loadConfigFile(dir), fromEnv, checkConfig(overrides, 'flags'));
}

export async function openNodeContext(dir: string, options: OpenContextOptions): Promise<NodeContext> {
  const key = loadNodeKey(dir);
  const config = resolveNodeConfig(dir, options.overrides);
  const tls = loadNodeTls(config, dir);
  const clock = options.clock ?? Date.now;
  const db = openDatabase(dataPath(dir, 'database'), {
    durability: config.durability,
    cacheMiB: config.cacheMiB,
    onMigration: (m, from) => options.logger.info({ from, to: m.version }, `migrating the database: ${m.description}`),
  });
  const logStore = new LogStore(db);
  const indicatorStore = new IndicatorStore(db);
  const sightingStore = new SightingStore(db);
  let sequencer: Sequencer | undefined;
  let federation: Federation;
  const nodeId = nodeIdFromPublicKey(key.publicKey);
  const hub = new AppendHub();
  const lookupMerger = new LookupMerger(db, indicatorStore.lookupKeys, options.logger);
  const walSync = config.durability === 'full' ? new WalSync(`${db.name}-wal`) : undefined;
  try {
    // What a killed process committed but never flushed is made durable before it is served.
    walSync?.syncNow();
    sequencer = Sequencer.open(db, logStore, key, clock, options.signer, walSync && ((here) => walSync.sync(here)));
    sequencer.onAppended((origin, head) => hub.notify(origin, head));
    const own = sequencer;
    federation = new Federation({
      db,
      key,
      nodeId,
      config,
      logStore,
      indicatorStore,
      sightingStore,
      hub,
      logger: options.logger,
      clock,
      servable: (row) => own.servable(row),
      ownLog: own,
      afterApply: () => lookupMerger.keepUp(),
      peerRoots: new PeerRoots(tls.roots, tls.rootsFile, options.logger),
    });
    own.setGate(federation.ownLogGate);
  } catch (err) {
    // The signer worker would keep the process alive.
    await sequencer?.close();
    db.close();
    throw err;
  }
  const checkpointer = new Checkpointer(db, options.logger);
  // Every write to the view is an append (own or relayed); a merge left due by a crash starts now.
  hub.onAppended(() => lookupMerger.poke());
  lookupMerger.poke();
  // The main thread's index of recent lookup keys is read a slice per turn of the event loop,
  // so that no call waits for all of it at once.
  const warmRecentKeys = () => {
    if (db.open && !indicatorStore.warmRecentKeys()) setImmediate(warmRecentKeys);
  };
  setImmediate(warmRecentKeys);
  const keyFilter = new LookupKeyFilter(db, options.logger);
  indicatorStore.lookupKeys.filter = keyFilter;
  const query = new IndicatorQuery(indicatorStore, logStore, sightingStore, clock);
  // A quarter of the main cache each: readers only read, and the OS caches the file for all of
  // them (batch times were no worse at 32 MiB than at 128, and the node 60 MiB smaller).
  const readerOptions = { readers: config.lookupReaders, minQueries: MIN_POOLED_QUERIES, cacheMiB: Math.max(8, Math.floor(config.cacheMiB / 4)) };
  return {
    dir,
    tls,
    calls: new CallCounts(),
    nodeId,
    key,
    config,
    logger: options.logger,
    db,
    checkpointer,
    walSync,
    lookupMerger,
    logStore,
    indicatorStore,
    sequencer,
    publisher: new Publisher(sequencer, indicatorStore, config.maxBatch, clock),
    sightings: new SightingReporter(sequencer, indicatorStore, logStore, sightingStore, config.maxBatch, clock),
    query,
    lookups: new LookupReaders(db.name, query, options.logger, readerOptions, clock, () => keyFilter.memory),
    keyFilter,
    hub,
    federation,
    clock,
  };
}

export async function closeNodeContext(context: NodeContext): Promise<void> {
  await context.federation.stop();
  await context.lookups.stop();
  await context.keyFilter.stop();
  await context.sequencer.close();
  await context.walSync?.close();
  context.lookupMerger.stop();
  // Before the main connection closes: the last connection to close checkpoints and removes the log.
  await context.checkpointer.stop();
  if (context.db.open) context.db.close();
}
