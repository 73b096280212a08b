/**
 * What callers hand the sequencer and get back (batches of pending entries, hooks, appended
 * entries), what it asks before signing (AppendGate) and how it makes commits durable, and the
 * groups it keeps in flight between the signer and the database.
 */
import type { DtxError } from '../../shared/errors.js';
import type { ChainHead } from '../../shared/log/chain-verifier.js';
import type { SignedBatch } from '../../shared/log/signed-run.js';

export interface PendingEntry {
  payloadType: number;
  payload: Uint8Array;
}

export interface AppendedEntry {
  rowid: number;
  epoch: number;
  seq: number;
  hash: Uint8Array;
  timestampMs: number;
}

export interface AppendHooks {
  /**
   * Runs when the batch's turn comes, before it is signed. Throwing rejects the batch with
   * nothing stored: the place to re-check facts the caller read before waiting its turn.
   */
  check?: () => void;
  /** Runs inside the transaction for each stored entry, to update derived views. */
  apply: (index: number, appended: AppendedEntry) => void;
  /** Indicators this batch adds to the origin's running count. */
  addedIndicators?: number;
}

export type AppendListener = (origin: number, head: ChainHead) => void;

/**
 * Asked before queued batches are signed. Undefined: sign them. A promise: wait, and ask again
 * once it settles. An error: reject the queued batches with it (new ones are asked again).
 */
export interface AppendGate {
  hold(head: ChainHead | undefined): DtxError | Promise<void> | undefined;
}

export interface SignedGroup {
  start: { epoch: number; seq: number };
  end: ChainHead;
  timestampMs: number;
  signed: SignedBatch;
}

export interface PendingGroup {
  jobs: Job[];
  /** Where the group ends once signed: the next group is chained on it before it is stored. */
  end: { epoch: number; seq: number };
  signing: Promise<SignedGroup>;
}

export interface Job {
  items: readonly PendingEntry[];
  hooks: AppendHooks;
  resolve: (entries: AppendedEntry[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Makes commits durable off the main thread (server/db/wal-sync.ts). With one, groups commit
 * without fsync and are announced (callers answered, listeners told, entries served to
 * subscribers) only once it resolves; without one, each commit waits for the disk itself.
 * `here`: flush on the calling thread, for a small group with nothing else waiting.
 */
export type DurableSync = (here: boolean) => Promise<void>;

/** The entries of a group's batches, in order. */
export function itemsOf(jobs: readonly Job[]): readonly PendingEntry[] {
  return jobs.length === 1 ? jobs[0]!.items : jobs.flatMap((job) => job.items);
}

/** A signed group, ending at the hash of its last entry. */
export function signedGroup(start: { epoch: number; seq: number }, timestampMs: number, signed: SignedBatch, count: number): SignedGroup {
  return { start, timestampMs, signed, end: { epoch: start.epoch, seq: start.seq + count, hash: new Uint8Array(signed.hash(count - 1)) } };
}

/** Whether position a comes after b. */
export function isAfter(a: { epoch: number; seq: number }, b: { epoch: number; seq: number }): boolean {
  return a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq);
}
