/**
 * Binds typed, promise-based handlers to grpc-js. Every call is authenticated per the service's
 * policy before the handler runs; every error leaves through toGrpcStatus, so internal causes are
 * logged here and clients see only "internal error".
 */
import { once } from 'node:events';
import { create, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type { Metadata, Server, ServerDuplexStream, ServerUnaryCall, ServerWritableStream, UntypedHandleCall, sendUnaryData } from '@grpc/grpc-js';
import type { Role, TokenClaims } from '../../shared/auth/tokens.js';
import { DtxError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { grpcServerDefinition, MalformedRequest, type RequestReaders } from '../../shared/rpc/service-definition.js';
import { toGrpcStatus } from '../../shared/rpc/status.js';
import type { CallCounts } from './call-counts.js';
import { authorize, type Authenticator } from './auth.js';

export interface CallContext {
  /** Present on every call whose policy is not "public". */
  claims: TokenClaims | undefined;
  metadata: Metadata;
  peer: string;
  /** Streaming calls: aborted when the client cancels or disconnects. Unary calls: never aborts. */
  signal: AbortSignal;
  /**
   * Checks the call's token again (expiry, and later revocation), as a new call would; throws
   * as authentication does. For long-lived streams; a checked token is cached for a minute.
   */
  reauthorize: () => Promise<void>;
}

/** A unary handler returns a message, or its bytes when it encoded them itself (shared/wire). */
type Unary<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: CallContext,
) => MessageInitShape<O> | Uint8Array | Promise<MessageInitShape<O> | Uint8Array>;

/** `send` takes a message, or its bytes encoded by a shared/wire writer. */
type ServerStream<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: CallContext,
  send: (message: MessageInitShape<O> | Uint8Array) => Promise<void>,
) => Promise<void>;

/**
 * `requests` yields each message as it arrives (a MalformedRequest for one that does not
 * decode) and ends when the client half-closes or cancels; `send` is as for server streams.
 */
type BidiStream<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I> | MalformedRequest>,
  context: CallContext,
  send: (message: MessageInitShape<O> | Uint8Array) => Promise<void>,
) => Promise<void>;

export type ServiceHandlers<S extends GenServiceMethods> = {
  [K in keyof S]: S[K]['methodKind'] extends 'unary'
    ? Unary<S[K]['input'], S[K]['output']>
    : S[K]['methodKind'] extends 'server_streaming'
      ? ServerStream<S[K]['input'], S[K]['output']>
      : S[K]['methodKind'] extends 'bidi_streaming'
        ? BidiStream<S[K]['input'], S[K]['output']>
        : never;
};

/** Which roles may call each method; "public" needs no token, "member" a roster member's peer token. */
export type ServicePolicy<S extends GenServiceMethods> = { [K in keyof S]: readonly Role[] | 'public' | 'member' };

/** One shared abort reason: abort() without one builds a DOMException with a stack each time. */
const CANCELLED = new DtxError('UNAVAILABLE', 'the client cancelled the call');
const NEVER_ABORTED = new AbortController().signal;

export interface RegisterDeps {
  authenticator: Authenticator;
  logger: Logger;
  /** Hand-written request decoders for this service's hot methods. */
  readers?: RequestReaders;
  /** Counts each call by method and outcome, when given. */
  calls?: CallCounts;
}

export function registerService<S extends GenServiceMethods>(
  server: Server,
  service: GenService<S>,
  handlers: ServiceHandlers<S>,
  policy: ServicePolicy<S>,
  deps: RegisterDeps,
): void {
  const implementation: Record<string, UntypedHandleCall> = {};
  for (const method of service.methods) {
    const name = method.localName as keyof S & string;
    const rule = policy[name];
    const handler = handlers[name] as unknown as (...args: unknown[]) => Promise<unknown>;
    const what = `call ${service.typeName}/${method.name}`;
    const path = `/${service.typeName}/${method.name}`;

    /** Authenticates and authorizes the call; a bidi call has no request yet (its messages come later). */
    const context = async (call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>, signal: AbortSignal) => {
      let claims: TokenClaims | undefined;
      if (rule !== 'public') {
        claims = await deps.authenticator.authenticate(call.metadata, path);
        authorize(claims, rule, what);
      }
      // After authentication: a caller without a valid token learns nothing about the body.
      if ('request' in call && call.request instanceof MalformedRequest) {
        const { typeName, reason } = call.request;
        throw new DtxError('INVALID_ARGUMENT', `request: not a valid ${typeName} (${reason})`, { details: { field: 'request' } });
      }
      const reauthorize = async () => {
        if (rule === 'public') return;
        authorize(await deps.authenticator.authenticate(call.metadata, path), rule, what);
      };
      return { claims, metadata: call.metadata, peer: call.getPeer(), signal, reauthorize } satisfies CallContext;
    };

    const count = (code: string) => deps.calls?.add(path.slice(1), code);
    const codeOf = (err: unknown) => (err instanceof DtxError ? err.code : 'INTERNAL');

    const fail = (err: unknown) => {
      if (!(err instanceof DtxError) || err.code === 'INTERNAL') {
        deps.logger.error({ err, method: method.name }, 'call failed with an internal error');
      }
      return toGrpcStatus(err);
    };

    if (method.methodKind === 'unary') {
      implementation[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        void (async () => {
          let reply: Parameters<sendUnaryData<unknown>>;
          try {
            // Unary handlers run to completion without waiting on the client: no per-call abort
            // machinery (an AbortController and a listener per call showed up in profiles).
            const result = await handler(call.request, await context(call, NEVER_ABORTED));
            reply = [null, result instanceof Uint8Array ? result : create(method.output, result as MessageInitShape<DescMessage>)];
            count('OK');
          } catch (err) {
            reply = [fail(err)];
            count(codeOf(err));
          }
          try {
            callback(...reply);
          } catch (err) {
            // The call is gone (cancelled, or the response could not be serialised): nothing to answer.
            deps.logger.warn({ err, method: method.name }, 'could not send a response');
          }
        })();
      };
    } else if (method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming') {
      const bidi = method.methodKind === 'bidi_streaming';
      implementation[name] = (call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>) => {
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort(CANCELLED));
        const send = sender(call, abort.signal, (message) => create(method.output, message as MessageInitShape<DescMessage>));
        void (async () => {
          try {
            const callContext = await context(call, abort.signal);
            if (bidi) {
              // Not the stream's own iterator: finishing it destroys the stream, and the status
              // written after that never reaches the client.
              const messages = { [Symbol.asyncIterator]: () => (call as ServerDuplexStream<unknown, unknown>).iterator({ destroyOnReturn: false }) };
              await handler(untilAborted(messages, abort.signal), callContext, send);
            } else {
              await handler((call as ServerWritableStream<unknown, unknown>).request, callContext, send);
            }
            call.end();
            count(abort.signal.aborted ? 'CANCELLED' : 'OK');
          } catch (err) {
            if (abort.signal.aborted) {
              count('CANCELLED');
              return;
            }
            count(codeOf(err));
            try {
              call.emit('error', fail(err));
            } catch (sendErr) {
              deps.logger.warn({ err: sendErr, method: method.name }, 'could not send an error');
            }
          }
        })();
      };
    } else {
      throw new DtxError('INTERNAL', `${method.methodKind} methods are not supported by registerService`);
    }
  }
  server.addService(grpcServerDefinition(service, deps.readers), implementation);
}

/**
 * `send` for a streaming call. Backpressure: a slow reader makes the handler wait here, so it
 * lags in the database, not in memory. write() returning false is not enough: grpc-js buffers
 * 16 messages before it says so (up to 128 MiB of 8 MiB messages per stream). Instead at most
 * one message waits for HTTP/2 flow control while the handler prepares the next.
 */
function sender(call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>, signal: AbortSignal, encode: (message: unknown) => unknown) {
  let flushing: Promise<unknown> | undefined;
  const aborted = once(signal, 'abort');
  aborted.catch(() => undefined);
  return async (message: unknown): Promise<void> => {
    if (flushing) await Promise.race([flushing, aborted]);
    if (signal.aborted) throw new DtxError('UNAVAILABLE', 'the client went away');
    const encoded = message instanceof Uint8Array ? message : encode(message);
    // The callback runs once HTTP/2 took the message (never, if the call is cancelled first).
    flushing = new Promise<void>((resolve) => call.write(encoded, () => resolve()));
  };
}

/** The messages of `source` until it ends, or until `signal` fires (the call cancelled, or ended from here). */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const messages = source[Symbol.asyncIterator]();
  const aborted = once(signal, 'abort').then(() => ({ done: true as const, value: undefined }));
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const next = await Promise.race([messages.next(), aborted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    void messages.return?.();
  }
}

/** The methods type of a generated service, for typing handler objects. */
export type MethodsOf<T> = T extends GenService<infer S> ? S : never;
