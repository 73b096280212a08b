/** Messages between the checkpointer (main thread) and its worker. */
export interface CheckpointWorkerData {
  /** The database file; the worker opens its own connection to it. */
  path: string;
  intervalMs: number;
}

/** Worker to main: a checkpoint failed, or it stopped after a stop request. */
export type CheckpointWorkerMessage = { type: 'error'; message: string } | { type: 'stopped' };
