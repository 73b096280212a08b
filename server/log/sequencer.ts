/**
 * Appends to this node's own log. Each header holds the hash of the previous signed entry, so
 * signing is sequential: one sequencer owns the head, and batches pass through it in order
 * (signed in the worker, then stored in one SQLite transaction with their view updates).
 * Callers prepare their next batch (validate, encode) while the current group is being signed.
 */
import type { SigningKey } from '../../shared/crypto.js';
import { bytesEqual } from '../../shared/encoding/hex.js';
import { DtxError } from '../../shared/errors.js';
import { decodeHeader, ZERO_HASH } from '../../shared/log/entry-header.js';
import type { ChainHead } from '../../shared/log/chain-verifier.js';
import type { Db } from '../db/database.js';
import type { LogStore } from '../db/log-store.js';
import { Signer, type SignedBatch } from './signer.js';

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

interface SignedGroup {
  start: ChainHead;
  end: ChainHead;
  timestampMs: number;
  signed: SignedBatch;
}

interface PendingGroup {
  jobs: Job[];
  signing: Promise<SignedGroup>;
}

interface Job {
  items: readonly PendingEntry[];
  hooks: AppendHooks;
  resolve: (entries: AppendedEntry[]) => void;
  reject: (err: unknown) => void;
}

export class Sequencer {
  private current: ChainHead | undefined;
  private lastTimestamp = 0;
  private signedTimestamp = 0;
  private readonly queue: Job[] = [];
  private draining: Promise<void> | undefined;
  private readonly listeners = new Set<AppendListener>();

  private constructor(
    private readonly db: Db,
    private readonly log: LogStore,
    private readonly signer: Signer,
    readonly originIdx: number,
    private readonly clock: () => number,
  ) {}

  /**
   * Opens the log's head at once; the signer worker loads meanwhile (see `ready`). `signer` is
   * one already started for this key (dtx start starts it before loading the server's modules);
   * from here on the sequencer owns it.
   */
  static open(db: Db, log: LogStore, key: SigningKey, clock: () => number = Date.now, signer?: Signer): Sequencer {
    if (signer && !bytesEqual(signer.publicKey, key.publicKey)) throw new DtxError('INTERNAL', 'the signer was started for another key');
    const origin = log.ensureOrigin(key.publicKey);
    let head: ChainHead | undefined;
    let lastTimestamp = 0;
    if (origin.headSeq > 0 && origin.headHash) {
      head = { epoch: origin.headEpoch, seq: origin.headSeq, hash: new Uint8Array(origin.headHash) };
      const last = log.readAfter(origin.idx, origin.headEpoch, origin.headSeq - 1, 1)[0];
      // Timestamps never go backwards in a log, even when the wall clock does.
      if (last) lastTimestamp = decodeHeader(last.header).timestampMs;
    }
    // Started last: nothing after it can fail and leave the worker running.
    const sequencer = new Sequencer(db, log, signer ?? Signer.start(key), origin.idx, clock);
    sequencer.current = head;
    sequencer.lastTimestamp = lastTimestamp;
    return sequencer;
  }

  /** Resolves when appends can be signed; rejects, naming the cause, if the signer cannot start. */
  ready(): Promise<void> {
    return this.signer.ready;
  }

  get head(): ChainHead | undefined {
    return this.current;
  }

  onAppended(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Signs and stores the entries in order, after every batch queued before them. Rejects, with
   * nothing of this batch stored, if its check fails or storing fails.
   */
  append(items: readonly PendingEntry[], hooks: AppendHooks): Promise<AppendedEntry[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ items, hooks, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // A job queued after the loop's last look but before this ran would otherwise wait forever.
      if (this.queue.length > 0) this.kick();
    });
  }

  /**
   * Group commit: every batch that queued while the previous group was being signed goes into
   * the next group, signed in one worker call and stored in one transaction, so one fsync
   * covers them all. Checks run before signing; they stay valid until the commit because all
   * writes to this origin's log and view go through this loop.
   *
   * Sign-ahead: while a group is being stored, the worker already signs the next one on top of
   * it, so signing (worker) and storing (main thread) overlap. Only groups without checks are
   * signed ahead (a check must see the previous group committed). If storing fails, the group
   * signed ahead chains from entries that were never stored: it goes back to the queue.
   */
  private async drain(): Promise<void> {
    let next: PendingGroup | undefined;
    while (next || this.queue.length > 0) {
      const current = next ?? this.startGroup(this.takeGroup(), this.current);
      next = undefined;
      if (!current) continue;
      let signed: SignedGroup;
      try {
        signed = await current.signing;
      } catch (err) {
        for (const job of current.jobs) job.reject(err);
        continue;
      }
      next = this.startGroup(this.takeGroup({ uncheckedOnly: true }), signed.end);
      try {
        this.storeGroup(current.jobs, signed);
      } catch (err) {
        for (const job of current.jobs) job.reject(err);
        if (next) {
          await next.signing.catch(() => undefined);
          this.queue.unshift(...next.jobs);
          next = undefined;
        }
      }
    }
  }

  /**
   * The next group: queued jobs in order, with at most one that has a check. Jobs without one
   * only add fresh indicators and cannot invalidate a check; two checked jobs in one group could
   * (both versioning one indicator), so the second waits for the next group.
   */
  private takeGroup(options: { uncheckedOnly?: boolean } = {}): Job[] {
    const jobs: Job[] = [];
    let checked = options.uncheckedOnly ?? false;
    while (this.queue.length > 0) {
      const job = this.queue[0]!;
      if (job.hooks.check) {
        if (checked) break;
        checked = true;
      }
      this.queue.shift();
      try {
        job.hooks.check?.();
        jobs.push(job);
      } catch (err) {
        job.reject(err);
      }
    }
    return jobs;
  }

  private startGroup(jobs: Job[], head: ChainHead | undefined): PendingGroup | undefined {
    if (jobs.length === 0) return undefined;
    const start = head ?? { epoch: OWN_EPOCH, seq: 0, hash: ZERO_HASH };
    // Timestamps never go backwards, also across groups signed ahead of their commit.
    const timestampMs = Math.max(this.clock(), this.lastTimestamp, this.signedTimestamp);
    this.signedTimestamp = timestampMs;
    const items = jobs.length === 1 ? jobs[0]!.items : jobs.flatMap((job) => job.items);
    const signing = this.signer.sign(start, timestampMs, items).then((signed): SignedGroup => {
      const count = items.length;
      return { start, timestampMs, signed, end: { epoch: start.epoch, seq: start.seq + count, hash: new Uint8Array(signed.hash(count - 1)) } };
    });
    return { jobs, signing };
  }

  private storeGroup(jobs: readonly Job[], group: SignedGroup): void {
    const { start, timestampMs, signed } = group;
    const results: AppendedEntry[][] = [];
    let index = 0;
    this.db.transaction(() => {
      let added = 0;
      for (const job of jobs) {
        const appended: AppendedEntry[] = [];
        job.items.forEach((item, i) => {
          const seq = start.seq + index + 1;
          const rowid = this.log.appendEntry(this.originIdx, start.epoch, seq, signed.header(index), signed.signature(index), item.payload);
          const entry = { rowid, epoch: start.epoch, seq, hash: signed.hash(index), timestampMs };
          appended.push(entry);
          job.hooks.apply(i, entry);
          index++;
        });
        added += job.hooks.addedIndicators ?? 0;
        results.push(appended);
      }
      this.log.setHead(this.originIdx, { epoch: start.epoch, seq: start.seq + index, hash: signed.hash(index - 1) }, index, added);
    })();
    // Only after commit does the in-memory head move and do callers hear back.
    const head = group.end;
    this.current = head;
    this.lastTimestamp = timestampMs;
    jobs.forEach((job, i) => job.resolve(results[i]!));
    for (const listener of this.listeners) listener(this.originIdx, head);
  }

  /** Waits for batches in flight, then stops the signer. */
  async close(): Promise<void> {
    await this.draining;
    await this.signer.close();
  }
}
