/**
 * A resumable federation subscription: Subscribe with the cursors the caller holds, hand every
 * message over, and after any failure (cut connection, silent peer, server restart) connect
 * again with fresh cursors and a fresh token, backing off. The caller owns the cursors (its
 * database), so resuming never skips or repeats what it applied.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import { DtxError } from '../shared/errors.js';
import { CursorSchema, SyncService, type Cursor, type SubscribeResponse } from '../shared/gen/dtx/v1/sync_service_pb.js';
import { readSubscribeResponse } from '../shared/wire/message-readers.js';
import { Transport } from './transport.js';

export type SubscriptionEvent =
  | { kind: 'connecting'; attempt: number }
  /** A stream was opened with these cursors: what it delivers starts after them. */
  | { kind: 'opened'; cursors: Cursor[] }
  | { kind: 'message'; response: SubscribeResponse }
  | { kind: 'failed'; error: DtxError; retryInMs: number };

export interface CursorFields {
  origin: string;
  epoch: number;
  seq: number;
  hash: Uint8Array;
}

export interface SubscriptionOptions {
  /** HOST:PORT, or https://HOST:PORT for TLS. */
  address: string;
  /**
   * PEM certificates trusted for an https:// address; the system's roots by default. A function
   * is asked at every (re)connect: roots that changed (a renewed CA bundle) apply from the next
   * connection on, while an open stream keeps the connection it has.
   */
  tlsRoots?: Uint8Array | (() => Uint8Array | undefined);
  /** The cursors to send, read at every (re)connect. */
  cursors: () => CursorFields[];
  /** A token for each attempt (peer tokens are short-lived and bound to the method). */
  token: () => Promise<string>;
  maxBatch?: number;
  /** No message (not even a heartbeat) for this long means the connection is dead. */
  idleTimeoutMs: number;
  backoff?: { initialMs: number; maxMs: number };
  signal: AbortSignal;
}

const DEFAULT_BACKOFF = { initialMs: 100, maxMs: 5000 };

export async function* resumableSubscription(options: SubscriptionOptions): AsyncGenerator<SubscriptionEvent> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const rootsNow = typeof options.tlsRoots === 'function' ? options.tlsRoots : () => options.tlsRoots as Uint8Array | undefined;
  const open = (tlsRoots: Uint8Array | undefined) => new Transport({ address: options.address, tlsRoots, keepaliveMs: Math.max(1000, Math.floor(options.idleTimeoutMs / 2)) });
  let roots = rootsNow();
  let transport = open(roots);
  let failures = 0;
  try {
    for (let attempt = 1; !options.signal.aborted; attempt++) {
      yield { kind: 'connecting', attempt };
      // The consumer may have stopped the subscription while it held the event.
      if (options.signal.aborted) return;
      if (rootsNow() !== roots) {
        // A channel keeps the credentials it was made with: new roots need a new one.
        transport.close();
        roots = rootsNow();
        transport = open(roots);
      }
      try {
        const cursors = options.cursors().map((c) => create(CursorSchema, { origin: c.origin, epoch: c.epoch, seq: BigInt(c.seq), hash: c.hash }));
        const token = await options.token();
        if (options.signal.aborted) return;
        const call = new AbortController();
        const stopCall = () => call.abort();
        options.signal.addEventListener('abort', stopCall, { once: true });
        const stream = transport.serverStream(SyncService.method.subscribe, { cursors, maxBatch: options.maxBatch ?? 0 }, { token, signal: call.signal, read: readSubscribeResponse });
        let opened = false;
        try {
          for (;;) {
            const next = await nextWithin(stream, options.idleTimeoutMs, options.signal);
            if (next === undefined) break;
            if (!opened) {
              opened = true;
              failures = 0;
              yield { kind: 'opened', cursors };
            }
            yield { kind: 'message', response: next };
          }
        } finally {
          // Cancelling first lets return() complete even while the stream waits for data.
          call.abort();
          options.signal.removeEventListener('abort', stopCall);
          await stream.return(undefined).catch(() => undefined);
        }
        if (options.signal.aborted) return;
        throw new DtxError('UNAVAILABLE', 'the peer ended the subscription');
      } catch (err) {
        if (options.signal.aborted) return;
        const error = err instanceof DtxError ? err : new DtxError('UNAVAILABLE', (err as Error).message, { cause: err });
        // Authentication and permission problems do not fix themselves quickly: back off fully.
        const permanent = error.code === 'UNAUTHENTICATED' || error.code === 'PERMISSION_DENIED';
        failures++;
        const ceiling = permanent ? backoff.maxMs : Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 16));
        const retryInMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        yield { kind: 'failed', error, retryInMs };
        await sleep(retryInMs, undefined, { signal: options.signal }).catch(() => undefined);
      }
    }
  } finally {
    transport.close();
  }
}

/** The stream's next message, undefined at its end; fails when nothing arrives in time. */
async function nextWithin<T>(stream: AsyncGenerator<T>, timeoutMs: number, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) throw new DtxError('UNAVAILABLE', 'subscription stopped');
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DtxError('DEADLINE_EXCEEDED', `no message from the peer for ${timeoutMs} ms`)), timeoutMs);
    onAbort = () => reject(new DtxError('UNAVAILABLE', 'subscription stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const result = await Promise.race([stream.next(), stop]);
    return result.done ? undefined : result.value;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort!);
  }
}
