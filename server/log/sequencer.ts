/**
 * Appends to this node's own log. Each header holds the hash of the previous signed entry, so
 * signing is sequential: one sequencer owns the head, and batches pass through it one at a time
 * (signed in the worker, then stored in one SQLite transaction with their view updates).
 * Callers prepare their next batch (validate, encode) while the current one is being signed.
 */
import type { SigningKey } from '../../shared/crypto.js';
import { decodeHeader, ZERO_HASH } from '../../shared/log/entry-header.js';
import type { ChainHead } from '../../shared/log/chain-verifier.js';
import type { Db } from '../db/database.js';
import type { LogStore } from '../db/log-store.js';
import { Signer } from './signer.js';

export const OWN_EPOCH = 1;

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
   * Runs inside the transaction before anything is written. Throwing aborts the batch with
   * nothing stored: the place to re-check facts the caller read before waiting its turn.
   */
  check?: () => void;
  /** Runs inside the transaction for each stored entry, to update derived views. */
  apply: (index: number, appended: AppendedEntry) => void;
  /** Indicators this batch adds to the origin's running count. */
  addedIndicators?: number;
}

export type AppendListener = (origin: number, head: ChainHead) => void;

export class Sequencer {
  private current: ChainHead | undefined;
  private lastTimestamp = 0;
  private turn: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<AppendListener>();

  private constructor(
    private readonly db: Db,
    private readonly log: LogStore,
    private readonly signer: Signer,
    readonly originIdx: number,
    private readonly clock: () => number,
  ) {}

  static async open(db: Db, log: LogStore, key: SigningKey, clock: () => number = Date.now): Promise<Sequencer> {
    const origin = log.ensureOrigin(key.publicKey);
    const sequencer = new Sequencer(db, log, await Signer.start(key), origin.idx, clock);
    if (origin.headSeq > 0 && origin.headHash) {
      sequencer.current = { epoch: origin.headEpoch, seq: origin.headSeq, hash: new Uint8Array(origin.headHash) };
      const last = log.readAfter(origin.idx, origin.headEpoch, origin.headSeq - 1, 1)[0];
      // Timestamps never go backwards in a log, even when the wall clock does.
      if (last) sequencer.lastTimestamp = decodeHeader(last.header).timestampMs;
    }
    return sequencer;
  }

  get head(): ChainHead | undefined {
    return this.current;
  }

  onAppended(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Signs and stores the entries in order. Rejects, with nothing stored and the head unchanged, if anything fails. */
  append(items: readonly PendingEntry[], hooks: AppendHooks): Promise<AppendedEntry[]> {
    const run = this.turn.then(() => this.signAndStore(items, hooks));
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async signAndStore(items: readonly PendingEntry[], hooks: AppendHooks): Promise<AppendedEntry[]> {
    if (items.length === 0) return [];
    const start = this.current ?? { epoch: OWN_EPOCH, seq: 0, hash: ZERO_HASH };
    const timestampMs = Math.max(this.clock(), this.lastTimestamp);
    const signed = await this.signer.sign(start, timestampMs, items);
    const appended: AppendedEntry[] = [];
    this.db.transaction(() => {
      hooks.check?.();
      for (let i = 0; i < items.length; i++) {
        const seq = start.seq + i + 1;
        const rowid = this.log.appendEntry(this.originIdx, start.epoch, seq, signed.header(i), signed.signature(i), items[i]!.payload);
        const entry = { rowid, epoch: start.epoch, seq, hash: signed.hash(i), timestampMs };
        appended.push(entry);
        hooks.apply(i, entry);
      }
      this.log.setHead(this.originIdx, { epoch: start.epoch, seq: start.seq + items.length, hash: signed.hash(items.length - 1) }, items.length, hooks.addedIndicators ?? 0);
    })();
    // Only after commit does the in-memory head move.
    const head = { epoch: start.epoch, seq: start.seq + items.length, hash: new Uint8Array(signed.hash(items.length - 1)) };
    this.current = head;
    this.lastTimestamp = timestampMs;
    for (const listener of this.listeners) listener(this.originIdx, head);
    return appended;
  }

  /** Waits for batches in flight, then stops the signer. */
  async close(): Promise<void> {
    await this.turn;
    await this.signer.close();
  }
}
