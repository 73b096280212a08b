/**
 * Worker thread that signs and chains entries of this node's own log. Signing is the most
 * expensive step of a publish and is sequential by nature (each header holds the previous
 * entry's hash); running it here lets the main thread decode, validate and commit other
 * batches on the second core meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initCrypto, signingKeyFromPem } from '../../shared/crypto.js';
import { createEntry } from '../../shared/log/entry.js';
import { HEADER_BYTES } from '../../shared/log/entry-header.js';
import type { SignRequest, SignResponse } from './signer-protocol.js';

await initCrypto();
const key = signingKeyFromPem((workerData as { keyPem: string }).keyPem);
const port = parentPort!;

port.on('message', (request: SignRequest) => {
  try {
    const n = request.types.length;
    const headers = new Uint8Array(n * HEADER_BYTES);
    const signatures = new Uint8Array(n * 64);
    const hashes = new Uint8Array(n * 32);
    let prevHash = request.prevHash;
    for (let i = 0; i < n; i++) {
      const payload = request.payloads.subarray(request.offsets[i]!, request.offsets[i + 1]!);
      const { entry, hash } = createEntry(
        key,
        { epoch: request.epoch, seq: request.startSeq + i, prevHash, timestampMs: request.timestampMs, payloadType: request.types[i]! },
        payload,
      );
      headers.set(entry.header, i * HEADER_BYTES);
      signatures.set(entry.signature, i * 64);
      hashes.set(hash, i * 32);
      prevHash = hash;
    }
    const response: SignResponse = { id: request.id, headers, signatures, hashes };
    port.postMessage(response, [headers.buffer, signatures.buffer, hashes.buffer]);
  } catch (err) {
    port.postMessage({ id: request.id, error: (err as Error).message } satisfies SignResponse);
  }
});
port.postMessage({ ready: true });
