/**
 * Everything federation on one node: the roster, the outbox that serves subscribers, the
 * applier of what peers send, and one link per peer this node subscribes to. Roster changes
 * take effect at once: links start and stop, and a removed peer's open streams are cut.
 */
import { issuePeerToken } from '../../shared/auth/peer-tokens.js';
import type { SigningKey } from '../../shared/crypto.js';
import { DtxError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { publicKeyFromNodeId } from '../../shared/node-id.js';
import type { NodeConfig } from '../config/config.js';
import type { Db } from '../db/database.js';
import type { IndicatorStore } from '../db/indicator-store.js';
import type { SightingStore } from '../db/sighting-store.js';
import type { LogStore, OriginRow } from '../db/log-store.js';
import { PeerStore } from '../db/peer-store.js';
import { QuarantineStore } from '../db/quarantine-store.js';
import type { AppendHub } from '../log/append-hub.js';
import { Applier, type OwnLog } from './applier.js';
import { OWN_LOG_WAIT_MS, OwnLogGate } from './own-log-gate.js';
import { DEFAULT_OUTBOX, Outbox } from './outbox.js';
import { PeerLink, type LinkState, type PeerHead } from './peer-link.js';
import type { PeerRoots } from './peer-roots.js';
import { Roster } from './roster.js';
import type { ReloadOutcome } from '../config/file-stamp.js';
import { liftStoredHalt, storedHalts, storedHeads, type HaltView } from './stored-state.js';

export const SUBSCRIBE_METHOD = '/dtx.v1.SyncService/Subscribe';

const MIN_IDLE_TIMEOUT_MS = 15_000;

/** Why a subscriber's stream ends when this node removes it from the roster. */
const REMOVED = new DtxError('PERMISSION_DENIED', 'this node removed you from its roster');

export interface FederationDeps {
  db: Db;
  key: SigningKey;
  nodeId: string;
  config: NodeConfig;
  logStore: LogStore;
  indicatorStore: IndicatorStore;
  sightingStore: SightingStore;
  hub: AppendHub;
  logger: Logger;
  clock: () => number;
  /** An origins row as it may be served (this node's own log ends at its durable head). */
  servable: (row: OriginRow) => OriginRow;
  /** This node's own log, which takes back own entries that peers hold and it lacks. */
  ownLog: OwnLog;
  /** Told after each received message is stored. */
  afterApply?: () => void;
  /** The roots trusted for https:// peers (tlsCa), reloaded when the file changes. */
  peerRoots: PeerRoots;
}

export interface OriginLag {
  entries: number;
  seconds: number;
}

export interface PeerStatusView {
  id: string;
  url: string;
  name: string;
  /** "stopped" when read from a stopped node's database. */
  state: LinkState | 'stopped';
  lastError: string;
  lag: Record<string, OriginLag>;
  applied: number;
  duplicates: number;
  rejected: Record<string, number>;
  connectedSinceMs: number;
}

export class Federation {
  readonly roster: Roster;
  readonly outbox: Outbox;
  readonly applier: Applier;
  readonly peerStore: PeerStore;
  readonly quarantine: QuarantineStore;
  private readonly links = new Map<string, PeerLink>();
  private readonly streams = new Map<string, Set<AbortController>>();
  private readonly originIdx = new Map<string, number>();
  private started = false;
  private startedAt = 0;
  /** Asked by the sequencer before it signs (own-log-gate.ts). */
  readonly ownLogGate: OwnLogGate;

  constructor(private readonly deps: FederationDeps) {
    this.peerStore = new PeerStore(deps.db);
    this.quarantine = new QuarantineStore(deps.db);
    this.roster = new Roster(this.peerStore, deps.nodeId, deps.clock);
    this.outbox = new Outbox(deps.logStore, deps.hub, { ...DEFAULT_OUTBOX, heartbeatMs: deps.config.syncHeartbeatMs }, deps.servable);
    this.applier = new Applier(
      deps.db,
      deps.logStore,
      deps.indicatorStore,
      deps.sightingStore,
      this.peerStore,
      this.quarantine,
      this.roster,
      deps.hub,
      deps.logger,
      { verifyEvery: deps.config.syncVerify === 'every', quarantineLimit: 10_000, afterApply: deps.afterApply },
      deps.clock,
      deps.ownLog,
    );
    this.ownLogGate = new OwnLogGate(deps.logger, deps.nodeId, () => this.links.values(), () => this.startedAt + OWN_LOG_WAIT_MS, deps.clock);
    this.roster.onChange(({ kind, peer }) => {
      if (kind === 'removed') for (const controller of this.streams.get(peer.nodeId) ?? []) controller.abort(REMOVED);
      // Streams that refused the new member's entries as unknown would go on refusing them:
      // they are replaced, and the new streams bring those entries again.
      this.replaceLinks((link) => kind !== 'removed' && link.refusedAsUnknown(peer.nodeId));
    });
  }

  /** Starts subscribing to the roster's peers. */
  start(): void {
    this.started = true;
    this.startedAt = this.deps.clock();
    this.deps.peerRoots.start();
    void this.reconcile();
  }

  /** Uses the tlsCa file's roots if it changed and passes the checks; undefined when none is set. */
  reloadRoots(): ReloadOutcome | undefined {
    return this.deps.peerRoots.check();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.deps.peerRoots.stop();
    for (const set of this.streams.values()) for (const controller of set) controller.abort();
    await Promise.all([...this.links.values()].map((link) => link.stop()));
    this.links.clear();
    await this.applier.close();
  }

  /** Registers a subscriber's stream so that removing the peer cuts it; returns its signal. */
  openStream(peer: string, callSignal: AbortSignal): { signal: AbortSignal; close: () => void } {
    const controller = new AbortController();
    const onCall = () => controller.abort();
    callSignal.addEventListener('abort', onCall, { once: true });
    let set = this.streams.get(peer);
    if (!set) this.streams.set(peer, (set = new Set()));
    set.add(controller);
    return {
      signal: controller.signal,
      close: () => {
        callSignal.removeEventListener('abort', onCall);
        set.delete(controller);
        if (set.size === 0) this.streams.delete(peer);
      },
    };
  }

  /** Stops the links that match, then reconciles: the roster's peers get fresh links. */
  private replaceLinks(match: (link: PeerLink) => boolean): void {
    const stale: PeerLink[] = [];
    for (const [id, link] of this.links) {
      if (!match(link)) continue;
      this.links.delete(id);
      stale.push(link);
    }
    void Promise.all(stale.map((link) => link.stop())).then(() => {
      if (this.started) return this.reconcile();
    });
  }

  private async reconcile(): Promise<void> {
    // A peer that forked is not dialled again (its evidence is kept; status shows it halted).
    const wanted = new Map(this.roster.peers().filter((p) => p.subscribe && !this.isOriginHalted(p.nodeId)).map((p) => [p.nodeId, p]));
    const stopping: Promise<void>[] = [];
    for (const [id, link] of this.links) {
      const peer = wanted.get(id);
      if (!peer || peer.url !== link.peer.url) {
        this.links.delete(id);
        stopping.push(link.stop());
      }
    }
    await Promise.all(stopping);
    if (!this.started) return;
    for (const [id, peer] of wanted) {
      if (this.links.has(id)) continue;
      const link = new PeerLink(peer, {
        applier: this.applier,
        ownId: this.deps.nodeId,
        ownKey: this.deps.key.publicKey,
        tlsRoots: () => this.deps.peerRoots.current,
        cursors: () => storedHeads(this.deps.logStore),
        token: (audience) => issuePeerToken(this.deps.key.privateKeyObject, this.deps.nodeId, audience, SUBSCRIBE_METHOD),
        peerHalted: (peerId) => this.isOriginHalted(peerId),
        logger: this.deps.logger,
        // Silence means a dead peer only after three heartbeats and never under 15 s: a busy peer
        // assembling a large backfill message sends no heartbeat meanwhile, and giving up on it
        // would throw the work away again and again. Dead connections show up sooner through
        // HTTP/2 keepalive pings and resets.
        idleTimeoutMs: Math.max(this.deps.config.syncHeartbeatMs * 3, MIN_IDLE_TIMEOUT_MS),
        clock: this.deps.clock,
      });
      this.links.set(id, link);
      link.start();
    }
  }

  isOriginHalted(nodeId: string): boolean {
    // Asked on every message a link receives: origin numbers never change, so remember them.
    let idx = this.originIdx.get(nodeId);
    if (idx === undefined) {
      idx = this.deps.logStore.originByKey(publicKeyFromNodeId(nodeId))?.idx;
      if (idx === undefined) return false;
      this.originIdx.set(nodeId, idx);
    }
    return this.applier.isHalted(idx);
  }

  halts(): HaltView[] {
    return storedHalts(this.peerStore, this.deps.logStore);
  }

  /**
   * Lifts the halt of an origin that forked: its entries are accepted again, those that extend
   * the log this node holds. Streams that refused the origin would go on refusing it, and a
   * peer that is the origin is no longer dialled: those links are replaced.
   */
  liftHalt(originId: string): HaltView {
    const lifted = liftStoredHalt(this.peerStore, this.deps.logStore, originId);
    this.applier.liftHalt(lifted.origin);
    this.replaceLinks((link) => link.peer.nodeId === originId || link.refused(originId));
    this.deps.logger.warn({ origin: originId, reason: lifted.reason, seq: lifted.seq, since: lifted.since }, 'halt lifted: entries of the origin are accepted again');
    return lifted;
  }

  peerStatus(): PeerStatusView[] {
    const own = new Map(this.outbox.heads().map((h) => [h.origin, h]));
    return this.roster.peers().map((peer) => {
      const link = this.links.get(peer.nodeId);
      const lag: Record<string, OriginLag> = {};
      for (const [origin, theirs] of link?.heads ?? []) {
        const mine = own.get(origin);
        const behind = !mine || mine.epoch < theirs.epoch || (mine.epoch === theirs.epoch && mine.seq < theirs.seq);
        lag[origin] = behind
          ? { entries: mine && mine.epoch === theirs.epoch ? theirs.seq - mine.seq : theirs.seq, seconds: Math.max(0, (theirs.timestampMs - (mine?.timestampMs ?? theirs.timestampMs)) / 1000) }
          : { entries: 0, seconds: 0 };
      }
      const halted = this.isOriginHalted(peer.nodeId);
      return {
        id: peer.nodeId,
        url: peer.url,
        name: peer.name,
        state: halted ? 'halted' : link ? link.state : 'idle',
        lastError: halted ? 'this node halted the peer as an origin (it forked)' : (link?.lastError ?? ''),
        lag,
        applied: link?.counters.applied ?? 0,
        duplicates: link?.counters.duplicates ?? 0,
        rejected: Object.fromEntries(link?.counters.rejected ?? []),
        connectedSinceMs: link?.connectedSince ?? 0,
      };
    });
  }

  /** The peer's heads as last heard (for tests and status). */
  peerHeads(peerId: string): ReadonlyMap<string, PeerHead> {
    return this.links.get(peerId)?.heads ?? new Map();
  }
}
