/**
 * A real loopback TCP proxy that injects network faults between two endpoints (for example two
 * gRPC nodes): added latency, cut connections, refused connections, cuts partway through a
 * stream, and seeded random faults. Tests dial `proxy.address` instead of the target.
 * Nothing is mocked: every connection is a pair of real sockets, and `close()` clears every
 * socket and timer so the test process exits cleanly.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { rng } from './rng.js';

export interface FaultProxyOptions {
  /** Where connections are forwarded, as host:port ("[::1]:7700" for IPv6). */
  target: string;
  /** Where the proxy listens; default 127.0.0.1:0 (a port chosen by the OS). */
  listen?: string;
  /** Seed for randomFaults, so a failing run can be replayed; default 1. */
  seed?: number;
}

export interface FaultProxyStats {
  /** Connections accepted and forwarded (refused ones are not counted here). */
  connections: number;
  /** Connections the proxy cut on purpose: cutAll, pause, cutAfterBytes, randomFaults. */
  cuts: number;
  /** Bytes accepted for forwarding, both directions together. */
  bytes: number;
  /** Connections accepted and destroyed at once because the proxy was paused. */
  refused: number;
}

/** Above this many delayed bytes in one direction the sender is paused, so a slow lane cannot buffer without bound. */
const QUEUE_HIGH_WATER = 1 << 20;

export class FaultProxy {
  /** "127.0.0.1:PORT": dial this instead of the target. */
  readonly address: string;
  private readonly pairs = new Set<Pair>();
  private readonly counters: FaultProxyStats = { connections: 0, cuts: 0, bytes: 0, refused: 0 };
  private readonly next: () => number;
  private delayMs = 0;
  private paused = false;
  /** Bytes left before cutAfterBytes fires; undefined when not armed. */
  private cutBudget: number | undefined;
  private randomTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
    seed: number,
  ) {
    const bound = server.address() as AddressInfo;
    this.address = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
    this.next = rng(seed);
    server.on('connection', (socket) => this.accept(socket));
    // Accept errors (EMFILE and the like) must not crash the test process; the client sees its own failure.
    server.on('error', () => {});
  }

  /** Listens (127.0.0.1 on an OS-chosen port unless `listen` says otherwise) and resolves once bound. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const target = parseHostPort(options.target);
    const listen = parseHostPort(options.listen ?? '127.0.0.1:0');
    // allowHalfOpen: the proxy forwards each FIN itself, after delayed bytes have been delivered.
    const server = createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new FaultProxy(server, target, options.seed ?? 1);
  }

  /** A snapshot of the counters. */
  get stats(): FaultProxyStats {
    return { ...this.counters };
  }

  /** Latency added to every chunk in each direction (0 = none). Byte order is kept, also across changes. */
  setDelay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delay must be a finite number >= 0, got ${ms}`);
    this.delayMs = ms;
  }

  /** Cuts (TCP reset) every open connection now; both the client and the target see it. */
  cutAll(): void {
    for (const pair of [...this.pairs]) {
      if (pair.cut()) this.counters.cuts++;
    }
  }

  /** Cuts every open connection, and refuses new ones (accepted, then reset at once) until resume(). */
  pause(): void {
    this.paused = true;
    this.cutAll();
  }

  resume(): void {
    this.paused = false;
  }

  /**
   * Once n more bytes have been accepted for forwarding (either direction, any connection,
   * counted from this call), every open connection is cut. At most n bytes get through; bytes
   * still waiting in a delay are dropped, as on a real link. Fires once; calling again re-arms.
   */
  cutAfterBytes(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`byte count must be an integer >= 0, got ${n}`);
    this.cutBudget = n;
  }

  /**
   * From now on, after random waits in [everyMs[0], everyMs[1]], either cuts every connection or
   * sets a random delay in [0, maxDelayMs] (even odds). Decisions come from the seeded generator,
   * so they replay; the wall-clock timing does not. Calling again replaces the previous schedule.
   */
  randomFaults(options: { everyMs: [number, number]; maxDelayMs: number }): void {
    const [min, max] = options.everyMs;
    if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && max >= min)) {
      throw new RangeError(`everyMs must be [min, max] with 0 <= min <= max, got [${min}, ${max}]`);
    }
    if (!Number.isFinite(options.maxDelayMs) || options.maxDelayMs < 0) {
      throw new RangeError(`maxDelayMs must be a finite number >= 0, got ${options.maxDelayMs}`);
    }
    this.stopRandomFaults();
    if (this.closing) return;
    const schedule = () => {
      this.randomTimer = setTimeout(() => {
        if (this.next() < 0.5) this.cutAll();
        else this.setDelay(Math.floor(this.next() * (options.maxDelayMs + 1)));
        schedule();
      }, min + this.next() * (max - min));
    };
    schedule();
  }

  /** Stops random faults; the delay last chosen stays in force (setDelay(0) to clear it). */
  stopRandomFaults(): void {
    clearTimeout(this.randomTimer);
    this.randomTimer = undefined;
  }

  /** Stops listening, destroys every connection and clears every timer. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.stopRandomFaults();
      this.cutBudget = undefined;
      // server.close() waits for open connections, so they go first.
      for (const pair of [...this.pairs]) pair.cut();
      this.server.close(() => resolve());
    });
    return this.closing;
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.paused || this.closing) {
      this.counters.refused++;
      reset(client);
      return;
    }
    this.counters.connections++;
    const upstream = connect({ host: this.target.host, port: this.target.port, allowHalfOpen: true });
    const pair = new Pair(client, upstream, () => this.delayMs, (chunk) => this.admit(chunk), () => this.pairs.delete(pair));
    this.pairs.add(pair);
  }

  /** Counts a chunk against stats and cutAfterBytes; returns the part that may be forwarded. */
  private admit(chunk: Buffer): Buffer {
    if (this.cutBudget === undefined) {
      this.counters.bytes += chunk.length;
      return chunk;
    }
    const allowed = chunk.subarray(0, Math.min(chunk.length, this.cutBudget));
    this.counters.bytes += allowed.length;
    this.cutBudget -= allowed.length;
    if (this.cutBudget === 0) {
      this.cutBudget = undefined;
      // After the caller has queued `allowed`: cut in a microtask, not while still inside a data handler.
      queueMicrotask(() => this.cutAll());
    }
    return allowed;
  }
}

/** One proxied connection: the accepted client socket and the socket to the target. */
class Pair {
  private done = false;
  private readonly toUpstream: Lane;
  private readonly toClient: Lane;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    delay: () => number,
    admit: (chunk: Buffer) => Buffer,
    private readonly onDone: () => void,
  ) {
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.toUpstream = new Lane(client, upstream, delay, admit);
    this.toClient = new Lane(upstream, client, delay, admit);
    upstream.on('error', () => {});
    client.on('close', (hadError) => this.closed(client, hadError));
    upstream.on('close', (hadError) => this.closed(upstream, hadError));
  }

  /** Resets both sockets and drops delayed bytes. False if the pair was already finished. */
  cut(): boolean {
    if (this.done) return false;
    this.finish();
    reset(this.client);
    reset(this.upstream);
    return true;
  }

  private closed(socket: Socket, hadError: boolean): void {
    if (this.done) return;
    const other = socket === this.client ? this.upstream : this.client;
    if (other.closed) {
      this.finish();
      return;
    }
    // An error (reset, refused, timeout) on one side is passed on as a reset to the other.
    if (hadError || !socket.readableEnded) {
      this.cut();
      return;
    }
    // A clean close: deliver what is still delayed towards the other side, then close it too.
    (socket === this.client ? this.toClient : this.toUpstream).stop();
    (socket === this.client ? this.toUpstream : this.toClient).whenFlushed(() => {
      if (other.destroyed) return;
      if (other.writableFinished) other.destroy();
      else other.once('finish', () => other.destroy());
    });
  }

  private finish(): void {
    this.done = true;
    this.toUpstream.stop();
    this.toClient.stop();
    this.onDone();
  }
}

/** One direction of a pair: forwards chunks in order, each held back by the delay current when it arrived. */
class Lane {
  private readonly queue: { chunk: Buffer; due: number }[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  private ended = false;
  private flushed = false;
  private stopped = false;
  private readonly flushWaiters: (() => void)[] = [];

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly delay: () => number,
    admit: (chunk: Buffer) => Buffer,
  ) {
    from.on('data', (data: Buffer) => {
      if (this.stopped) return;
      const chunk = admit(data);
      if (chunk.length > 0) this.push(chunk);
    });
    from.on('end', () => {
      this.ended = true;
      this.maybeFlushed();
    });
    to.on('drain', () => {
      this.waitingForDrain = false;
      this.updateFlow();
    });
  }

  /** Runs fn once every byte received before the sender's FIN has been written and the FIN passed on. */
  whenFlushed(fn: () => void): void {
    if (this.flushed) fn();
    else this.flushWaiters.push(fn);
  }

  /** Drops delayed bytes and clears the timer; nothing more is forwarded. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.flushWaiters.length = 0;
  }

  private push(chunk: Buffer): void {
    const ms = this.delay();
    if (ms <= 0 && this.queue.length === 0) {
      this.write(chunk);
      return;
    }
    // Queued behind earlier chunks even when the delay has since dropped: order matters more than latency.
    this.queue.push({ chunk, due: performance.now() + ms });
    this.queuedBytes += chunk.length;
    this.updateFlow();
    this.schedule();
  }

  private schedule(): void {
    const head = this.queue[0];
    if (this.timer || !head || this.stopped) return;
    this.timer = setTimeout(() => this.release(), Math.max(1, Math.ceil(head.due - performance.now())));
  }

  private release(): void {
    this.timer = undefined;
    const now = performance.now();
    // Bounded by the queue length; a chunk is released only once its due time has really passed.
    while (this.queue.length > 0 && this.queue[0]!.due <= now && !this.stopped) {
      const { chunk } = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      this.write(chunk);
    }
    this.updateFlow();
    this.schedule();
    this.maybeFlushed();
  }

  private write(chunk: Buffer): void {
    if (this.to.destroyed || this.to.writableEnded) return;
    if (!this.to.write(chunk)) {
      this.waitingForDrain = true;
      this.updateFlow();
    }
  }

  /** Backpressure: stop reading while the receiver is full or too much is waiting in the delay queue. */
  private updateFlow(): void {
    if (this.stopped || this.from.destroyed) return;
    if (this.waitingForDrain || this.queuedBytes > QUEUE_HIGH_WATER) this.from.pause();
    else this.from.resume();
  }

  private maybeFlushed(): void {
    if (!this.ended || this.queue.length > 0 || this.flushed || this.stopped) return;
    this.flushed = true;
    if (!this.to.destroyed && !this.to.writableEnded) this.to.end();
    for (const fn of this.flushWaiters.splice(0)) fn();
  }
}

/** Closes a socket with a TCP reset, so the peer sees ECONNRESET as on a broken link. */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  // resetAndDestroy waits for a connecting socket to connect first; a plain destroy is immediate.
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

function parseHostPort(value: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:[\]]+):(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`expected host:port, got ${JSON.stringify(value)}`);
  }
  return { host: match[1]!, port };
}
