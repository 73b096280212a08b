/**
 * Verifies and applies what a peer sends. Every entry is checked against this node's own view
 * of its origin's chain: payload hash, link to the held head, and signature (one per origin run
 * per batch: the last entry's signature vouches for the run through the hash links, as
 * DESIGN.md section 2 says; or every one when configured). What extends a chain is stored with
 * its view updates and the new head in one transaction, so a crash never applies anything twice
 * or loses what was acknowledged. What does not is quarantined with the reason and counted;
 * other origins in the same batch carry on.
 */
import { verifySignature } from '../../shared/crypto.js';
import { bytesEqual } from '../../shared/encoding/hex.js';
import { DtxError, type ErrorCode } from '../../shared/errors.js';
import { PayloadType } from '../../shared/gen/dtx/v1/log_pb.js';
import { Tlp } from '../../shared/gen/dtx/v1/indicator_pb.js';
import type { ChainHead } from '../../shared/log/chain-verifier.js';
import { checkDigestedEntry, checkEntry, entryHash, type SignedEntry } from '../../shared/log/entry.js';
import { decodeHeader, type EntryHeader } from '../../shared/log/entry-header.js';
import type { Logger } from '../../shared/logger.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { transactionRunner, unsyncedTransactions, type Db } from '../db/database.js';
import type { IndicatorStore } from '../db/indicator-store.js';
import type { SightingStore } from '../db/sighting-store.js';
import type { LogStore, OriginRow } from '../db/log-store.js';
import type { HaltRow, PeerStore } from '../db/peer-store.js';
import type { QuarantineRow, QuarantineStore } from '../db/quarantine-store.js';
import type { AppendHub } from '../log/append-hub.js';
import { compare, place, type Position } from './entry-check.js';
import type { PeerCounters, StreamState } from './stream-state.js';
import { forkEvidence, tryReadIndicator, type Accepted, type Item, type Run } from './received-entry.js';
import { VerifyPool, type Digests } from './verify-pool.js';
import { ViewUpdater } from './view-updater.js';
import type { Roster } from './roster.js';

/**
 * This node's own log (the sequencer), told when entries of it came from a peer: a node restored
 * from an older copy of its database takes back what it had signed since, instead of signing
 * different entries for those positions (a fork).
 */
export interface OwnLog {
  adopt(head: ChainHead, timestampMs: number): void;
}

export interface ApplierOptions {
  /** Verify every signature, not one per origin run. */
  verifyEvery: boolean;
  /** Quarantined rows kept per peer; beyond this, rejections are only counted. */
  quarantineLimit: number;
  /** Told after each message's entries are stored (the lookup index merger keeps pace). */
  afterApply?: () => void;
}

/**
 * Messages at least this large are hashed on a worker thread as they arrive (catch-up sends
 * thousands of entries per message; live traffic a few).
 */
const DIGEST_MIN_ENTRIES = 256;

/** What an entries row holds of an accepted entry. */
const entryColumns = (a: Accepted) => ({ epoch: a.header.epoch, seq: a.header.seq, header: a.entry.header, signature: a.entry.signature, payload: a.entry.payload });

export class Applier {
  private readonly halted = new Set<number>();
  private readonly view: ViewUpdater;
  /** Commits without waiting for fsync (relayed entries can be fetched again), and with. */
  private readonly unsynced: (fn: () => void) => void;
  private readonly synced: (fn: () => void) => void;
  private pool: VerifyPool | undefined;
  /** Signature results of the message being applied, when workers checked them. */
  private signatures: Map<SignedEntry, boolean> | undefined;
  /** Hashes of the message being applied, when a worker computed them (by entry index). */
  private digests: Digests | undefined;

  constructor(
    db: Db,
    private readonly logStore: LogStore,
    private readonly indicators: IndicatorStore,
    sightings: SightingStore,
    private readonly peers: PeerStore,
    private readonly quarantine: QuarantineStore,
    private readonly roster: Roster,
    private readonly hub: AppendHub,
    private readonly logger: Logger,
    private readonly options: ApplierOptions,
    private readonly clock: () => number,
    private readonly ownLog: OwnLog,
  ) {
    for (const halt of peers.halts()) this.halted.add(halt.origin);
    this.view = new ViewUpdater(indicators, sightings, logger);
    this.unsynced = unsyncedTransactions(db);
    this.synced = transactionRunner(db);
  }

  isHalted(originIdx: number): boolean {
    return this.halted.has(originIdx);
  }

  /** Accepts the origin's entries again (its halt row is already gone). */
  liftHalt(originIdx: number): void {
    this.halted.delete(originIdx);
  }

  /**
   * Verifies and applies one message's entries from `peer`. Never throws for bad entries.
   * With verifyEvery, signatures are checked on worker threads first; everything after that
   * (placing entries against the heads, storing) runs in one synchronous stretch, so two peers'
   * messages never interleave between reading a head and advancing it.
   */
  async apply(peer: string, entries: readonly SignedEntry[], stream: StreamState, counters: PeerCounters, digests?: Promise<Digests | undefined>): Promise<void> {
    let verified: Map<SignedEntry, boolean> | undefined;
    if (this.options.verifyEvery && entries.length > 0) {
      this.pool ??= new VerifyPool();
      const flags = await this.pool.verify(entries);
      verified = new Map(entries.map((e, i) => [e, flags[i]!]));
    }
    this.signatures = verified;
    this.digests = await digests;
    try {
      this.applyNow(peer, entries, stream, counters);
    } finally {
      this.signatures = undefined;
      this.digests = undefined;
    }
  }

  /**
   * Starts hashing a large message on a worker thread as it arrives, while the main thread is
   * still storing the one before: pass the result to `apply`. Undefined for a small message
   * (live traffic, where the round trip to a worker would only add latency); resolves to
   * undefined if the worker fails, and the applier hashes the entries itself.
   */
  digest(entries: readonly SignedEntry[]): Promise<Digests | undefined> | undefined {
    if (entries.length < DIGEST_MIN_ENTRIES) return undefined;
    this.pool ??= new VerifyPool();
    return this.pool.digest(entries).catch((err: unknown) => {
      this.logger.warn({ err }, 'hashing a received message on a worker thread failed; hashing it here');
      return undefined;
    });
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }

  /** Whether an entry's signature verifies: from the workers' answers when there are some. */
  private signatureOk(entry: SignedEntry, header: EntryHeader): boolean {
    return this.signatures?.get(entry) ?? verifySignature(header.origin, entry.header, entry.signature);
  }

  private applyNow(peer: string, entries: readonly SignedEntry[], stream: StreamState, counters: PeerCounters): void {
    const now = this.clock();
    const rejections: QuarantineRow[] = [];
    const halts: HaltRow[] = [];
    const reject = (originId: string, entry: SignedEntry, header: EntryHeader | undefined, code: ErrorCode, detail: string) => {
      counters.rejected.set(code, (counters.rejected.get(code) ?? 0) + 1);
      rejections.push({
        peer,
        origin: originId,
        epoch: header?.epoch ?? 0,
        seq: header?.seq ?? 0,
        reason: code,
        detail,
        header: entry.header,
        signature: entry.signature,
        // An unsealed RED payload is not kept here either: this node is not a named recipient.
        payload: code === 'TLP_RED_UNSEALED' ? new Uint8Array(0) : entry.payload,
        receivedAt: now,
      });
    };

    // Group by origin, keeping each origin's order as sent.
    const groups = new Map<string, { key: Uint8Array; items: Item[] }>();
    // Runs of one origin are the norm: encode its node id once per run, not once per entry.
    let lastKey: Uint8Array | undefined;
    let lastId = '';
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index]!;
      let header: EntryHeader;
      try {
        header = decodeHeader(entry.header);
      } catch (err) {
        reject('', entry, undefined, 'MALFORMED_ENTRY', (err as Error).message);
        continue;
      }
      if (!lastKey || !bytesEqual(lastKey, header.origin)) {
        lastKey = header.origin;
        lastId = nodeIdFromPublicKey(header.origin);
      }
      const id = lastId;
      let group = groups.get(id);
      if (!group) groups.set(id, (group = { key: header.origin, items: [] }));
      group.items.push({ entry, header, index });
    }

    const runs: Run[] = [];
    for (const [originId, group] of groups) {
      const earlier = stream.rejected.get(originId);
      if (earlier) {
        // Everything after a rejected entry of this origin on this stream builds on it.
        for (const { entry, header } of group.items) reject(originId, entry, header, earlier, 'follows an entry of this stream that was rejected');
        continue;
      }
      if (!this.roster.trusts(originId)) {
        for (const { entry, header } of group.items) reject(originId, entry, header, 'UNKNOWN_ORIGIN', `origin ${originId} is not in this node's roster`);
        // Like any refusal, for the rest of this stream; trusting the origin later starts a new one.
        stream.rejected.set(originId, 'UNKNOWN_ORIGIN');
        continue;
      }
      const origin = this.logStore.originByKey(group.key);
      if (origin && this.halted.has(origin.idx)) {
        for (const { entry, header } of group.items) reject(originId, entry, header, 'ORIGIN_HALTED', 'this node halted the origin after a fork');
        // The stream has moved past these: lifting the halt replaces it (Federation.liftHalt).
        stream.rejected.set(originId, 'ORIGIN_HALTED');
        continue;
      }
      const run = this.sortRun(peer, originId, group.key, origin, group.items, stream, counters, reject, halts);
      if (run.entries.length > 0) runs.push(run);
    }

    const heads = this.store(runs, rejections, halts, peer, now);
    for (const run of runs) {
      counters.applied += run.entries.length;
      if (!run.own) continue;
      const last = run.entries[run.entries.length - 1]!;
      // The own origin's row exists: the sequencer creates it when it opens, before any sync.
      this.ownLog.adopt(heads.get(run.origin!.idx)!, last.header.timestampMs);
      this.logger.warn(
        { peer, recovered: run.entries.length, seq: last.header.seq },
        "took back entries of this node's own log from a peer: this node did not hold them (was its database restored from an older copy?)",
      );
    }
    for (const [idx, head] of heads) this.hub.notify(idx, head);
    if (runs.length > 0) this.options.afterApply?.();
  }

  /** Decides entry by entry for one origin; returns the run to store. */
  private sortRun(
    peer: string,
    originId: string,
    key: Uint8Array,
    origin: OriginRow | undefined,
    items: readonly Item[],
    stream: StreamState,
    counters: PeerCounters,
    reject: (originId: string, entry: SignedEntry, header: EntryHeader | undefined, code: ErrorCode, detail: string) => void,
    halts: HaltRow[],
  ): Run {
    const own = originId === this.roster.ownId;
    // One head object per run, moved along as entries are accepted, and the last position
    // delivered, written to the stream once at the end: an object per entry for each was a
    // good part of the garbage a million-entry catch-up made.
    let head: ChainHead | undefined = origin && origin.headSeq > 0 && origin.headHash ? { epoch: origin.headEpoch, seq: origin.headSeq, hash: origin.headHash } : undefined;
    const deliveredBefore = stream.positions.get(originId);
    let delivered: Position | undefined = deliveredBefore;
    const accepted: Accepted[] = [];
    // The first entry that cannot be applied; everything after it in this run builds on it.
    let stop: { index: number; code: ErrorCode; detail: string } | undefined;
    for (let i = 0; i < items.length && !stop; i++) {
      const { entry, header, index } = items[i]!;
      let hash: Uint8Array;
      try {
        hash = this.checked(entry, header, index);
      } catch (err) {
        stop = { index: i, code: err instanceof DtxError ? err.code : 'MALFORMED_ENTRY', detail: (err as Error).message };
        break;
      }
      const placement = place(header, head);
      const stored = placement.kind === 'held' && origin ? this.logStore.entryAt(origin.idx, header.epoch, header.seq) : undefined;
      if (stored && !bytesEqual(entryHash(stored.header, stored.signature), hash)) {
        // Checked before replays: a different entry at a held position is news, not a re-send.
        if (this.signatureOk(entry, header)) {
          // Two entries, both signed by the origin, for one position: proof of equivocation.
          halts.push(forkEvidence(origin!.idx, header, stored, entry, peer, this.clock()));
          this.halted.add(origin!.idx);
          this.logger.error({ origin: originId, seq: header.seq, via: peer }, 'fork: origin signed two different entries for one position; origin halted');
          stop = { index: i, code: 'FORK', detail: `origin signed two different entries for epoch ${header.epoch} seq ${header.seq}; origin halted` };
        } else {
          stop = { index: i, code: 'BAD_SIGNATURE', detail: `seq ${header.seq}: differs from the held entry and its signature does not verify` };
        }
        break;
      }
      if (delivered && compare(header, delivered) <= 0) {
        // A stream only moves forward from the cursor this node sent: anything else is a replay.
        reject(originId, entry, header, 'REPLAY', `seq ${header.seq} again: this stream already delivered up to seq ${delivered.seq}`);
        continue;
      }
      if (placement.kind === 'held') {
        delivered = header;
        if (stored) counters.duplicates++;
        else stop = { index: i, code: 'CHAIN_BROKEN', detail: `seq ${header.seq}: before the held head, in an epoch this node skipped` };
        continue;
      }
      if (placement.kind === 'broken') {
        stop = { index: i, code: 'CHAIN_BROKEN', detail: placement.detail };
        break;
      }
      const indicator = header.payloadType === PayloadType.INDICATOR ? tryReadIndicator(entry.payload) : undefined;
      if (indicator?.tlp === Tlp.RED) {
        // Relaying it would disclose a TLP:RED indicator beyond its named recipients.
        stop = { index: i, code: 'TLP_RED_UNSEALED', detail: `seq ${header.seq}: a TLP:RED indicator in clear; RED travels sealed only` };
        break;
      }
      delivered = header;
      accepted.push({ entry, header, hash, indicator });
      if (head) {
        head.epoch = header.epoch;
        head.seq = header.seq;
        head.hash = hash;
      } else head = { epoch: header.epoch, seq: header.seq, hash };
    }
    // A copy: the header is a view into the received message, which the stream must not keep.
    if (delivered && delivered !== deliveredBefore) stream.positions.set(originId, { epoch: delivered.epoch, seq: delivered.seq });
    // A bad signature in the run comes first: what follows it (including a later chain failure,
    // which a forged signature causes by changing the entry hash) is rejected once, for it.
    const valid = this.verifySignatures(accepted);
    if (valid < accepted.length) {
      const bad = accepted[valid]!;
      stop = { index: items.findIndex((item) => item.entry === bad.entry), code: 'BAD_SIGNATURE', detail: `seq ${bad.header.seq}: signature does not verify with the origin key` };
    }
    if (stop) {
      stream.rejected.set(originId, stop.code);
      const first = items[stop.index]!;
      reject(originId, first.entry, first.header, stop.code, stop.detail);
      for (const later of items.slice(stop.index + 1)) reject(originId, later.entry, later.header, stop.code, 'follows an entry of this stream that was rejected');
    }
    return { key, origin, entries: accepted.slice(0, valid), own };
  }

  /** Checks an entry's layout and payload hash (not its signature); returns the entry hash. */
  private checked(entry: SignedEntry, header: EntryHeader, index: number): Uint8Array {
    const d = this.digests;
    if (!d?.hashed(index)) return checkEntry(entry, { signature: false }, header).hash;
    return checkDigestedEntry(entry, header, d.ok[index] === 1, d.hashes.subarray(index * 32, (index + 1) * 32)).hash;
  }

  /** How many entries of the run, from its start, are authentic. */
  private verifySignatures(run: readonly Accepted[]): number {
    if (run.length === 0) return 0;
    const ok = (a: Accepted) => this.signatureOk(a.entry, a.header);
    if (!this.options.verifyEvery && ok(run[run.length - 1]!)) return run.length;
    // Find the first bad one (or check every one, when configured).
    for (let i = 0; i < run.length; i++) if (!ok(run[i]!)) return i;
    return run.length;
  }

  private store(runs: readonly Run[], rejections: readonly QuarantineRow[], halts: readonly HaltRow[], peer: string, now: number): Map<number, ChainHead> {
    const heads = new Map<number, ChainHead>();
    if (runs.length === 0 && rejections.length === 0 && halts.length === 0) return heads;
    // Relayed entries are committed without waiting for fsync: they can be fetched again. Halts
    // are evidence this node produced, so a batch that halts an origin waits for the disk; so
    // does one that takes back entries of this node's own log, which it signs on from at once.
    const transaction = halts.length > 0 || runs.some((run) => run.own) ? this.synced : this.unsynced;
    transaction(() => {
      for (const run of runs) {
        const origin = run.origin ?? this.logStore.ensureOrigin(run.key);
        const rowids = this.logStore.appendEntries(origin.idx, run.entries, entryColumns);
        let added = 0;
        run.entries.forEach((a, i) => {
          added += this.view.apply(origin.idx, rowids[i]!, a.header.payloadType, a.entry.payload, a.indicator);
        });
        added += this.view.flush();
        const last = run.entries[run.entries.length - 1]!;
        const head = { epoch: last.header.epoch, seq: last.header.seq, hash: last.hash };
        this.logStore.setHead(origin.idx, head, run.entries.length, added);
        heads.set(origin.idx, head);
      }
      if (rejections.length > 0) {
        let room = this.options.quarantineLimit - this.quarantine.count(peer);
        for (const row of rejections) if (room-- > 0) this.quarantine.add(row);
      }
      for (const halt of halts) this.peers.halt(halt);
    });
    if (rejections.length > 0) this.logger.warn({ peer, rejected: rejections.length, reason: rejections[0]!.reason, at: now }, 'entries from a peer were not applied');
    return heads;
  }
}
