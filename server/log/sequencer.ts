/**
 * Appends to this node's own log. Signing is sequential by construction (each header holds the
 * hash of the previous signed entry), so one sequencer owns the head and all appends run
 * synchronously in one SQLite transaction per batch: signed, chained, stored and applied to the
 * views together, or not at all.
 */
import type { SigningKey } from '../../shared/crypto.js';
import { createEntry } from '../../shared/log/entry.js';
import { decodeHeader, ZERO_HASH } from '../../shared/log/entry-header.js';
import type { ChainHead } from '../../shared/log/chain-verifier.js';
import type { Db } from '../db/database.js';
import type { LogStore } from '../db/log-store.js';

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

export type AppendListener = (origin: number, head: ChainHead) => void;

export class Sequencer {
  private current: ChainHead | undefined;
  private lastTimestamp = 0;
  private readonly listeners = new Set<AppendListener>();

  private constructor(
    private readonly db: Db,
    private readonly log: LogStore,
    private readonly key: SigningKey,
    readonly originIdx: number,
    private readonly clock: () => number,
  ) {}

  static open(db: Db, log: LogStore, key: SigningKey, clock: () => number = Date.now): Sequencer {
    const origin = log.ensureOrigin(key.publicKey);
    const sequencer = new Sequencer(db, log, key, origin.idx, clock);
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

  /**
   * Signs and stores the entries in order, calling `apply` for each inside the same transaction
   * (to update derived views). Throws, with nothing stored and the head unchanged, if anything fails.
   */
  append(items: readonly PendingEntry[], apply: (index: number, appended: AppendedEntry) => void, addedIndicators = 0): AppendedEntry[] {
    if (items.length === 0) return [];
    const start = this.current;
    let head = start ?? { epoch: OWN_EPOCH, seq: 0, hash: ZERO_HASH };
    let lastTimestamp = this.lastTimestamp;
    const appended: AppendedEntry[] = [];
    this.db.transaction(() => {
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        const timestampMs = Math.max(this.clock(), lastTimestamp);
        const { entry, hash } = createEntry(
          this.key,
          { epoch: head.epoch, seq: head.seq + 1, prevHash: head.hash, timestampMs, payloadType: item.payloadType },
          item.payload,
        );
        const rowid = this.log.appendEntry(this.originIdx, head.epoch, head.seq + 1, entry.header, entry.signature, entry.payload);
        head = { epoch: head.epoch, seq: head.seq + 1, hash };
        lastTimestamp = timestampMs;
        const result = { rowid, epoch: head.epoch, seq: head.seq, hash, timestampMs };
        appended.push(result);
        apply(i, result);
      }
      this.log.setHead(this.originIdx, head, items.length, addedIndicators);
    })();
    // Only after commit does the in-memory head move.
    this.current = head;
    this.lastTimestamp = lastTimestamp;
    for (const listener of this.listeners) listener(this.originIdx, head);
    return appended;
  }
}
