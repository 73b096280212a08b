/**
 * Fills a lookup key filter (key-filter.ts) from one read snapshot of the lookup index, on a
 * connection of its own, off the main thread (about half a second of scanning at 1M stored).
 * One snapshot holds every key in one of the two tables (in both while a merge is under way);
 * keys committed after it are added by the main thread, which writes to the same memory. Both
 * sides use atomic ORs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.js';
import { KeyFilter } from './key-filter.js';

export interface KeyFilterWorkerData {
  path: string;
  memory: SharedArrayBuffer;
}

export type KeyFilterWorkerMessage = { type: 'done'; keys: number } | { type: 'failed'; message: string };

const { path, memory } = workerData as KeyFilterWorkerData;
const send = (message: KeyFilterWorkerMessage) => parentPort!.postMessage(message);

try {
  const db = openDatabase(path, { readonly: true, cacheMiB: 8 });
  const filter = KeyFilter.view(memory);
  let keys = 0;
  db.transaction(() => {
    for (const table of ['lookup_recent', 'lookup_keys']) {
      for (const key of db.prepare<[]>(`SELECT lookup_key FROM ${table}`).pluck().iterate()) {
        filter.add(key as number);
        keys++;
      }
    }
  })();
  db.close();
  send({ type: 'done', keys });
} catch (err) {
  send({ type: 'failed', message: (err as Error).message });
}
