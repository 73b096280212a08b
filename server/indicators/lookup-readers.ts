/**
 * Large batch lookups on reader threads. A batch of 10,000 values costs about 100 ms of SQLite
 * and JavaScript; on the main thread that would stall every other call and every federation
 * stream for as long, and use one core of a machine that has more. Batches of at least
 * `minQueries` are cut into parts that reader threads answer, each on its own read-only
 * connection (WAL lets readers run beside the writer), each encoding its part; the encoded parts
 * concatenate into the response. Smaller batches, and every batch when readers are off or have
 * failed, run on the main thread as before.
 *
 * One snapshot per batch: the main thread is the database's only writer, so it waits (a few
 * hundred microseconds, blocking) until every reader of a batch has opened its read
 * transaction before it returns to the event loop and can commit anything. Batches go through
 * the readers one at a time; each uses all of them.
 */
import { Worker } from 'node:worker_threads';
import { DtxError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { workerPath } from '../worker-path.js';
import type { LookupWorkerData, LookupWorkerRequest, LookupWorkerResponse, PartError } from './lookup-protocol.js';
import type { EncodedQueries } from '../../shared/wire/lookup-request-reader.js';
import { lookupResponse, type LookupQueryFields, type LookupViewName } from './lookup-response.js';
import { checkLookupCount, type IndicatorQuery, type LookupOptions } from './query.js';

export interface LookupReaderOptions {
  /** Reader threads; 0 answers every batch on the main thread. */
  readers: number;
  /** Batches with fewer queries run on the main thread: below this the hand-off costs more than it saves. */
  minQueries: number;
  /** Page cache of each reader's connection, MiB. */
  cacheMiB: number;
}

export const MIN_POOLED_QUERIES = 512;
/** Parts per reader: more, smaller parts even out readers that run slower (sharing a core). */
const PARTS_PER_READER = 2;
/**
 * A healthy reader opens its snapshot within a millisecond or two. Longer means it is stuck or
 * gone, and the main thread, blocked meanwhile, must go back to its other work.
 */
const PIN_TIMEOUT_MS = 500;

/** The queries of one call. */
export interface LookupBatch {
  count: number;
  /** The queries, decoded (on first use, for a request read off the wire). */
  queries(): readonly LookupQueryFields[];
  /** The queries in the request's bytes: reader threads decode their parts themselves. */
  encoded?: EncodedQueries;
}

/** A batch of queries already decoded (in-process callers). */
export function batchOf(queries: readonly LookupQueryFields[]): LookupBatch {
  return { count: queries.length, queries: () => queries };
}

/** A reader failed (not the query): the node falls back to the main thread. */
class ReaderFailure extends Error {}

interface Reader {
  worker: Worker;
  /** The running batch's handler for this reader's messages. */
  onMessage: ((message: LookupWorkerResponse) => void) | undefined;
  onFailure: ((err: Error) => void) | undefined;
}

interface Part {
  offset: number;
  queries: LookupQueryFields[] | { bytes: SharedArrayBuffer; ranges: Int32Array };
}

export class LookupReaders {
  private readers: Promise<Reader[]> | undefined;
  /** Set once a reader has failed: from then on every batch runs on the main thread. */
  private failed = false;
  private stopped = false;
  private readonly pinned = new SharedArrayBuffer(4);
  private readonly counter = new Int32Array(this.pinned);
  private batch = 0;
  /** Batches wait here for the one before them. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dbPath: string,
    private readonly query: IndicatorQuery,
    private readonly logger: Logger,
    private readonly options: LookupReaderOptions,
    private readonly clock: () => number = Date.now,
    /** The memory of the node's lookup key filter, once built (server/db/lookup-key-filter.ts). */
    private readonly filterMemory: () => SharedArrayBuffer | undefined = () => undefined,
  ) {}

  /** The encoded LookupIndicatorsResponse for the batch, in query order. */
  async respond(batch: LookupBatch, options: LookupOptions, view: LookupViewName): Promise<Uint8Array> {
    checkLookupCount(batch.count);
    const part = { offset: 0, nowMs: this.clock() };
    if (!this.pooled(batch.count)) return lookupResponse(this.query, batch.queries(), options, view, part);
    const run = this.queue.then(() => this.onReaders(cut(batch, this.partCount()), options, view, part.nowMs));
    this.queue = run.catch(() => undefined);
    try {
      return await run;
    } catch (err) {
      // The failure handler of the reader has already logged it and stopped the readers.
      if (!(err instanceof ReaderFailure)) throw err;
      return lookupResponse(this.query, batch.queries(), options, view, part);
    }
  }

  /** Ends the reader threads; a batch still running fails over to the main thread. */
  async stop(): Promise<void> {
    this.stopped = true;
    const readers = await this.readers?.catch(() => []);
    await Promise.all(
      (readers ?? []).map(async (reader) => {
        // Awaited from here: an unreferenced worker would let the process exit before it closes.
        reader.worker.ref();
        const exited = new Promise<void>((resolve) => reader.worker.once('exit', () => resolve()));
        reader.worker.postMessage({ type: 'stop' } satisfies LookupWorkerRequest);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
        clearTimeout(timer);
        await reader.worker.terminate();
      }),
    );
  }

  /** The running reader threads, for tests that inject faults. */
  async threadsForTests(): Promise<Worker[]> {
    return ((await this.readers?.catch(() => [])) ?? []).map((reader) => reader.worker);
  }

  private pooled(count: number): boolean {
    return this.options.readers > 0 && count >= this.options.minQueries && !this.failed && !this.stopped;
  }

  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.logger.warn({ reason }, 'lookup readers stopped; large batch lookups run on the main thread');
    void this.stop();
  }

  /** Started at the first large batch: a node that never gets one pays nothing for them. */
  private start(): Promise<Reader[]> {
    this.readers ??= Promise.all(Array.from({ length: this.options.readers }, () => this.startReader()));
    return this.readers;
  }

  private startReader(): Promise<Reader> {
    const workerData: LookupWorkerData = { path: this.dbPath, cacheMiB: this.options.cacheMiB, pinned: this.pinned };
    // Referenced only while it starts or works on a batch: an idle reader must not keep a
    // process alive that forgot to stop it, and a busy one must keep its caller's alive.
    const worker = new Worker(workerPath(import.meta.url, 'lookup-worker.js'), { workerData });
    const reader: Reader = { worker, onMessage: undefined, onFailure: undefined };
    return new Promise<Reader>((resolve, reject) => {
      const failure = (err: Error) => {
        reject(err);
        reader.onFailure?.(err);
        // A reader that dies between batches would leave the next one waiting for it forever.
        if (!this.stopped) this.fail(err.message);
      };
      worker.on('message', (message: LookupWorkerResponse) => {
        if (message.type === 'ready') {
          worker.unref();
          resolve(reader);
        }
        // Before its exit: the warning names the cause, not just the exit code.
        else if (message.type === 'failed') failure(new ReaderFailure(`a lookup reader could not open the database: ${message.message}`));
        else reader.onMessage?.(message);
      });
      worker.on('error', (err) => failure(new ReaderFailure(`a lookup reader failed: ${err.message}`)));
      worker.on('exit', (code) => failure(new ReaderFailure(`a lookup reader exited with code ${code}`)));
    });
  }

  private partCount(): number {
    return this.options.readers * PARTS_PER_READER;
  }

  private async onReaders(parts: readonly Part[], options: LookupOptions, view: LookupViewName, nowMs: number): Promise<Uint8Array> {
    if (this.failed || this.stopped) throw new ReaderFailure('lookup readers are stopped');
    const readers = await this.start();
    const batch = ++this.batch;
    // The filter as of now: it holds every key committed before the readers' snapshots.
    const filter = this.filterMemory();
    const results = new Array<Uint8Array | PartError | undefined>(parts.length);
    const starting = readers.slice(0, Math.min(readers.length, parts.length));
    let next = 0;
    let done = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const give = (reader: Reader) => {
          if (next >= parts.length) return;
          const part = parts[next++]!;
          const message: LookupWorkerRequest = { type: 'part', batch, view, options, nowMs, offset: part.offset, queries: part.queries, filter };
          reader.worker.postMessage(message);
        };
        for (const reader of starting) {
          reader.worker.ref();
          reader.onFailure = reject;
          reader.onMessage = (message) => {
            if (message.type !== 'part' || message.batch !== batch) return;
            const index = parts.findIndex((p) => p.offset === message.offset);
            results[index] = 'bytes' in message ? new Uint8Array(message.bytes) : message.error;
            if (++done === parts.length) resolve();
            else give(reader);
          };
        }
        Atomics.store(this.counter, 0, 0);
        for (const reader of starting) give(reader);
        if (!this.waitForSnapshots(starting.length)) {
          this.logger.warn({ readers: starting.length }, 'lookup readers were slow to open their snapshot; parts of this batch may see different states');
        }
      });
    } finally {
      for (const reader of starting) {
        reader.worker.unref();
        reader.onMessage = undefined;
        reader.onFailure = undefined;
        reader.worker.postMessage({ type: 'end', batch } satisfies LookupWorkerRequest);
      }
    }
    return concat(results);
  }

  /** Blocks the main thread, and so every commit, until `count` readers hold their snapshot. */
  private waitForSnapshots(count: number): boolean {
    const deadline = performance.now() + PIN_TIMEOUT_MS;
    for (;;) {
      const pinned = Atomics.load(this.counter, 0);
      if (pinned >= count) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.counter, 0, pinned, left);
    }
  }
}

/**
 * About `count` parts of equal size, in query order: as ranges of the request's bytes when
 * there are some (copied once into shared memory), else as decoded queries (cloned per part).
 */
function cut(batch: LookupBatch, count: number): Part[] {
  const size = Math.ceil(batch.count / count);
  const { encoded } = batch;
  let shared: SharedArrayBuffer | undefined;
  if (encoded) {
    shared = new SharedArrayBuffer(encoded.bytes.length);
    new Uint8Array(shared).set(encoded.bytes);
  }
  const queries = shared ? undefined : batch.queries();
  const parts: Part[] = [];
  for (let offset = 0; offset < batch.count; offset += size) {
    const end = Math.min(offset + size, batch.count);
    parts.push({
      offset,
      queries: shared ? { bytes: shared, ranges: encoded!.ranges.slice(2 * offset, 2 * end) } : queries!.slice(offset, end),
    });
  }
  return parts;
}

/** The parts' bytes in query order; the first query's error (the lowest index) if any failed. */
function concat(results: readonly (Uint8Array | PartError | undefined)[]): Uint8Array {
  let size = 0;
  for (const result of results) {
    if (!(result instanceof Uint8Array)) {
      const err = result!;
      throw new DtxError(err.code, err.message, { details: err.details });
    }
    size += result.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const result of results as Uint8Array[]) {
    out.set(result, at);
    at += result.length;
  }
  return out;
}
