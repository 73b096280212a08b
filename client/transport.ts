/**
 * The client's gRPC transport: one grpc-js channel, typed unary and server-streaming calls, raw bidirectional streams
 * driven by the protobuf-es service descriptors, bearer token in call metadata, and errors
 * turned back into the DtxError the server raised.
 */
import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { DtxError } from '../shared/errors.js';
import { parseDialTarget } from '../shared/net-address.js';
import { grpcServiceDefinition } from '../shared/rpc/service-definition.js';
import { fromGrpcError } from '../shared/rpc/status.js';

export interface TransportOptions {
  /** HOST:PORT of the node, or https://HOST:PORT to talk TLS to it. */
  address: string;
  /** PEM certificates trusted for an https:// address; the system's roots by default. */
  tlsRoots?: Uint8Array;
  /**
   * The name the node's certificate must carry, when it is not the address's host: a local
   * command reaching its own node on 127.0.0.1 checks the certificate's own name.
   */
  tlsServerName?: string;
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

/** A bidirectional stream of encoded messages (Transport.duplex). */
export interface ByteStream {
  write(bytes: Uint8Array): void;
  /** Ends the call at once; `end` then runs with CANCELLED, unless it ran already. */
  cancel(): void;
}

export interface DuplexEvents {
  message(bytes: Buffer): void;
  /** The call is over: `error` undefined when the server ended it with OK; `unimplemented` when the server lacks the method. */
  end(error: DtxError | undefined, unimplemented: boolean): void;
}

type MethodOf<I extends DescMessage, O extends DescMessage> = DescMethod & { input: I; output: O };

export class Transport {
  private readonly client: Client;

  constructor(private readonly options: TransportOptions) {
    const target = parseDialTarget(options.address, 'address');
    const secure = target.tls ? credentials.createSsl(options.tlsRoots ? Buffer.from(options.tlsRoots) : null) : credentials.createInsecure();
    const serverName = target.tls && options.tlsServerName ? { 'grpc.ssl_target_name_override': options.tlsServerName, 'grpc.default_authority': options.tlsServerName } : {};
    this.client = new Client(target.address, secure, {
      ...serverName,
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

  /**
   * A bidirectional stream of encoded messages (shared/wire writes and reads them), with no
   * deadline. `events.end` runs once: with no error when the server ended the call with OK.
   */
  duplex(method: DescMethod, events: DuplexEvents): ByteStream {
    const definition = this.definition(method);
    const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const call = this.client.makeBidiStreamRequest(definition.path, asBuffer, (bytes: Buffer) => bytes, this.metadata(), {});
    let ended = false;
    const end = (error: DtxError | undefined, unimplemented: boolean) => {
      if (ended) return;
      ended = true;
      events.end(error, unimplemented);
    };
    call.on('data', (bytes: Buffer) => events.message(bytes));
    call.on('error', (err: ServiceError) => end(fromGrpcError(err), err.code === GrpcStatus.UNIMPLEMENTED));
    // An OK status ends the call without an error event.
    call.on('status', (status: StatusObject) => {
      if (status.code === GrpcStatus.OK) end(undefined, false);
    });
    return { write: (bytes) => call.write(bytes), cancel: () => call.cancel() };
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
