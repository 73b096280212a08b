/**
 * Background checkpoints for the node's database. While the worker runs, the main connection
 * keeps an automatic checkpoint only as a backstop (BACKSTOP_PAGES, about 40 MiB of log), so the
 * worker does the work in normal operation; should the worker fail, the main connection goes
 * back to SQLite's default of checkpointing every 1,000 pages.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../shared/logger.js';
import { workerPath } from '../worker-path.js';
import type { CheckpointWorkerData, CheckpointWorkerMessage } from './checkpoint-protocol.js';
import type { Db } from './database.js';

export const CHECKPOINT_INTERVAL_MS = 100;
export const BACKSTOP_PAGES = 10_000;
export const SQLITE_DEFAULT_PAGES = 1_000;

interface Running {
  worker: Worker;
  exited: Promise<void>;
}

export class Checkpointer {
  private running: Running | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {}

  /**
   * Starts the worker and returns at once. A node calls this once it serves: the worker's start
   * would otherwise compete with the rest of start-up for the second core.
   */
  start(): void {
    if (this.running || this.stopping) return;
    this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    const worker = new Worker(workerPath(import.meta.url, 'checkpoint-worker.js'), {
      workerData: { path: this.db.name, intervalMs: this.intervalMs } satisfies CheckpointWorkerData,
    });
    worker.on('message', (message: CheckpointWorkerMessage) => {
      if (message.type === 'error') this.fallBack(message.message);
    });
    worker.on('error', (err) => this.fallBack(err.message));
    // It must not keep a process alive that forgot to stop it (SQLite survives a cut checkpoint).
    worker.unref();
    const exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        if (!this.stopping) this.fallBack(`the checkpoint worker exited with code ${code}`);
        resolve();
      }),
    );
    this.running = { worker, exited };
  }

  private fallBack(reason: string): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
    this.logger.warn({ reason }, 'background checkpoints stopped; the database checkpoints on its own again');
  }

  /** Lets a running checkpoint finish, closes the worker's connection and ends the thread. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const running = this.running;
      if (!running) return;
      // Awaited from here: an unref'd worker would let the process exit before it answers.
      running.worker.ref();
      const stopped = new Promise<void>((resolve) =>
        running.worker.on('message', (message: CheckpointWorkerMessage) => {
          if (message.type === 'stopped') resolve();
        }),
      );
      running.worker.postMessage('stop');
      // A worker that already ended has nothing to close.
      await Promise.race([stopped, running.exited]);
      await running.worker.terminate();
    })();
    return this.stopping;
  }
}
