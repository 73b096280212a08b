/**
 * A hostile federation peer for tests: a real grpc-js server on loopback serving
 * SyncService/Subscribe like a node would (it checks the caller's peer token, reads the cursors,
 * streams SubscribeResponse messages, then heartbeats), except that what it streams is a script:
 * real signed entries, read from real nodes, with whatever tampering the test applies. The node
 * under test adds it to its roster under the relay's own node id and dials its address.
 */
import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { verifyPeerToken } from '../../shared/auth/peer-tokens.js';
import { generateSigningKey, type SigningKey } from '../../shared/crypto.js';
import { DtxError } from '../../shared/errors.js';
import { SyncService, type SubscribeRequest } from '../../shared/gen/dtx/v1/sync_service_pb.js';
import type { SignedEntry } from '../../shared/log/entry.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { grpcServiceDefinition } from '../../shared/rpc/service-definition.js';
import { toGrpcStatus } from '../../shared/rpc/status.js';
import { writeSubscribeResponse, type SyncHeadFields } from '../../shared/wire/subscribe-writer.js';

const SUBSCRIBE_PATH = '/dtx.v1.SyncService/Subscribe';

/** One Subscribe call the relay received. */
export interface RelayCall {
  /** The caller's node id, from its verified peer token. */
  caller: string;
  cursors: { origin: string; epoch: number; seq: number }[];
}

/** What to stream on one call: messages of entries (sent in order), then heads for the heartbeats. */
export interface RelayScript {
  messages: SignedEntry[][];
  heads?: SyncHeadFields[];
}

export interface MaliciousRelayOptions {
  /** The relay's node key; a fresh one by default. */
  key?: SigningKey;
  /** Decides per call (0 = the first) what to stream; the call's cursors are there to read. */
  script: (call: RelayCall, index: number) => RelayScript;
  /** Idle heartbeats (caught_up messages) so the subscriber never times the stream out. */
  heartbeatMs?: number;
}

export class MaliciousRelay {
  /** Every Subscribe call received, in order. */
  readonly calls: RelayCall[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly key: SigningKey,
    readonly nodeId: string,
    readonly address: string,
  ) {}

  static async start(options: MaliciousRelayOptions): Promise<MaliciousRelay> {
    const key = options.key ?? generateSigningKey();
    const nodeId = nodeIdFromPublicKey(key.publicKey);
    const server = new Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    const relay = new MaliciousRelay(server, key, nodeId, `127.0.0.1:${port}`);
    server.addService(grpcServiceDefinition(SyncService), {
      // A failing script (a bug in the test) ends the call with its error rather than going unseen.
      subscribe: (call: ServerWritableStream<SubscribeRequest, Uint8Array>) => void relay.serve(call, options).catch((err: unknown) => call.emit('error', toGrpcStatus(err))),
    });
    return relay;
  }

  private async serve(call: ServerWritableStream<SubscribeRequest, Uint8Array>, options: MaliciousRelayOptions): Promise<void> {
    // Authenticate like a node would, so the test also shows the subscriber presents itself properly.
    let caller: string;
    try {
      const header = call.metadata.get('authorization')[0];
      const token = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
      if (!token) throw new DtxError('UNAUTHENTICATED', 'no peer token');
      caller = await verifyPeerToken(token, this.nodeId, SUBSCRIBE_PATH);
    } catch (err) {
      call.emit('error', toGrpcStatus(err));
      return;
    }
    const relayCall: RelayCall = {
      caller,
      cursors: call.request.cursors.map((c) => ({ origin: c.origin, epoch: c.epoch, seq: Number(c.seq) })),
    };
    const index = this.calls.push(relayCall) - 1;
    const script = options.script(relayCall, index);
    for (const entries of script.messages) {
      if (call.cancelled) return;
      call.write(writeSubscribeResponse(entries));
    }
    const heartbeat = () => {
      if (!call.cancelled) call.write(writeSubscribeResponse([], script.heads ?? [], true));
    };
    heartbeat();
    const timer = setInterval(heartbeat, options.heartbeatMs ?? 100);
    this.timers.add(timer);
    call.once('cancelled', () => {
      clearInterval(timer);
      this.timers.delete(timer);
    });
  }

  /** Stops serving: open streams are cut. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      this.timers.clear();
      this.server.forceShutdown();
    })();
    return this.closing;
  }
}

/** A copy of an entry (entries read from a node may share one buffer). */
export function copyEntry(entry: SignedEntry): SignedEntry {
  return { header: Uint8Array.from(entry.header), signature: Uint8Array.from(entry.signature), payload: Uint8Array.from(entry.payload) };
}

/** The entry with one payload byte flipped: header and signature as signed. */
export function withAlteredPayload(entry: SignedEntry, index = 0): SignedEntry {
  const copy = copyEntry(entry);
  const at = index % copy.payload.length;
  copy.payload[at] = copy.payload[at]! ^ 0x01;
  return copy;
}

/** The entry with its header kept and its signature replaced by one made with `key`. */
export function resignedWith(entry: SignedEntry, key: SigningKey): SignedEntry {
  const copy = copyEntry(entry);
  return { ...copy, signature: key.sign(copy.header) };
}
