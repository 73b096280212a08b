/**
 * Worker thread that checks Ed25519 signatures of received entries, for nodes configured to
 * verify every signature ("syncVerify": "every"): the main thread keeps storing while the
 * workers verify the next message.
 */
import { parentPort } from 'node:worker_threads';
import { initCrypto, verifySignature } from '../../shared/crypto.js';
import { HEADER_BYTES } from '../../shared/log/entry-header.js';
import type { VerifyRequest, VerifyResponse } from './verify-protocol.js';

const ORIGIN_OFFSET = 8;
const port = parentPort!;
// The portable backend verifies in WebAssembly, which loads asynchronously; messages wait in the port meanwhile.
await initCrypto();

port.on('message', (request: VerifyRequest) => {
  const n = request.signatures.length / 64;
  const ok = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const header = request.headers.subarray(i * HEADER_BYTES, (i + 1) * HEADER_BYTES);
    ok[i] = verifySignature(header.subarray(ORIGIN_OFFSET, ORIGIN_OFFSET + 32), header, request.signatures.subarray(i * 64, (i + 1) * 64)) ? 1 : 0;
  }
  port.postMessage({ id: request.id, ok } satisfies VerifyResponse, [ok.buffer]);
});
