/**
 * The typed DTX client: publish, fetch, look up, retract, read and verify logs.
 * Nothing here trusts the server for integrity: logs read through it are checked against
 * their origins' signatures and chains by the caller (see verifyNodeLog).
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { IndicatorInputSchema, Indicator, RetractReason } from '../shared/gen/dtx/v1/indicator_pb.js';
import { IndicatorService, LookupView, type LookupMatch, type LookupResult, type PublishedItem, type SightingInputSchema } from '../shared/gen/dtx/v1/indicator_service_pb.js';
import { LogService, type Head } from '../shared/gen/dtx/v1/log_service_pb.js';
import { NodeService, type GetNodeInfoResponse } from '../shared/gen/dtx/v1/node_service_pb.js';
import { PeerService, type AddPeerResponse, type GetStatusResponse, type HaltedOrigin, type ListQuarantineResponse, type Peer } from '../shared/gen/dtx/v1/peer_service_pb.js';
import type { SignedEntry } from '../shared/log/entry.js';
import { writeLookupRequest } from '../shared/wire/lookup-writers.js';
import { writePublishRequest, type IndicatorInputFields } from '../shared/wire/publish-writer.js';
import { readLookupResponse } from '../shared/wire/lookup-response-reader.js';
import { LookupStream } from './lookup-stream.js';
import { Transport, type TransportOptions } from './transport.js';

export type IndicatorInputInit = MessageInitShape<typeof IndicatorInputSchema>;
export type SightingInputInit = MessageInitShape<typeof SightingInputSchema>;

export interface LookupOptions {
  includeRetracted?: boolean;
  includeExpired?: boolean;
}

export interface ReadLogOptions {
  /** Origin node id; omitted means the node's own log. */
  origin?: string;
  afterSeq?: number;
  afterEpoch?: number;
  limit?: number;
}

function lookupRequest(queries: { kind: string; value: string }[], options: LookupOptions, view: LookupView): Uint8Array {
  return writeLookupRequest({
    queries,
    includeRetracted: options.includeRetracted ?? false,
    includeExpired: options.includeExpired ?? false,
    view,
  });
}

/**
 * Lookups of fewer queries than this go over the lookup stream; larger batches are unary calls,
 * so that a long batch never holds up the single lookups queued behind it on the stream (the
 * node answers a stream's lookups one at a time).
 */
const STREAMED_QUERIES = 512;

export class DtxClient {
  private readonly transport: Transport;
  private readonly stream: LookupStream | undefined;

  constructor(options: TransportOptions) {
    this.transport = new Transport(options);
    if (options.lookupStream ?? true) this.stream = new LookupStream(this.transport, options.timeoutMs ?? 30_000, (request) => this.unaryLookup(request));
  }

  private lookupCall(queries: readonly unknown[], request: Uint8Array) {
    return this.stream && queries.length < STREAMED_QUERIES ? this.stream.lookup(request) : this.unaryLookup(request);
  }

  private unaryLookup(request: Uint8Array) {
    return this.transport.unary(IndicatorService.method.lookupIndicators, request, readLookupResponse);
  }

  async publish(items: IndicatorInputInit[]): Promise<PublishedItem[]> {
    // The direct writer covers every valid indicator; it declines oddities (negative times),
    // which then go through the generated encoder so the node can name the bad field.
    const request = writePublishRequest(items as IndicatorInputFields[]) ?? { items };
    const response = await this.transport.unary(IndicatorService.method.publish, request);
    return response.items;
  }

  async getIndicator(id: string): Promise<Indicator> {
    const response = await this.transport.unary(IndicatorService.method.getIndicator, { id });
    return response.indicator!;
  }

  async lookup(queries: { kind: string; value: string }[], options: LookupOptions = {}): Promise<LookupResult[]> {
    return (await this.lookupCall(queries, lookupRequest(queries, options, LookupView.FULL))).results;
  }

  /** Compact matches (id, origin, action, confidence, expiry) in query order: for gateways and big batches. */
  async lookupMatches(queries: { kind: string; value: string }[], options: LookupOptions = {}): Promise<LookupMatch[]> {
    return (await this.lookupCall(queries, lookupRequest(queries, options, LookupView.MATCHES))).matches;
  }

  async retract(id: string, reason: RetractReason, comment = ''): Promise<number> {
    const response = await this.transport.unary(IndicatorService.method.retractIndicator, { id, reason, comment });
    return Number(response.seq);
  }

  /** Reports sightings of indicators the node holds; returns each one's log position. */
  async reportSightings(items: SightingInputInit[]): Promise<number[]> {
    const response = await this.transport.unary(IndicatorService.method.reportSightings, { items });
    return response.seqs.map(Number);
  }

  /** Adds a member to the node's roster (admin); subscribes to it unless noSubscribe. */
  addPeer(peer: { id: string; url: string; name?: string; noSubscribe?: boolean }): Promise<AddPeerResponse> {
    return this.transport.unary(PeerService.method.addPeer, { id: peer.id, url: peer.url, name: peer.name ?? '', noSubscribe: peer.noSubscribe ?? false });
  }

  async removePeer(id: string): Promise<void> {
    await this.transport.unary(PeerService.method.removePeer, { id });
  }

  async listPeers(): Promise<Peer[]> {
    return (await this.transport.unary(PeerService.method.listPeers, {})).peers;
  }

  /** Lifts the halt of an origin that forked (admin); returns the halt, with its evidence. */
  async liftHalt(origin: string): Promise<HaltedOrigin> {
    return (await this.transport.unary(PeerService.method.liftHalt, { origin })).lifted!;
  }

  /**
   * Entries peers sent that the node did not apply, newest first, with the reason (admin).
   * Page with beforeId: the last id of the previous page.
   */
  listQuarantine(filter: { peer?: string; origin?: string; reason?: string; limit?: number; beforeId?: bigint } = {}): Promise<ListQuarantineResponse> {
    return this.transport.unary(PeerService.method.listQuarantine, filter);
  }

  /** Heads, peers with state, error and lag, halted origins (admin). */
  status(): Promise<GetStatusResponse> {
    return this.transport.unary(PeerService.method.getStatus, {});
  }

  nodeInfo(): Promise<GetNodeInfoResponse> {
    return this.transport.unary(NodeService.method.getNodeInfo, {});
  }

  async listHeads(): Promise<Head[]> {
    return (await this.transport.unary(LogService.method.listHeads, {})).heads;
  }

  /** Streams an origin's log in batches, exactly as signed. */
  async *readLog(options: ReadLogOptions = {}): AsyncGenerator<SignedEntry[]> {
    const stream = this.transport.serverStream(LogService.method.readLog, {
      origin: options.origin ?? '',
      afterSeq: BigInt(options.afterSeq ?? 0),
      afterEpoch: options.afterEpoch ?? 0,
      limit: BigInt(options.limit ?? 0),
    });
    for await (const message of stream) yield message.entries;
  }

  ready(timeoutMs?: number): Promise<void> {
    return this.transport.ready(timeoutMs);
  }

  close(): void {
    this.stream?.close();
    this.transport.close();
  }
}
