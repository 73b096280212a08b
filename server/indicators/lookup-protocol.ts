/** Messages between the lookup readers (main thread) and each reader thread. */
import type { ErrorCode } from '../../shared/errors.js';
import type { LookupQueryFields, LookupViewName } from './lookup-response.js';
import type { LookupOptions } from './query.js';

export interface LookupWorkerData {
  /** The node's database file; each reader opens a read-only connection of its own. */
  path: string;
  cacheMiB: number;
  /**
   * One Int32 counter: a reader adds 1 once it holds the read snapshot of a new batch. The main
   * thread (the database's only writer) waits for every reader of a batch before it goes on, so
   * that all parts of one batch read one state of the database.
   */
  pinned: SharedArrayBuffer;
}

export type LookupWorkerRequest =
  | {
      type: 'part';
      /** A reader opens a read transaction at the first part of a new batch and keeps it until `end`. */
      batch: number;
      view: LookupViewName;
      options: LookupOptions;
      nowMs: number;
      /** Index in the whole call of this part's first query. */
      offset: number;
      /** The part's queries, decoded, or encoded in the request's bytes (shared by every part). */
      queries: LookupQueryFields[] | { bytes: SharedArrayBuffer; ranges: Int32Array };
      /** The main thread's lookup key filter (server/db/key-filter.ts), if built: shared, not copied. */
      filter: SharedArrayBuffer | undefined;
    }
  | { type: 'end'; batch: number }
  | { type: 'stop' };

export interface PartError {
  code: ErrorCode;
  message: string;
  details: Record<string, string>;
}

export type LookupWorkerResponse =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'part'; batch: number; offset: number; bytes: ArrayBuffer }
  | { type: 'part'; batch: number; offset: number; error: PartError }
  | { type: 'stopped' };
