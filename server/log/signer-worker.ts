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

/** The last entry this worker signed: the next run chains on it unless its request names a hash. */
let last: { epoch: number; seq: number; hash: Uint8Array } | undefined;

function prevHashOf(request: SignRequest): Uint8Array {
  if (request.prevHash) return request.prevHash;
  if (!last || last.epoch !== request.epoch || last.seq !== request.startSeq - 1) {
    const had = last ? `epoch ${last.epoch} seq ${last.seq}` : 'nothing';
    throw new Error(`a run at epoch ${request.epoch} seq ${request.startSeq} cannot chain on the last entry signed here (${had})`);
  }
  return last.hash;
}

port.on('message', (request: SignRequest) => {
  try {
    const n = request.types.length;
    const { records, hashes } = signRun(key, { ...request, prevHash: prevHashOf(request) });
    // Copied: the hashes' buffer is transferred to the main thread below.
    if (n > 0) last = { epoch: request.epoch, seq: request.startSeq + n - 1, hash: hashes.slice((n - 1) * 32, n * 32) };
    port.postMessage({ id: request.id, records, hashes } satisfies SignResponse, [records.buffer, hashes.buffer]);
  } catch (err) {
    port.postMessage({ id: request.id, error: (err as Error).message } satisfies SignResponse);
  }
});
port.postMessage({ ready: true });
