/**
 * A reader thread for large batch lookups (lookup-readers.ts): a read-only connection of its
 * own, the same IndicatorQuery as the main thread, and answers encoded here, so only bytes
 * travel back (transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DtxError } from '../../shared/errors.js';
import { readLookupQueries } from '../../shared/wire/lookup-request-reader.js';
import { openDatabase, type Db } from '../db/database.js';
import { IndicatorStore } from '../db/indicator-store.js';
import { KeyFilter } from '../db/key-filter.js';
import { LogStore } from '../db/log-store.js';
import { SightingStore } from '../db/sighting-store.js';
import type { LookupWorkerData, LookupWorkerRequest, LookupWorkerResponse, PartError } from './lookup-protocol.js';
import { lookupResponse } from './lookup-response.js';
import { IndicatorQuery } from './query.js';

const port = parentPort!;
const { path, cacheMiB, pinned } = workerData as LookupWorkerData;
const counter = new Int32Array(pinned);
const send = (message: LookupWorkerResponse, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let db: Db;
let query: IndicatorQuery;
let store: IndicatorStore;
/** The filter memory the current view was made from. */
let filterMemory: SharedArrayBuffer | undefined;
let pin: () => unknown;
try {
  db = openDatabase(path, { readonly: true, cacheMiB });
  store = new IndicatorStore(db);
  query = new IndicatorQuery(store, new LogStore(db), new SightingStore(db));
  // Any read starts the snapshot of a deferred transaction; this table is tiny.
  const count = db.prepare<[]>('SELECT count(*) FROM origins').pluck();
  pin = () => count.get();
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'failed', message: (err as Error).message });
  process.exit(1);
}

/** The batch whose read transaction is open, if any. */
let openBatch: number | undefined;

function begin(batch: number): void {
  try {
    if (openBatch !== undefined) db.exec('COMMIT');
    db.exec('BEGIN');
    pin();
    openBatch = batch;
  } finally {
    // Counted even when it failed: the main thread must not wait for a reader that will not pin.
    Atomics.add(counter, 0, 1);
    Atomics.notify(counter, 0);
  }
}

function end(batch: number): void {
  if (openBatch !== batch) return;
  openBatch = undefined;
  db.exec('COMMIT');
}

function partError(err: unknown): PartError {
  if (err instanceof DtxError) return { code: err.code, message: err.message, details: err.details };
  return { code: 'INTERNAL', message: `lookup failed: ${(err as Error).message}`, details: {} };
}

port.on('message', (message: LookupWorkerRequest) => {
  if (message.type === 'stop') {
    db.close();
    send({ type: 'stopped' });
    // Nothing else keeps the thread alive: it exits, which the main thread waits for.
    port.close();
    return;
  }
  if (message.type === 'end') return end(message.batch);
  const { batch, offset } = message;
  try {
    if (openBatch !== batch) begin(batch);
    if (message.filter !== filterMemory) {
      filterMemory = message.filter;
      store.lookupKeys.filter = filterMemory ? KeyFilter.view(filterMemory) : undefined;
    }
    const queries = Array.isArray(message.queries) ? message.queries : readLookupQueries(new Uint8Array(message.queries.bytes), message.queries.ranges, offset);
    const bytes = lookupResponse(query, queries, message.options, message.view, { offset, nowMs: message.nowMs });
    // Transferred, so it must own its memory exactly: a small Buffer is a view into Node's shared
    // pool (and Buffer's slice() is another view, not a copy), so that case is copied.
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : new Uint8Array(bytes).buffer;
    send({ type: 'part', batch, offset, bytes: owned as ArrayBuffer }, [owned as ArrayBuffer]);
  } catch (err) {
    send({ type: 'part', batch, offset, error: partError(err) });
  }
});
