/**
 * Worker threads for the applier. Verifies many entry signatures, one share per worker, and
 * answers in entry order; entries whose header is not HEADER_BYTES long are reported as not
 * verifying (the applier rejects them for their layout before it looks at signatures). And
 * hashes whole messages (digest), one worker each in turn.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DtxError } from '../../shared/errors.js';
import type { SignedEntry } from '../../shared/log/entry.js';
import { HEADER_BYTES } from '../../shared/log/entry-header.js';
import { workerPath } from '../worker-path.js';
import type { DigestRequest, DigestResponse, VerifyRequest, VerifyResponse } from './verify-protocol.js';

/** A message's digests: per entry, whether its payload matched its header, and its hash. */
export interface Digests {
  /** 1 where the payload's hash matched (0 also for an entry not hashed). */
  ok: Uint8Array;
  hashes: Uint8Array;
  /** Whether entry i was hashed (its header and signature have their sizes). */
  hashed(i: number): boolean;
}

const SEALED_BYTES = HEADER_BYTES + 64;

/** Below this many entries the round trip to a worker costs more than verifying here. */
const MIN_SHARE = 64;

export class VerifyPool {
  private nextId = 1;
  private nextDigester = 0;
  private readonly pending = new Map<number, { resolve: (message: VerifyResponse | DigestResponse) => void; reject: (err: Error) => void }>();
  private readonly workers: Worker[];

  constructor(size = Math.max(1, availableParallelism())) {
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(workerPath(import.meta.url, 'verify-worker.js'));
      worker.on('message', (message: VerifyResponse | DigestResponse) => {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        waiter?.resolve(message);
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

  /**
   * Hashes one message's entries on a worker: each payload against the payload hash in its
   * header, and each entry hash. Entries of the wrong layout are left unhashed (the applier
   * checks those itself, and rejects them).
   */
  async digest(entries: readonly SignedEntry[]): Promise<Digests> {
    const sealed = new Uint8Array(entries.length * SEALED_BYTES);
    const ends = new Uint32Array(entries.length);
    let bytes = 0;
    for (const e of entries) bytes += e.payload.length;
    const payloads = new Uint8Array(bytes);
    const layout = new Uint8Array(entries.length);
    let end = 0;
    entries.forEach((e, i) => {
      if (e.header.length === HEADER_BYTES && e.signature.length === 64) {
        sealed.set(e.header, i * SEALED_BYTES);
        sealed.set(e.signature, i * SEALED_BYTES + HEADER_BYTES);
        layout[i] = 1;
      }
      payloads.set(e.payload, end);
      ends[i] = end += e.payload.length;
    });
    const worker = this.workers[this.nextDigester++ % this.workers.length]!;
    const request: DigestRequest = { kind: 'digest', id: this.nextId++, sealed, payloads, ends };
    const { ok, hashes } = (await this.post(worker, request, [sealed.buffer, payloads.buffer, ends.buffer])) as DigestResponse;
    return { ok, hashes, hashed: (i) => layout[i] === 1 };
  }

  private send(worker: Worker, entries: readonly SignedEntry[]): Promise<Uint8Array> {
    const headers = new Uint8Array(entries.length * HEADER_BYTES);
    const signatures = new Uint8Array(entries.length * 64);
    entries.forEach((e, i) => {
      // A wrongly sized part gets zeros, which never verify.
      if (e.header.length === HEADER_BYTES) headers.set(e.header, i * HEADER_BYTES);
      if (e.signature.length === 64) signatures.set(e.signature, i * 64);
    });
    const request: VerifyRequest = { kind: 'verify', id: this.nextId++, headers, signatures };
    return this.post(worker, request, [headers.buffer, signatures.buffer]).then((message) => (message as VerifyResponse).ok);
  }

  private post(worker: Worker, request: VerifyRequest | DigestRequest, transfer: ArrayBuffer[]): Promise<VerifyResponse | DigestResponse> {
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request, transfer);
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
