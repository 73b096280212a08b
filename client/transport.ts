/**
 * The client's gRPC transport: one grpc-js channel, typed unary and server-streaming calls, raw bidirectional streams
 * driven by the protobuf-es service descriptors, bearer token in call metadata, and errors
 * turned back into the DtxError the server raised.
 */
import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { Client, credentials, Metadata, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { DtxError } from '../shared/errors.js';
import { grpcServiceDefinition } from '../shared/rpc/service-definition.js';
import { fromGrpcError } from '../shared/rpc/status.js';

export interface TransportOptions {
  /** HOST:PORT of the node. */
  address: string;
  token?: string;
  /** Per-call deadline; streams get none. */
  timeoutMs?: number;
  /**
   * HTTP/2 pings at this interval (and a dead connection detected within as long again):
   * for long-lived streams such as federation subscriptions. Off by default.
   */
  keepaliveMs?: number;
  /**
   * Small lookups travel over one long-lived LookupStream call instead of a unary call each
   * (client/lookup-stream.ts). On by default; off, or against a node without the method, every
   * lookup is a LookupIndicators call.
   */
  lookupStream?: boolean;
}

export interface StreamOptions {
  /** A token for this call only, instead of the transport's (peer tokens are per call). */
  token?: string;
  /** Cancels the call; the stream then ends with an error, even while it waits for data. */
  signal?: AbortSignal;
  /** A hand-written decoder for each message (shared/wire), instead of the generated one. */
  read?: (bytes: Buffer) => unknown;
}

export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

type MethodOf<I extends DescMessage, O extends DescMessage> = DescMethod & { input: I; output: O };

export class Transport {
  private readonly client: Client;

  constructor(private readonly options: TransportOptions) {
    this.client = new Client(options.address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      // A 64 KB start window stalls megabyte responses (batch lookups, log reads) for round trips.
      'grpc-node.flow_control_window': 16 * 1024 * 1024,
      // No per-call channelz bookkeeping (see server/rpc/grpc-server.ts).
      'grpc.enable_channelz': 0,
      ...(options.keepaliveMs ? { 'grpc.keepalive_time_ms': options.keepaliveMs, 'grpc.keepalive_timeout_ms': options.keepaliveMs, 'grpc.keepalive_permit_without_calls': 1 } : {}),
    });
  }

  private metadata(token = this.options.token): Metadata {
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return metadata;
  }

  private definition(method: DescMethod) {
    const definition = grpcServiceDefinition(method.parent)[method.localName];
    if (!definition) throw new DtxError('INTERNAL', `no definition for ${method.name}`);
    return definition;
  }

  /**
   * A unary call. The request may be bytes encoded by a shared/wire writer, and `read` may
   * decode the response by hand for hot paths.
   */
  unary<I extends DescMessage, O extends DescMessage>(
    method: MethodOf<I, O>,
    request: MessageInitShape<I> | Uint8Array,
    read?: (bytes: Buffer) => MessageShape<O>,
  ): Promise<MessageShape<O>> {
    const definition = this.definition(method);
    const deadline = Date.now() + (this.options.timeoutMs ?? 30_000);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        read ?? (definition.responseDeserialize as (bytes: Buffer) => MessageShape<O>),
        request instanceof Uint8Array ? request : create(method.input, request),
        this.metadata(),
        { deadline },
        (err: ServiceError | null, response?: MessageShape<O>) => (err ? reject(fromGrpcError(err)) : resolve(response!)),
      );
    });
  }

  async *serverStream<I extends DescMessage, O extends DescMessage>(
    method: MethodOf<I, O>,
    request: MessageInitShape<I>,
    options: StreamOptions = {},
  ): AsyncGenerator<MessageShape<O>> {
    const definition = this.definition(method);
    const stream = this.client.makeServerStreamRequest(
      definition.path,
      definition.requestSerialize,
      (options.read ?? definition.responseDeserialize) as (bytes: Buffer) => MessageShape<O>,
      create(method.input, request),
      this.metadata(options.token ?? this.options.token),
      {},
    );
    const cancel = () => stream.cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const message of stream) yield message as MessageShape<O>;
    } catch (err) {
      throw isServiceError(err) ? fromGrpcError(err) : err;
    } finally {
      options.signal?.removeEventListener('abort', cancel);
      stream.cancel();
    }
  }

  /** A bidirectional stream of encoded messages (shared/wire writes and reads them); no deadline. */
  duplex(method: DescMethod): ClientDuplexStream<Uint8Array, Buffer> {
    const definition = this.definition(method);
    const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.client.makeBidiStreamRequest(definition.path, asBuffer, (bytes: Buffer) => bytes, this.metadata(), {});
  }

  /** Waits until the channel is connected, or fails with UNAVAILABLE. */
  async ready(timeoutMs = 5000): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (err) =>
        err ? reject(new DtxError('UNAVAILABLE', `no DTX node answers at ${this.options.address} (${err.message})`)) : resolve(),
      ),
    );
  }

  close(): void {
    this.client.close();
  }
}

function isServiceError(err: unknown): err is ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && 'metadata' in err;
}
