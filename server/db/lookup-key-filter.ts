/**
 * The node's Bloom filter of lookup keys (key-filter.ts): the one lookups test, and its builds.
 * A build fills a new filter on a worker thread from one read snapshot of both tables of the
 * lookup index (key-filter-worker.ts), while the main thread adds every key it writes from the
 * moment the filter exists; so every key committed before the snapshot is scanned, and every
 * key after it is added. Until the first build is done every test answers "maybe", which is
 * what the node did before. A filter that has taken more keys than it was sized for is rebuilt,
 * twice as large, beside it; lookups use the old one until the new one is ready.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../shared/logger.js';
import { workerPath } from '../worker-path.js';
import type { Db } from './database.js';
import { KeyFilter } from './key-filter.js';
import type { KeyFilterWorkerData, KeyFilterWorkerMessage } from './key-filter-worker.js';

export class LookupKeyFilter {
  private serving: KeyFilter | undefined;
  private building: { filter: KeyFilter; worker: Worker } | undefined;
  private stopped = false;
  /** Set when a build failed: no more are tried (each would start a thread) until a restart. */
  private broken = false;
  /** A rebuild asked for inside a transaction, waiting for it to end. */
  private deferred: NodeJS.Immediate | undefined;
  private readonly keyCount;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {
    // Kept per origin in the same transactions as the view, so this is one small read.
    this.keyCount = db.prepare<[]>('SELECT coalesce(sum(indicator_count), 0) FROM origins').pluck();
  }

  /** Starts the first build; the node calls this once it serves. */
  start(): void {
    if (!this.building && !this.serving && !this.stopped) this.rebuild(this.keyCount.get() as number);
  }

  /** Ends a build under way; lookups keep the filter they have. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.deferred) clearImmediate(this.deferred);
    const worker = this.building?.worker;
    this.building = undefined;
    await worker?.terminate();
  }

  /** Call for every key written to the view, before its transaction commits. */
  add(key: number): void {
    this.serving?.add(key);
    this.building?.filter.add(key);
    // Past its intended load the false positives climb (1.4 % at twice the load, 5 % at four times).
    if (this.serving && !this.building && !this.deferred && this.serving.added > this.serving.sizedFor) this.rebuild(this.serving.added);
  }

  /** False only when no indicator in the view has this lookup key. */
  mightContain(key: number): boolean {
    return this.serving?.mightContain(key) ?? true;
  }

  /** The memory of the filter lookups test, for reader threads; undefined until one is built. */
  get memory(): SharedArrayBuffer | undefined {
    return this.serving?.memory;
  }

  /** Whether a build is under way or about to start. */
  get rebuilding(): boolean {
    return this.building !== undefined || this.deferred !== undefined;
  }

  private rebuild(keys: number): void {
    if (this.stopped || this.broken) return;
    // Keys this transaction wrote before the new filter existed are neither in it nor in the
    // worker's snapshot (uncommitted when it is taken): the filter is created between
    // transactions. Transactions are synchronous, so the next turn of the event loop is one.
    if (this.db.inTransaction) {
      this.deferred ??= setImmediate(() => {
        this.deferred = undefined;
        this.rebuild(keys);
      });
      return;
    }
    // Room for twice as many: a node that grows does not rebuild at once.
    const filter = KeyFilter.create(Math.max(keys, 1) * 2);
    const workerData: KeyFilterWorkerData = { path: this.db.name, memory: filter.memory };
    const worker = new Worker(workerPath(import.meta.url, 'key-filter-worker.js'), { workerData });
    // A build must not keep a process alive that is shutting down.
    worker.unref();
    const build = { filter, worker };
    this.building = build;
    const fail = (reason: string) => {
      if (this.building !== build) return;
      this.building = undefined;
      this.broken = true;
      const meanwhile = this.serving ? 'lookups keep the filter they have' : 'lookups probe the index for every key';
      this.logger.warn({ reason }, `building the lookup key filter failed; ${meanwhile} until the node restarts`);
    };
    worker.on('message', (message: KeyFilterWorkerMessage) => {
      if (message.type === 'failed') return fail(message.message);
      if (this.building !== build) return;
      filter.added += message.keys;
      filter.markReady();
      this.serving = filter;
      this.building = undefined;
      this.logger.debug({ keys: message.keys, sizedFor: filter.sizedFor }, 'lookup key filter built');
    });
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => code !== 0 && fail(`the filter worker exited with code ${code}`));
  }
}
