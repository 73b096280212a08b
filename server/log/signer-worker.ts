/**
 * Worker thread that signs and chains entries of this node's own log. Signing is the most
 * expensive step of a publish and is sequential by nature (each header holds the previous
 * entry's hash); running it here lets the main thread decode, validate and commit other
 * batches on the second core meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initCrypto, signingKeyFromPem } from '../../shared/crypto.js';
import { signRun } from '../../shared/log/signed-run.js';
import type { SignRequest, SignResponse } from './signer-protocol.js';

await initCrypto();
const key = signingKeyFromPem((workerData as { keyPem: string }).keyPem);
const port = parentPort!;

port.on('message', (request: SignRequest) => {
  try {
    const { records, hashes } = signRun(key, request);
    port.postMessage({ id: request.id, records, hashes } satisfies SignResponse, [records.buffer, hashes.buffer]);
  } catch (err) {
    port.postMessage({ id: request.id, error: (err as Error).message } satisfies SignResponse);
  }
});
port.postMessage({ ready: true });
