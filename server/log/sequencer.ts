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
import { transactionRunner, unsyncedTransactions, type Db } from '../db/database.js';
import type { LogStore, OriginRow } from '../db/log-store.js';
import { packPayloads, signedBatch, signRun } from '../../shared/log/signed-run.js';
import { isAfter, itemsOf, signedGroup, type AppendedEntry, type AppendGate, type AppendHooks, type AppendListener, type DurableSync, type Job, type PendingEntry, type PendingGroup, type SignedGroup } from './append-types.js';
import { Signer } from './signer.js';

export type { AppendedEntry, AppendGate, AppendHooks, AppendListener, DurableSync, PendingEntry } from './append-types.js';

export const OWN_EPOCH = 1;

/**
 * Groups handed to the signer and not yet stored. Several keep the worker busy: it signs the
 * next group while the main thread stores the previous one. Publishers with a few batches in
 * flight send them in waves (a group commit answers them together), and a third group lets the
 * worker start on a wave's next batch while the main thread still validates the ones after it:
 * 5 to 8 % more throughput than two, in four of four paired runs; a fourth was no better.
 */
const MAX_GROUPS_IN_FLIGHT = 3;

/**
 * A group this small, with nothing in flight, is signed on the main thread: at about 35 µs a
 * signature that is quicker than the worker's round trip, which includes waking an idle thread
 * (0.5 ms and more on this project's virtual machines). Under load groups are larger, or groups
 * are in flight, and the worker signs.
 */
const SIGN_HERE_MAX_ENTRIES = 16;

export class Sequencer {
  /** The last committed entry: what the next group chains on. */
  private current: ChainHead | undefined;
  /**
   * The last entry known to be on disk and announced. Only entries up to here may leave the
   * node: one served and then lost to a power cut would be signed again differently, a fork.
   */
  private durable: ChainHead | undefined;
  /** The durable sync of the last committed group; close() waits for it. */
  private announced: Promise<void> = Promise.resolve();
  /** Set when the disk failed to sync: the node must restart before it appends again. */
  private failure: DtxError | undefined;
  private readonly commit: (fn: () => void) => void;
  private lastTimestamp = 0;
  private signedTimestamp = 0;
  private readonly queue: Job[] = [];
  /** Handed to the signer in chain order; the first is the next to be stored. */
  private readonly inflight: PendingGroup[] = [];
  private storing: Promise<void> | undefined;
  private gate: AppendGate | undefined;
  /** Set while the gate holds the queue. */
  private gateWait: Promise<void> | undefined;
  private closed = false;
  private readonly listeners = new Set<AppendListener>();

  private constructor(
    private readonly db: Db,
    private readonly log: LogStore,
    private readonly signer: Signer,
    private readonly key: SigningKey,
    readonly originIdx: number,
    private readonly clock: () => number,
    private readonly durableSync: DurableSync | undefined,
  ) {
    this.commit = durableSync ? unsyncedTransactions(db) : transactionRunner(db);
  }

  /**
   * Opens the log's head at once; the signer worker loads meanwhile (see `ready`). `signer` is
   * one already started for this key (dtx start starts it before loading the server's modules);
   * from here on the sequencer owns it.
   */
  static open(db: Db, log: LogStore, key: SigningKey, clock: () => number = Date.now, signer?: Signer, durableSync?: DurableSync): Sequencer {
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
    const sequencer = new Sequencer(db, log, signer ?? Signer.start(key), key, origin.idx, clock, durableSync);
    sequencer.current = head;
    sequencer.durable = head;
    sequencer.lastTimestamp = lastTimestamp;
    return sequencer;
  }

  /** Resolves when appends can be signed; rejects, naming the cause, if the signer cannot start. */
  ready(): Promise<void> {
    return this.signer.ready;
  }

  /** The last committed entry (on disk too, once its sync completes; see durableHead). */
  get head(): ChainHead | undefined {
    return this.current;
  }

  /** The last entry on disk and announced. */
  get durableHead(): ChainHead | undefined {
    return this.durable;
  }

  /**
   * An origins row as it may be served to others: this node's own log ends at its durable head
   * (committed entries past it are still waiting for the disk). Other origins' rows are unchanged.
   */
  servable(row: OriginRow): OriginRow {
    const durable = this.durable;
    if (row.idx !== this.originIdx || (durable && row.headSeq === durable.seq && row.headEpoch === durable.epoch)) return row;
    return durable
      ? { ...row, headEpoch: durable.epoch, headSeq: durable.seq, headHash: Buffer.from(durable.hash) }
      : { ...row, headEpoch: 0, headSeq: 0, headHash: null };
  }

  /** Every batch is signed only once the gate lets it (server/sync/own-log-gate.ts). */
  setGate(gate: AppendGate): void {
    this.gate = gate;
  }

  /**
   * Continues the log from `head`: entries of this node's own log that a peer held and this
   * node did not (it was restored from an older copy of its database), which the sync applier
   * verified and stored, synced, in its own transaction. Groups signed on the old head were
   * never stored or served: they go back to the queue to be signed again after `head`.
   */
  adopt(head: ChainHead, timestampMs: number): void {
    this.current = head;
    if (!this.durable || isAfter(head, this.durable)) this.durable = head;
    this.lastTimestamp = Math.max(this.lastTimestamp, timestampMs);
    this.requeueInflight();
    this.pump();
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
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new DtxError('INTERNAL', 'the log is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ items, hooks, resolve, reject });
      this.pump();
    });
  }

  /**
   * Group commit with a pipeline: queued batches go to the signer as one group as soon as fewer
   * than MAX_GROUPS_IN_FLIGHT groups are there, each chained on the one before it (the worker
   * keeps the last hash it made), and the main thread stores signed groups in order, one
   * transaction and one fsync each. So signing (worker) and storing (main thread) overlap, and
   * the worker never waits for the main thread to hand it the next group.
   *
   * A batch with a check goes to the signer only when no group is in flight, so that the check
   * sees every earlier batch committed; until its commit, all writes to this origin's log and
   * view go through this loop. If a group fails to sign or to store, the groups signed after it
   * chain from entries that were never stored: their batches go back to the queue, to be signed
   * again from the committed head.
   */
  private pump(): void {
    this.hand();
    if (this.storing || this.inflight.length === 0) return;
    this.storing = this.store().finally(() => {
      this.storing = undefined;
      // Batches queued while the loop was finishing would otherwise wait for the next append.
      this.pump();
    });
  }

  /** Hands queued batches to the signer while there is room in the pipeline. */
  private hand(): void {
    if (this.failure) {
      for (const job of this.queue.splice(0)) job.reject(this.failure);
      return;
    }
    if (this.gateWait || (this.queue.length > 0 && this.held())) return;
    while (this.queue.length > 0 && this.inflight.length < MAX_GROUPS_IN_FLIGHT) {
      const jobs = this.takeGroup({ uncheckedOnly: this.inflight.length > 0 });
      if (jobs.length === 0) {
        // The next batch has a check: it waits for the groups in flight to be stored.
        if (this.inflight.length > 0) return;
        // Every batch taken failed its check: look again.
        continue;
      }
      const items = itemsOf(jobs);
      if (this.inflight.length === 0 && items.length <= SIGN_HERE_MAX_ENTRIES) this.signAndStoreHere(jobs, items);
      else this.inflight.push(this.startGroup(jobs, items));
    }
  }

  /** Whether the gate holds the queue now (rejecting it, or waiting until it asks again). */
  private held(): boolean {
    const held = this.gate?.hold(this.current);
    if (!held) return false;
    if (held instanceof DtxError) {
      for (const job of this.queue.splice(0)) job.reject(held);
      return true;
    }
    this.gateWait = held.finally(() => {
      this.gateWait = undefined;
      if (!this.closed) this.pump();
    });
    return true;
  }

  private async store(): Promise<void> {
    while (this.inflight.length > 0) {
      const group = this.inflight[0]!;
      let signed: SignedGroup;
      try {
        signed = await group.signing;
        // Dropped while it was signed (adopt): its batches are back in the queue.
        if (this.inflight[0] !== group) continue;
      } catch (err) {
        if (this.inflight[0] !== group) continue;
        this.inflight.shift();
        for (const job of group.jobs) job.reject(err);
        this.requeueInflight();
        this.hand();
        continue;
      }
      this.inflight.shift();
      try {
        this.storeGroup(group.jobs, signed);
      } catch (err) {
        for (const job of group.jobs) job.reject(err);
        this.requeueInflight();
      }
      this.hand();
    }
  }

  /** The groups in flight were chained on a group that is not stored: back to the queue, in order. */
  private requeueInflight(): void {
    const stale = this.inflight.splice(0);
    this.queue.unshift(...stale.flatMap((group) => group.jobs));
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

  /** A small group while nothing is in flight: signed on this thread and stored at once. */
  private signAndStoreHere(jobs: readonly Job[], items: readonly PendingEntry[]): void {
    const start = this.current ?? { epoch: OWN_EPOCH, seq: 0, hash: ZERO_HASH };
    const timestampMs = this.nextTimestamp();
    try {
      const signed = signedBatch(signRun(this.key, { epoch: start.epoch, startSeq: start.seq + 1, prevHash: start.hash, timestampMs, ...packPayloads(items) }));
      this.storeGroup(jobs, signedGroup(start, timestampMs, signed, items.length));
    } catch (err) {
      for (const job of jobs) job.reject(err);
    }
  }

  /** Timestamps never go backwards, also across groups signed ahead of their commit. */
  private nextTimestamp(): number {
    const timestampMs = Math.max(this.clock(), this.lastTimestamp, this.signedTimestamp);
    this.signedTimestamp = timestampMs;
    return timestampMs;
  }

  private startGroup(jobs: Job[], items: readonly PendingEntry[]): PendingGroup {
    const previous = this.inflight.at(-1);
    // Chained on the group before it in the worker (whose hash is not known here yet), or on
    // the committed head, whose hash resets the worker's chain after a failure.
    const start = previous ? { ...previous.end, hash: undefined } : (this.current ?? { epoch: OWN_EPOCH, seq: 0, hash: ZERO_HASH });
    const timestampMs = this.nextTimestamp();
    const end = { epoch: start.epoch, seq: start.seq + items.length };
    const signing = this.signer.sign(start, timestampMs, items).then((signed) => signedGroup(start, timestampMs, signed, items.length));
    // A group dropped after an earlier failure is never awaited: its rejection is expected.
    signing.catch(() => undefined);
    return { jobs, end, signing };
  }

  private storeGroup(jobs: readonly Job[], group: SignedGroup): void {
    if (this.failure) throw this.failure;
    const { start, timestampMs, signed } = group;
    const results: AppendedEntry[][] = [];
    let index = 0;
    this.commit(() => {
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
    });
    // Only after commit does the head the next group chains on move, and only once the commit
    // is on disk do callers hear back and others see the entries.
    const head = group.end;
    this.current = head;
    this.lastTimestamp = timestampMs;
    const announce = () => {
      // After a failed sync nothing more is announced: it would build on what may be lost.
      if (this.failure) {
        for (const job of jobs) job.reject(this.failure);
        return;
      }
      // Never back: entries adopted from a peer meanwhile may already lie beyond this group.
      if (!this.durable || isAfter(head, this.durable)) this.durable = head;
      jobs.forEach((job, i) => job.resolve(results[i]!));
      for (const listener of this.listeners) listener(this.originIdx, head);
    };
    if (!this.durableSync) {
      announce();
      return;
    }
    // Syncs may complete out of order: each group is announced after the one before it.
    // A small group with nothing else to store or sign flushes here: the main thread has nothing
    // better to do for that 0.2 ms, and the thread pool's round trip wakes a thread and then this
    // one again, which costs more on this project's virtual machines (see signAndStoreHere).
    const alone = this.inflight.length === 0 && this.queue.length === 0 && group.end.seq - start.seq <= SIGN_HERE_MAX_ENTRIES;
    const synced = this.durableSync(alone);
    this.announced = Promise.all([this.announced, synced]).then(announce, (err: unknown) => this.failDurability(jobs, err));
  }

  /**
   * The disk did not confirm a write: what is committed may or may not survive a power cut, and
   * a later fsync could succeed without having written it. Like a database server, stop
   * appending: the node must restart, and recovers from what the disk holds.
   */
  private failDurability(jobs: readonly Job[], err: unknown): void {
    this.failure ??= new DtxError('INTERNAL', `the log could not be written to disk (${(err as Error).message}); restart the node`, { cause: err });
    for (const job of jobs) job.reject(this.failure);
  }

  /** Waits for batches in flight, then stops the signer. */
  async close(): Promise<void> {
    this.closed = true;
    // Batches the gate holds would wait for it past the node's end: nothing of them is stored.
    if (this.gateWait) for (const job of this.queue.splice(0)) job.reject(new DtxError('UNAVAILABLE', 'the node is stopping; nothing of this batch was stored'));
    while (this.storing) await this.storing;
    await this.announced;
    await this.signer.close();
  }
}
