/**
 * Worker thread that copies the write-ahead log back into the database file (PASSIVE
 * checkpoints) on a connection of its own. A checkpoint writes every page changed since the
 * last one and fsyncs the file; done by the writer itself, as SQLite does by default, it stalls
 * publishing and syncing for tens of milliseconds every few thousand pages. PASSIVE never waits
 * for or blocks the writer.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointWorkerData, CheckpointWorkerMessage } from './checkpoint-protocol.js';

const port = parentPort!;
const { path, intervalMs } = workerData as CheckpointWorkerData;
const send = (message: CheckpointWorkerMessage) => port.postMessage(message);

const db = new Database(path, { fileMustExist: true });
let failed = false;
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    // Reported once; the main connection's own automatic checkpoints still bound the log.
    if (!failed) send({ type: 'error', message: (err as Error).message });
    failed = true;
  }
}, intervalMs);
port.on('message', (message: string) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  send({ type: 'stopped' });
});
