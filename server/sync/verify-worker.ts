/**
 * Worker thread for the applier: checks Ed25519 signatures of received entries, for nodes
 * configured to verify every signature ("syncVerify": "every"), and hashes received messages
 * (payload hashes and entry hashes) while the main thread stores the message before.
 */
import { parentPort } from 'node:worker_threads';
import { bytesEqual } from '../../shared/encoding/hex.js';
import { blake2b256Into, initCrypto, verifySignature } from '../../shared/crypto.js';
import { HEADER_BYTES, PAYLOAD_HASH_OFFSET } from '../../shared/log/entry-header.js';
import type { DigestRequest, DigestResponse, VerifyRequest, VerifyResponse } from './verify-protocol.js';

const ORIGIN_OFFSET = 8;
const SEALED_BYTES = HEADER_BYTES + 64;
const port = parentPort!;
// The portable backend verifies in WebAssembly, which loads asynchronously; messages wait in the port meanwhile.
await initCrypto();

function verify(request: VerifyRequest): void {
  const n = request.signatures.length / 64;
  const ok = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const header = request.headers.subarray(i * HEADER_BYTES, (i + 1) * HEADER_BYTES);
    ok[i] = verifySignature(header.subarray(ORIGIN_OFFSET, ORIGIN_OFFSET + 32), header, request.signatures.subarray(i * 64, (i + 1) * 64)) ? 1 : 0;
  }
  port.postMessage({ id: request.id, ok } satisfies VerifyResponse, [ok.buffer]);
}

function digest(request: DigestRequest): void {
  const n = request.ends.length;
  const ok = new Uint8Array(n);
  const hashes = new Uint8Array(n * 32);
  const payloadHash = new Uint8Array(32);
  let start = 0;
  for (let i = 0; i < n; i++) {
    const sealed = request.sealed.subarray(i * SEALED_BYTES, (i + 1) * SEALED_BYTES);
    blake2b256Into(request.payloads.subarray(start, request.ends[i]), payloadHash);
    ok[i] = bytesEqual(payloadHash, sealed.subarray(PAYLOAD_HASH_OFFSET, PAYLOAD_HASH_OFFSET + 32)) ? 1 : 0;
    // The entry hash: BLAKE2b-256 of the header followed by the signature (shared/log/entry.ts).
    blake2b256Into(sealed, hashes.subarray(i * 32, (i + 1) * 32));
    start = request.ends[i]!;
  }
  port.postMessage({ id: request.id, ok, hashes } satisfies DigestResponse, [ok.buffer, hashes.buffer]);
}

port.on('message', (request: VerifyRequest | DigestRequest) => (request.kind === 'digest' ? digest(request) : verify(request)));
