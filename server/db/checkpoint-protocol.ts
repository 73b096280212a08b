/** Messages between the checkpointer (main thread) and its worker. */
export interface CheckpointWorkerData {
  /** The database file; the worker opens its own connection to it. */
  path: string;
  intervalMs: number;
}

/** Worker to main: ready once its connection is open, an error, or stopped after a stop request. */
export type CheckpointWorkerMessage = { type: 'ready' } | { type: 'error'; message: string } | { type: 'stopped' };
