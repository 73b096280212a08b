/**
 * Main-thread side of the signer worker: packs a batch, sends it, and resolves with the signed
 * headers, signatures and entry hashes in order.
 */
import { Worker } from 'node:worker_threads';
import { signingKeyToPem, type SigningKey } from '../../shared/crypto.js';
import { DtxError } from '../../shared/errors.js';
import { packPayloads, signedBatch, type SignedBatch } from '../../shared/log/signed-run.js';
import { workerPath } from '../worker-path.js';
import type { SignRequest, SignResponse } from './signer-protocol.js';

export class Signer {
  private nextId = 1;
  /** Set once the worker has failed or exited: later requests fail at once instead of waiting forever. */
  private failure: Error | undefined;
  private readonly pending = new Map<number, { resolve: (r: SignResponse) => void; reject: (e: Error) => void }>();

  /** Settles once the worker has loaded its key: signing requests wait for it. */
  readonly ready: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    /** Whose entries this signer signs. */
    readonly publicKey: Uint8Array,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', (err) => reject(new DtxError('INTERNAL', `the signer worker failed to start: ${err.message}`, { cause: err })));
      worker.once('exit', (code) => reject(new DtxError('INTERNAL', `the signer worker exited with code ${code} while starting`)));
    });
    // Whoever starts a node awaits ready; until then a failure must not be an unhandled rejection.
    this.ready.catch(() => undefined);
    worker.on('message', (message: SignResponse) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      waiter.resolve(message);
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`signer worker exited with code ${code}`)));
  }

  /**
   * Starts the worker and returns at once: loading it (a second V8 isolate with its own
   * modules) takes about 150 ms, which the caller overlaps with the rest of its start-up.
   */
  static start(key: SigningKey): Signer {
    return new Signer(new Worker(workerPath(import.meta.url, 'signer-worker.js'), { workerData: { keyPem: signingKeyToPem(key) } }), key.publicKey);
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.pending.values()) waiter.reject(new DtxError('INTERNAL', 'signer failed', { cause: err }));
    this.pending.clear();
  }

  /**
   * Signs `items` as the entries after `head`. Without head.hash, they chain on the last entry
   * this worker signed, which must be head.seq (the pipeline hands over the next group before
   * the previous one is back); with it, the worker's chain restarts there.
   */
  async sign(
    head: { epoch: number; seq: number; hash?: Uint8Array | undefined },
    timestampMs: number,
    items: readonly { payloadType: number; payload: Uint8Array }[],
  ): Promise<SignedBatch> {
    const { types, offsets, payloads } = packPayloads(items);
    await this.ready;
    if (this.failure) throw new DtxError('INTERNAL', 'signer failed', { cause: this.failure });
    const id = this.nextId++;
    const request: SignRequest = { id, epoch: head.epoch, startSeq: head.seq + 1, prevHash: head.hash, timestampMs, types, offsets, payloads };
    const response = await new Promise<SignResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request, [types.buffer, offsets.buffer, payloads.buffer]);
    });
    if (response.error || !response.records || !response.hashes) {
      throw new DtxError('INTERNAL', `signing failed: ${response.error ?? 'empty response'}`);
    }
    return signedBatch({ records: response.records, hashes: response.hashes });
  }

  async close(): Promise<void> {
    this.failAll(new Error('signer closed'));
    await this.worker.terminate();
  }
}
