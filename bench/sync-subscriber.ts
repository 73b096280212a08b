/**
 * The bench as a member node: a Subscribe stream to a node, authenticated with a peer token
 * signed by a key of the bench's own, that only notes when each entry arrives. It reads the
 * raw response bytes (entry seq and origin at fixed header offsets) instead of decoding them
 * into objects: with 100 streams in this process the decoding would otherwise be the bench's
 * own bottleneck and show up as lag. Each stream has its own grpc-js channel with a local
 * subchannel pool, so N subscribers are N TCP connections, as N member nodes would be.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { Client, credentials, Metadata, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { issuePeerToken } from '../shared/auth/peer-tokens.js';
import { generateSigningKey, type SigningKey } from '../shared/crypto.js';
import { SubscribeRequestSchema, SyncService } from '../shared/gen/dtx/v1/sync_service_pb.js';
import { parseDialTarget } from '../shared/net-address.js';
import { nodeIdFromPublicKey } from '../shared/node-id.js';
import { grpcServiceDefinition } from '../shared/rpc/service-definition.js';

const SUBSCRIBE = grpcServiceDefinition(SyncService).subscribe!;
const SEQ_OFFSET = 44;
const ORIGIN_OFFSET = 8;
const TWO_32 = 2 ** 32;

/** A member identity: a node key the bench holds, whose id goes into a node's roster. */
export interface MemberIdentity {
  key: SigningKey;
  nodeId: string;
}

export function newMemberIdentity(): MemberIdentity {
  const key = generateSigningKey();
  return { key, nodeId: nodeIdFromPublicKey(key.publicKey) };
}

function readVarint(buf: Buffer, at: { pos: number }): number {
  let result = 0;
  let shift = 1;
  for (let i = 0; i < 10; i++) {
    const byte = buf[at.pos++]!;
    result += (byte & 0x7f) * shift;
    if (byte < 0x80) return result;
    shift *= 128;
  }
  throw new Error('varint too long');
}

/**
 * Walks a SubscribeResponse: calls `entry` with each entry's header offset in `buf`, and
 * returns whether the message says caught_up. Only what the bench needs; heads are skipped.
 */
export function scanSubscribeResponse(buf: Buffer, entry: (headerAt: number) => void): boolean {
  const at = { pos: 0 };
  let caughtUp = false;
  while (at.pos < buf.length) {
    const tag = readVarint(buf, at);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const value = readVarint(buf, at);
      if (field === 3) caughtUp = value !== 0;
      continue;
    }
    if (wire !== 2) throw new Error(`unexpected wire type ${wire} in SubscribeResponse`);
    const length = readVarint(buf, at);
    const end = at.pos + length;
    if (field === 1) {
      // Entry { bytes header = 1; bytes signature = 2; bytes payload = 3 }
      const inner = { pos: at.pos };
      while (inner.pos < end) {
        const innerTag = readVarint(buf, inner);
        const innerLength = readVarint(buf, inner);
        if (innerTag === (1 << 3) + 2) entry(inner.pos);
        inner.pos += innerLength;
      }
    }
    at.pos = end;
  }
  return caughtUp;
}

export function headerSeq(buf: Buffer, headerAt: number): number {
  return buf.readUInt32BE(headerAt + SEQ_OFFSET) * TWO_32 + buf.readUInt32BE(headerAt + SEQ_OFFSET + 4);
}

export interface SubscriberOptions {
  /** HOST:PORT, or https://HOST:PORT (then tlsRoots are trusted). */
  address: string;
  tlsRoots?: Uint8Array;
  /** The node subscribed to (the token's audience). */
  serverNodeId: string;
  member: MemberIdentity;
  /** Entries of this origin are recorded; others (relayed from elsewhere) are ignored. */
  origin: Uint8Array;
  /** Arrival times are kept for seqs firstSeq .. firstSeq + capacity - 1. */
  firstSeq: number;
  capacity: number;
}

export class BenchSubscriber {
  /** performance.now() when each seq arrived (index seq - firstSeq), 0 if not yet. */
  readonly arrivals: Float64Array;
  /** Wall-clock arrival minus the entry header's timestamp, per recorded seq (the cross-check). */
  readonly headerLagMs: Float64Array;
  lastSeq = 0;
  caughtUp = false;
  /** Seqs that came out of order or twice (a stream must deliver each origin in log order). */
  disorder = 0;
  messages = 0;
  /** Messages without entries: heads with caught_up, or heartbeats. */
  emptyMessages = 0;
  error: Error | undefined;
  private readonly client: Client;
  private call: ClientReadableStream<Buffer> | undefined;
  private stopped = false;

  constructor(private readonly options: SubscriberOptions) {
    this.arrivals = new Float64Array(options.capacity);
    this.headerLagMs = new Float64Array(options.capacity);
    const { tls, address } = parseDialTarget(options.address, 'address');
    this.client = new Client(address, tls ? credentials.createSsl(options.tlsRoots ? Buffer.from(options.tlsRoots) : null) : credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc-node.flow_control_window': 16 * 1024 * 1024,
      'grpc.enable_channelz': 0,
      // Without it every channel to one address shares one connection (the global pool).
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /** Opens the stream from the start of every origin the node holds. */
  async open(): Promise<void> {
    const { member, serverNodeId } = this.options;
    const token = await issuePeerToken(member.key.privateKeyObject, member.nodeId, serverNodeId, SUBSCRIBE.path);
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const request = toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { cursors: [], maxBatch: 0 }));
    const origin = Buffer.from(this.options.origin);
    const { firstSeq, capacity } = this.options;
    this.call = this.client.makeServerStreamRequest<Uint8Array, Buffer>(
      SUBSCRIBE.path,
      (r) => Buffer.from(r),
      (bytes) => bytes,
      request,
      metadata,
      {},
    );
    this.call.on('data', (buf: Buffer) => {
      const now = performance.now();
      const wall = Date.now();
      this.messages++;
      let entries = 0;
      const caughtUp = scanSubscribeResponse(buf, (h) => {
        entries++;
        if (buf.compare(origin, 0, 32, h + ORIGIN_OFFSET, h + ORIGIN_OFFSET + 32) !== 0) return;
        const seq = headerSeq(buf, h);
        if (seq !== this.lastSeq + 1) this.disorder++;
        if (seq > this.lastSeq) this.lastSeq = seq;
        const slot = seq - firstSeq;
        if (slot >= 0 && slot < capacity && this.arrivals[slot] === 0) {
          this.arrivals[slot] = now;
          this.headerLagMs[slot] = wall - (buf.readUInt32BE(h + 84) * TWO_32 + buf.readUInt32BE(h + 88));
        }
      });
      if (caughtUp) this.caughtUp = true;
      if (entries === 0) this.emptyMessages++;
    });
    this.call.on('error', (err: ServiceError) => {
      if (!this.stopped) this.error = new Error(`subscription to ${this.options.address} failed: ${err.message}`);
    });
    this.call.on('end', () => {
      if (!this.stopped) this.error ??= new Error(`the node at ${this.options.address} ended the subscription`);
    });
  }

  close(): void {
    this.stopped = true;
    this.call?.cancel();
    this.client.close();
  }
}
