/**
 * The fault proxy against real loopback sockets: a node:net server on 127.0.0.1 port 0 behind
 * it, real clients in front. No timing upper bounds anywhere, so a loaded 2-core machine only
 * makes the tests slower, never red.
 */
import { createHook } from 'node:async_hooks';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../_util/fault-proxy.js';
import { rng } from '../_util/rng.js';

interface TestServer {
  address: string;
  server: Server;
}

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A loopback server; every socket it accepts is destroyed at cleanup. */
async function startServer(onSocket: (socket: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Echoes every byte back; a FIN from the client is answered with a FIN after the echo. */
const startEchoServer = () => startServer((socket) => socket.pipe(socket));

async function startProxy(target: string, seed?: number): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ target, seed });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** A client socket that records what it receives and how it ended; errors (ECONNRESET) never throw. */
interface Client {
  socket: Socket;
  received: () => Buffer;
  /** Resolves on 'close', however the connection ended. */
  closed: Promise<void>;
  /** Resolves once at least n bytes have arrived; rejects if the connection closes first. */
  receive(n: number): Promise<Buffer>;
}

function openClient(address: string): Client {
  const [host, port] = address.split(':') as [string, string];
  const socket = connect({ host, port: Number(port) });
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  let length = 0;
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    waiter?.();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void closed.then(() => waiter?.());
  cleanups.push(() => {
    socket.destroy();
  });
  const received = () => Buffer.concat(chunks);
  return {
    socket,
    received,
    closed,
    receive: (n) =>
      new Promise<Buffer>((resolve, reject) => {
        const check = () => {
          if (length >= n) {
            waiter = undefined;
            resolve(received());
          } else if (socket.closed) {
            waiter = undefined;
            reject(new Error(`connection closed after ${length} of ${n} bytes`));
          }
        };
        waiter = check;
        check();
      }),
  };
}

/** Sends bytes and waits for all of them to come back from the echo server. */
async function echoRoundTrip(client: Client, payload: Buffer): Promise<Buffer> {
  const before = client.received().length;
  client.socket.write(payload);
  const all = await client.receive(before + payload.length);
  return all.subarray(before);
}

/** Waits for a promise, or ms at most; clears its timer, so no test leaves timers behind for the next. */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Timers created by fault-proxy.ts that have neither fired nor been cleared. (Node's own count in
 * getActiveResourcesInfo loses timers that are rescheduled from their own callback, so it cannot tell.)
 */
function trackProxyTimers(): { pending: () => number; stop: () => void } {
  const live = new Set<number>();
  const hook = createHook({
    init(asyncId, type) {
      if (type !== 'Timeout') return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 30;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      if (stack.includes('_util/fault-proxy.ts')) live.add(asyncId);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  return { pending: () => live.size, stop: () => void hook.disable() };
}

/** Open servers and sockets in this process, by kind. */
function countHandles(): Record<string, number> {
  const counts: Record<string, number> = { TCPServerWrap: 0, TCPSocketWrap: 0 };
  for (const kind of process.getActiveResourcesInfo()) if (kind in counts) counts[kind]!++;
  return counts;
}

function handlesAtMost(baseline: Record<string, number>): boolean {
  const now = countHandles();
  return Object.keys(baseline).every((kind) => now[kind]! <= baseline[kind]!);
}

function randomBytes(seed: number, length: number): Buffer {
  const next = rng(seed);
  return Buffer.from(Uint8Array.from({ length }, () => Math.floor(next() * 256)));
}

describe('FaultProxy', () => {
  // With a delay the target's FIN arrives while echoed bytes are still queued: they must be delivered, not cut.
  it.each([0, 25])('passes bytes through unchanged in both directions, and passes the FIN on (delay %i ms)', async (delay) => {
    const echo = await startEchoServer();
    const proxy = await startProxy(echo.address);
    proxy.setDelay(delay);
    expect(proxy.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const client = openClient(proxy.address);
    const payload = randomBytes(1, 400 * 1024);
    client.socket.end(payload);
    await client.closed;
    expect(client.received().equals(payload)).toBe(true);
    expect(proxy.stats).toMatchObject({ connections: 1, cuts: 0, bytes: 2 * payload.length });
  });

  it('keeps byte order per direction under delay, also when the delay changes mid-stream', async () => {
    const echo = await startEchoServer();
    const proxy = await startProxy(echo.address);
    proxy.setDelay(30);
    const client = openClient(proxy.address);
    const pieces = Array.from({ length: 200 }, (_, i) => randomBytes(100 + i, 1 + (i % 50) * 37));
    for (const [i, piece] of pieces.entries()) {
      // Dropping the delay to 0 halfway must not let new chunks overtake the delayed ones.
      if (i === 100) proxy.setDelay(0);
      if (i === 150) proxy.setDelay(15);
      client.socket.write(piece);
      if (i % 10 === 0) await sleep(1);
    }
    const expected = Buffer.concat(pieces);
    const got = await client.receive(expected.length);
    expect(got.equals(expected)).toBe(true);
  });

  it('adds at least the configured latency to a round trip', async () => {
    const echo = await startEchoServer();
    const proxy = await startProxy(echo.address);
    const client = openClient(proxy.address);
    await echoRoundTrip(client, Buffer.from('warm-up'));
    const delay = 150;
    proxy.setDelay(delay);
    const start = performance.now();
    const back = await echoRoundTrip(client, Buffer.from('ping'));
    const elapsed = performance.now() - start;
    expect(back.toString()).toBe('ping');
    // The delay applies on the way out and on the way back; no upper bound (loaded machines).
    // Node timers count from the event loop's cached millisecond clock, so each may end up to
    // 1 ms before performance.now() says it should: allow that much per timer, no more.
    expect(elapsed).toBeGreaterThanOrEqual(2 * delay - 2);
  });

  it('delivers delayed bytes before passing on a clean close from the target', async () => {
    const greeter = await startServer((socket) => socket.end('hello, then goodbye'));
    const proxy = await startProxy(greeter.address);
    proxy.setDelay(50);
    const client = openClient(proxy.address);
    await client.closed;
    expect(client.received().toString()).toBe('hello, then goodbye');
    expect(proxy.stats.cuts).toBe(0);
  });

  it('cutAll closes an open connection, and a new connection afterwards works', async () => {
    const echo = await startEchoServer();
    const proxy = await startProxy(echo.address);
    const first = openClient(proxy.address);
    await echoRoundTrip(first, Buffer.from('before the cut'));
    proxy.cutAll();
    await first.closed;
    expect(proxy.stats.cuts).toBe(1);

    const second = openClient(proxy.address);
    expect((await echoRoundTrip(second, Buffer.from('after the cut'))).toString()).toBe('after the cut');
    expect(proxy.stats).toMatchObject({ connections: 2, cuts: 1 });
  });

  it('pause cuts open connections and refuses new ones; resume lets connections through again', async () => {
    const echo = await startEchoServer();
    const proxy = await startProxy(echo.address);
    const open = openClient(proxy.address);
    await echoRoundTrip(open, Buffer.from('x'));

    proxy.pause();
    await open.closed;
    const refused = openClient(proxy.address);
    refused.socket.write('anyone there?');
    await refused.closed;
    expect(refused.received().length).toBe(0);
    expect(proxy.stats).toMatchObject({ connections: 1, cuts: 1, refused: 1 });

    proxy.resume();
    const after = openClient(proxy.address);
    expect((await echoRoundTrip(after, Buffer.from('back again'))).toString()).toBe('back again');
    expect(proxy.stats.connections).toBe(2);
  });

  it('cutAfterBytes cuts a large transfer partway, once', async () => {
    const echo = await startEchoServer();
    const proxy = await startProxy(echo.address);
    const limit = 100_000;
    proxy.cutAfterBytes(limit);
    const client = openClient(proxy.address);
    const payload = randomBytes(2, 2 * 1024 * 1024);
    client.socket.write(payload);
    await client.closed;
    // At most `limit` bytes get through, in both directions together.
    expect(client.received().length).toBeLessThan(payload.length);
    expect(client.received().length).toBeLessThanOrEqual(limit);
    expect(client.received().equals(payload.subarray(0, client.received().length))).toBe(true);
    expect(proxy.stats.cuts).toBe(1);

    // The trigger has fired; the next large transfer goes through whole.
    const next = openClient(proxy.address);
    const second = randomBytes(3, 512 * 1024);
    expect((await echoRoundTrip(next, second)).equals(second)).toBe(true);
    expect(proxy.stats.cuts).toBe(1);
  });

  it('counts connections, cuts and bytes', async () => {
    const echo = await startEchoServer();
    const proxy = await startProxy(echo.address);
    const clients = [openClient(proxy.address), openClient(proxy.address), openClient(proxy.address)];
    for (const client of clients) await echoRoundTrip(client, Buffer.from('12345'));
    expect(proxy.stats).toEqual({ connections: 3, cuts: 0, bytes: 30, refused: 0 });
    proxy.cutAll();
    await Promise.all(clients.map((c) => c.closed));
    expect(proxy.stats).toEqual({ connections: 3, cuts: 3, bytes: 30, refused: 0 });
    proxy.cutAll();
    expect(proxy.stats.cuts).toBe(3);
  });

  it('closes the client when the target cannot be reached', async () => {
    const gone = await startServer(() => {});
    await new Promise<void>((resolve) => gone.server.close(() => resolve()));
    const proxy = await startProxy(gone.address);
    const client = openClient(proxy.address);
    client.socket.write('hello?');
    await client.closed;
    expect(client.received().length).toBe(0);
    expect(proxy.stats.cuts).toBe(0);
  });

  it('passes a reset from the target on to the client', async () => {
    const rude = await startServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const proxy = await startProxy(rude.address);
    const client = openClient(proxy.address);
    client.socket.write('hello');
    await client.closed;
    expect(proxy.stats.cuts).toBe(0);
  });

  it('randomFaults cuts connections until stopped, and the proxy works again afterwards', async () => {
    const echo = await startEchoServer();
    const proxy = await startProxy(echo.address, 42);
    proxy.randomFaults({ everyMs: [5, 20], maxDelayMs: 20 });
    // Bounded: with a cut on half the events, a live connection is cut long before 200 tries.
    for (let attempt = 0; attempt < 200 && proxy.stats.cuts === 0; attempt++) {
      const client = openClient(proxy.address);
      client.socket.write('x');
      // Either the echo comes back or a fault closes the connection first; both are fine here.
      await client.receive(1).catch(() => undefined);
      await waitAtMost(client.closed, 50);
      client.socket.destroy();
    }
    expect(proxy.stats.cuts).toBeGreaterThan(0);
    proxy.stopRandomFaults();
    proxy.setDelay(0);
    const cuts = proxy.stats.cuts;
    const client = openClient(proxy.address);
    const payload = randomBytes(4, 64 * 1024);
    expect((await echoRoundTrip(client, payload)).equals(payload)).toBe(true);
    await sleep(100);
    expect(proxy.stats.cuts).toBe(cuts);
  });

  it('close() ends every connection, stops listening and clears delay timers', async () => {
    const echo = await startEchoServer();
    // Sockets of earlier tests are released a tick after their 'close'; start from a quiet process (bounded wait).
    for (let i = 0; i < 250 && countHandles().TCPSocketWrap! > 0; i++) await sleep(20);
    const baseline = countHandles();
    expect(baseline.TCPSocketWrap).toBe(0);
    const timers = trackProxyTimers();
    cleanups.push(() => timers.stop());
    const proxy = await startProxy(echo.address);
    const client = openClient(proxy.address);
    await echoRoundTrip(client, Buffer.from('x'));
    proxy.setDelay(60_000);
    proxy.randomFaults({ everyMs: [60_000, 60_000], maxDelayMs: 1 });
    // This chunk sits in a one-minute delay timer that close() must clear.
    client.socket.write('stuck in the queue');
    // The random-fault timer and, once the chunk has reached the proxy, its delay timer (bounded wait).
    for (let i = 0; i < 500 && timers.pending() < 2; i++) await sleep(10);
    expect(timers.pending()).toBe(2);
    await proxy.close();
    await proxy.close();
    await client.closed;

    const late = openClient(proxy.address);
    await late.closed;
    expect(late.received().length).toBe(0);
    // No timer, listener or socket of the proxy is left; socket handles go a tick after 'close' (bounded wait).
    expect(timers.pending()).toBe(0);
    for (let i = 0; i < 250 && !handlesAtMost(baseline); i++) await sleep(20);
    expect(countHandles()).toEqual(baseline);
  });
});
