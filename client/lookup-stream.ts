/**
 * Lookups over one long-lived LookupStream call. A unary call costs a new HTTP/2 request each:
 * headers both ways and a dozen objects per call on each side, and in Node 20 each client
 * request is kept alive until a full GC (http2's request() binds an AsyncResource, whose
 * accessor gives every request a hidden class of its own), so young-generation pauses of
 * several milliseconds stall calls. gRPC's performance guide recommends a stream for a
 * long-lived flow of small calls; on loopback a message round trip over a stream measured
 * p50 0.13 ms against 0.52 for a unary call, p99 0.24 against 1.6.
 *
 * Requests carry an id; the node answers each once, in order. Many may be in flight. A failed
 * lookup fails alone. When the node ends the stream (it stops), the lookups it did not answer
 * are sent once more on a new stream; when the stream breaks, they fail as unary calls would.
 * Either way the next lookup opens a new stream. After IDLE_MS without lookups the stream is
 * closed, so that a client nobody closes does not keep its process alive for long.
 */
import { DtxError } from '../shared/errors.js';
import { IndicatorService, type LookupIndicatorsResponse } from '../shared/gen/dtx/v1/indicator_service_pb.js';
import { errorOfStatus } from '../shared/rpc/status.js';
import { readLookupStreamResponse, writeLookupStreamRequest } from '../shared/wire/lookup-stream-wire.js';
import type { ByteStream, Transport } from './transport.js';

const IDLE_MS = 2_000;

interface Pending {
  resolve: (response: LookupIndicatorsResponse) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  request: Uint8Array;
  /** The stream it was sent on: a stream that ends fails only its own lookups. */
  stream: ByteStream;
  /** Sent again after the node ended the stream it was first sent on. */
  retried: boolean;
}

export class LookupStream {
  private stream: ByteStream | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private unsupported = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly timeoutMs: number,
    /** The same lookup as a unary call: for a node that has no LookupStream. */
    private readonly unary: (request: Uint8Array) => Promise<LookupIndicatorsResponse>,
  ) {}

  /** The answer to an encoded LookupIndicatorsRequest. */
  lookup(request: Uint8Array): Promise<LookupIndicatorsResponse> {
    if (this.unsupported) return this.unary(request);
    return new Promise((resolve, reject) => this.send({ resolve, reject, request, retried: false }));
  }

  private send(call: Omit<Pending, 'timer' | 'stream'>): void {
    const stream = this.stream ?? this.open();
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    const timer = setTimeout(() => this.settle(id, undefined, new DtxError('DEADLINE_EXCEEDED', `lookup: no answer from the node within ${this.timeoutMs} ms`)), this.timeoutMs);
    this.pending.set(id, { ...call, timer, stream });
    stream.write(writeLookupStreamRequest(id, call.request));
  }

  /**
   * Ends the stream; lookups in flight fail with UNAVAILABLE. Cancelled, not half-closed: the
   * channel closes right after, and a grpc-js channel closed while a call still runs keeps its
   * socket, and the process, alive until the call ends.
   */
  close(): void {
    clearTimeout(this.idleTimer);
    const stream = this.stream;
    if (!stream) return;
    this.finish(stream, new DtxError('UNAVAILABLE', 'the client was closed'));
    stream.cancel();
  }

  private open(): ByteStream {
    const stream: ByteStream = this.transport.duplex(IndicatorService.method.lookupStream, {
      message: (bytes) => {
        let answer;
        try {
          answer = readLookupStreamResponse(bytes);
        } catch (err) {
          this.finish(stream, new DtxError('INTERNAL', `lookup stream: the node sent an answer that does not decode (${(err as Error).message})`));
          stream.cancel();
          return;
        }
        const error = answer.error && (errorOfStatus(answer.error) ?? new DtxError('INTERNAL', answer.error.message));
        this.settle(answer.id, answer.lookup, error);
      },
      end: (error, unimplemented) => {
        if (unimplemented) {
          // An older node: this lookup and every later one go as unary calls.
          this.unsupported = true;
          this.finish(stream, error!, (call) => () => this.unary(call.request).then(call.resolve, call.reject));
        } else if (error) {
          this.finish(stream, error);
        } else {
          // The node ended the stream (it stops) and has answered every lookup it took. The
          // others it never read; a lookup changes nothing, so each is sent once more, on a new
          // stream (to this node restarted, or failing as a new call would).
          const twice = new DtxError('UNAVAILABLE', 'the node ended the lookup stream twice before answering');
          this.finish(stream, twice, (call) => (call.retried ? undefined : () => this.send({ ...call, retried: true })));
        }
      },
    });
    this.stream = stream;
    return stream;
  }

  private settle(id: number, response: LookupIndicatorsResponse | undefined, error: Error | undefined): void {
    const call = this.pending.get(id);
    if (!call) return; // Timed out already.
    this.pending.delete(id);
    clearTimeout(call.timer);
    if (error) call.reject(error);
    else call.resolve(response ?? { $typeName: 'dtx.v1.LookupIndicatorsResponse', results: [], matches: [] });
    if (this.pending.size === 0 && this.stream) {
      const stream = this.stream;
      this.idleTimer = setTimeout(() => {
        if (this.stream === stream && this.pending.size === 0) {
          this.stream = undefined;
          // Nothing is awaited on it: cancelling frees the call at once, with no round trip.
          stream.cancel();
        }
      }, IDLE_MS);
      this.idleTimer.unref();
    }
  }

  /**
   * The stream is done, and the next lookup opens another. Each lookup in flight on it is sent
   * again by what `again` returns for it, or fails with `error`.
   */
  private finish(stream: ByteStream, error: Error, again: (call: Pending) => (() => void) | undefined = () => undefined): void {
    if (this.stream === stream) this.stream = undefined;
    for (const [id, call] of this.pending) {
      if (call.stream !== stream) continue;
      const retry = again(call);
      if (!retry) {
        this.settle(id, undefined, error);
        continue;
      }
      this.pending.delete(id);
      clearTimeout(call.timer);
      retry();
    }
  }
}
