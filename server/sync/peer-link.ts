/**
 * This node's subscription to one peer: a resumable Subscribe whose cursors are the heads in
 * the database, each message verified and applied before the next is read (so grpc-js
 * backpressure reaches the peer), and the state, error and lag that `dtx status` reports.
 */
import { resumableSubscription, type CursorFields, type SubscriptionEvent } from '../../client/index.js';
import { readAhead } from './read-ahead.js';
import type { Logger } from '../../shared/logger.js';
import type { PeerRow } from '../db/peer-store.js';
import type { Applier } from './applier.js';
import { newCounters, newStreamState, type PeerCounters, type StreamState } from './stream-state.js';
import { ownHeadDoubt } from './own-head-proof.js';
import { isLoopbackHost, parseDialTarget } from '../../shared/net-address.js';
import type { SyncHead } from '../../shared/gen/dtx/v1/sync_service_pb.js';

const PROGRESS_MS = 10_000;

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'halted' | 'idle';

export interface PeerHead {
  epoch: number;
  seq: number;
  timestampMs: number;
}

export interface LinkDeps {
  applier: Applier;
  /** This node's id and public key: the peer's heads of this origin must carry its signature. */
  ownId: string;
  ownKey: Uint8Array;
  /** PEM roots trusted for an https:// peer, asked at each connection; the system's when undefined. */
  tlsRoots: () => Uint8Array | undefined;
  /** This node's heads, as cursors. */
  cursors: () => CursorFields[];
  /** A fresh peer token for Subscribe at `audience`. */
  token: (audience: string) => Promise<string>;
  /** Whether this node halted the peer's own origin (it forked): then stop dialling it. */
  peerHalted: (peerId: string) => boolean;
  logger: Logger;
  idleTimeoutMs: number;
  clock: () => number;
}

export class PeerLink {
  state: LinkState = 'connecting';
  lastError = '';
  connectedSince = 0;
  readonly counters: PeerCounters = newCounters();
  /** The peer's heads per origin, from its heartbeats. */
  readonly heads = new Map<string, PeerHead>();
  /**
   * Settles once the peer has told its heads (the first message of a stream), or the first
   * attempt to subscribe failed, or the link stopped: until then this node cannot know whether
   * the peer holds entries of its own log that it lacks (own-log-gate.ts).
   */
  readonly heard: Promise<void>;
  private heardYet = false;
  private hear!: () => void;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  /** The current stream's positions and refusals; undefined between streams. */
  private stream: StreamState | undefined;
  /** The last unproven claim about this node's own log that was logged, so that each is logged once. */
  private doubted = '';

  constructor(
    readonly peer: PeerRow,
    private readonly deps: LinkDeps,
  ) {
    this.heard = new Promise((resolve) => {
      this.hear = () => {
        this.heardYet = true;
        resolve();
      };
    });
  }

  /** Whether `heard` has settled. */
  get isHeard(): boolean {
    return this.heardYet;
  }

  start(): void {
    this.running ??= this.run().catch((err: unknown) => {
      this.lastError = (err as Error).message;
      this.deps.logger.error({ err, peer: this.peer.nodeId }, 'peer link stopped on an unexpected error');
    }).finally(() => this.hear());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /**
   * Whether the current stream refused `origin` as unknown. A stream refuses the rest of an
   * origin after refusing one entry, so trusting that origin later needs a new stream.
   */
  refusedAsUnknown(origin: string): boolean {
    return this.stream?.rejected.get(origin) === 'UNKNOWN_ORIGIN';
  }

  /** Whether the current stream refused `origin`, for any reason. */
  refused(origin: string): boolean {
    return this.stream?.rejected.has(origin) ?? false;
  }

  private progress = { atMs: 0, applied: 0 };

  /** A long catch-up logs how it goes every PROGRESS_MS, so an operator is never left guessing. */
  private reportProgress(): void {
    const now = this.deps.clock();
    if (this.progress.atMs === 0) this.progress = { atMs: now, applied: this.counters.applied };
    if (now - this.progress.atMs < PROGRESS_MS || this.counters.applied === this.progress.applied) return;
    const rate = Math.round(((this.counters.applied - this.progress.applied) * 1000) / (now - this.progress.atMs));
    this.deps.logger.info({ peer: this.peer.nodeId, applied: this.counters.applied, perSecond: rate, duplicates: this.counters.duplicates }, 'receiving from peer');
    this.progress = { atMs: now, applied: this.counters.applied };
  }

  /** Records one of the peer's heads; of this node's own log, only a head it signed. */
  private noteHead(h: SyncHead): void {
    if (h.origin === this.deps.ownId) {
      const doubt = ownHeadDoubt(h, this.deps.ownKey);
      if (doubt) {
        this.lastError = `claimed this node's own log at ${doubt}; ignored`;
        if (this.doubted !== doubt) this.deps.logger.warn({ peer: this.peer.nodeId }, `peer ${this.lastError}`);
        this.doubted = doubt;
        return;
      }
    }
    this.heads.set(h.origin, { epoch: h.epoch, seq: Number(h.seq), timestampMs: Number(h.timestampMs) });
  }

  private async run(): Promise<void> {
    const { deps, peer } = this;
    const target = parseDialTarget(peer.url, 'url');
    if (!target.tls && !isLoopbackHost(target.host)) {
      deps.logger.warn({ peer: peer.nodeId, url: peer.url }, 'dialling a peer in plain text beyond loopback: its entries and this node\'s peer tokens cross the network in clear; use https:// (docs/operations.md, TLS)');
    }
    const events = resumableSubscription({
      address: peer.url,
      tlsRoots: deps.tlsRoots,
      cursors: deps.cursors,
      token: () => deps.token(peer.nodeId),
      idleTimeoutMs: deps.idleTimeoutMs,
      signal: this.abort.signal,
    });
    // A message's hashing starts on a worker as it arrives, during the previous one's storing.
    const digestOnArrival = (event: SubscriptionEvent) => (event.kind === 'message' ? deps.applier.digest(event.response.entries) : undefined);
    for await (const { item: event, arrival: digests } of readAhead(events, digestOnArrival)) {
      if (deps.peerHalted(peer.nodeId)) {
        this.state = 'halted';
        this.lastError = 'this node halted the peer as an origin (it forked); not subscribing';
        this.abort.abort();
        continue;
      }
      switch (event.kind) {
        case 'connecting':
          if (event.attempt > 1) this.state = 'reconnecting';
          break;
        case 'opened':
          this.stream = newStreamState(event.cursors.map((c) => ({ origin: c.origin, epoch: c.epoch, seq: Number(c.seq) })));
          this.state = 'connected';
          this.connectedSince = deps.clock();
          deps.logger.info({ peer: peer.nodeId }, 'subscribed to peer');
          break;
        case 'message': {
          const { entries, heads } = event.response;
          if (entries.length > 0) await deps.applier.apply(peer.nodeId, entries, this.stream!, this.counters, digests);
          for (const h of heads) this.noteHead(h);
          this.hear();
          this.reportProgress();
          break;
        }
        case 'failed':
          this.stream = undefined;
          this.state = 'reconnecting';
          this.lastError = event.error.message;
          this.connectedSince = 0;
          this.hear();
          deps.logger.warn({ peer: peer.nodeId, code: event.error.code, retryInMs: event.retryInMs }, `peer subscription failed: ${event.error.message}`);
          break;
      }
    }
  }
}
