/**
 * Verifies many entry signatures on worker threads, one share per worker, and answers in entry
 * order. Entries whose header is not HEADER_BYTES long are reported as not verifying (the
 * applier rejects them for their layout before it looks at signatures).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DtxError } from '../../shared/errors.js';
import type { SignedEntry } from '../../shared/log/entry.js';
import { HEADER_BYTES } from '../../shared/log/entry-header.js';
import { workerPath } from '../worker-path.js';
import type { VerifyRequest, VerifyResponse } from './verify-protocol.js';

/** Below this many entries the round trip to a worker costs more than verifying here. */
const MIN_SHARE = 64;

export class VerifyPool {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (ok: Uint8Array) => void; reject: (err: Error) => void }>();
  private readonly workers: Worker[];

  constructor(size = Math.max(1, availableParallelism())) {
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(workerPath(import.meta.url, 'verify-worker.js'));
      worker.on('message', (message: VerifyResponse) => {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        waiter?.resolve(message.ok);
      });
      worker.on('error', (err) => this.failAll(err));
      // Idle workers must not keep the process alive.
      worker.unref();
      return worker;
    });
  }

  /** One flag per entry: true when its signature verifies with the origin key in its header. */
  async verify(entries: readonly SignedEntry[]): Promise<boolean[]> {
    const shares = Math.min(this.workers.length, Math.max(1, Math.floor(entries.length / MIN_SHARE)));
    const size = Math.ceil(entries.length / shares);
    const parts = await Promise.all(
      Array.from({ length: shares }, (_, w) => this.send(this.workers[w]!, entries.slice(w * size, (w + 1) * size))),
    );
    return parts.flatMap((ok) => Array.from(ok, (flag) => flag === 1));
  }

  private send(worker: Worker, entries: readonly SignedEntry[]): Promise<Uint8Array> {
    const headers = new Uint8Array(entries.length * HEADER_BYTES);
    const signatures = new Uint8Array(entries.length * 64);
    entries.forEach((e, i) => {
      // A wrongly sized part gets zeros, which never verify.
      if (e.header.length === HEADER_BYTES) headers.set(e.header, i * HEADER_BYTES);
      if (e.signature.length === 64) signatures.set(e.signature, i * 64);
    });
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, headers, signatures } satisfies VerifyRequest, [headers.buffer, signatures.buffer]);
    });
  }

  private failAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(new DtxError('INTERNAL', 'signature verification failed', { cause: err }));
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.failAll(new Error('verify pool closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
