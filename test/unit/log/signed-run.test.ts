/**
 * signRun (the signer worker's loop) makes exactly the entries createEntry makes one by one,
 * under both crypto backends, and refuses a run it cannot sign without signing any of it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSigningKey, selectCryptoBackend } from '../../../shared/crypto.js';
import { DtxError } from '../../../shared/errors.js';
import { ChainVerifier } from '../../../shared/log/chain-verifier.js';
import { HEADER_BYTES, MAX_PAYLOAD_BYTES, ZERO_HASH } from '../../../shared/log/entry-header.js';
import { createEntry } from '../../../shared/log/entry.js';
import { RECORD_BYTES, signRun, type RunToSign } from '../../../shared/log/signed-run.js';

function runOf(payloads: Uint8Array[], fields: Partial<RunToSign> = {}): RunToSign {
  const offsets = new Uint32Array(payloads.length + 1);
  payloads.forEach((p, i) => (offsets[i + 1] = offsets[i]! + p.length));
  const packed = new Uint8Array(offsets[payloads.length]!);
  payloads.forEach((p, i) => packed.set(p, offsets[i]));
  return {
    epoch: 1,
    startSeq: 1,
    prevHash: ZERO_HASH,
    timestampMs: 1_764_000_000_000,
    types: Uint16Array.from(payloads, (_, i) => 1 + (i % 3)),
    offsets,
    payloads: packed,
    ...fields,
  };
}

afterAll(() => {
  selectCryptoBackend('auto');
});

describe.each(['native', 'portable'] as const)('signRun with the %s crypto backend', (backend) => {
  const key = generateSigningKey();
  // Empty, small and maximal payloads, mixed types.
  const payloads = [new Uint8Array(0), randomBytes(1), randomBytes(600), randomBytes(MAX_PAYLOAD_BYTES), randomBytes(77)];

  it('makes the bytes createEntry makes, entry by entry, chained from a head', () => {
    selectCryptoBackend(backend);
    const head = { seq: 41, hash: Uint8Array.from(randomBytes(32)) };
    const run = runOf(payloads, { epoch: 3, startSeq: head.seq + 1, prevHash: head.hash });
    const { records, hashes } = signRun(key, run);
    expect(records.length).toBe(payloads.length * RECORD_BYTES);
    let prevHash: Uint8Array = head.hash;
    payloads.forEach((payload, i) => {
      const { entry, hash } = createEntry(key, { epoch: 3, seq: head.seq + 1 + i, prevHash, timestampMs: run.timestampMs, payloadType: run.types[i]! }, payload);
      const record = records.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES);
      expect(Buffer.from(record.subarray(0, HEADER_BYTES)).equals(entry.header), `header ${i}`).toBe(true);
      expect(Buffer.from(record.subarray(HEADER_BYTES)).equals(entry.signature), `signature ${i}`).toBe(true);
      expect(Buffer.from(hashes.subarray(i * 32, (i + 1) * 32)).equals(hash), `hash ${i}`).toBe(true);
      prevHash = hash;
    });
  });

  it('makes a chain that verifies from the start of a log, every signature included', () => {
    selectCryptoBackend(backend);
    const run = runOf(payloads);
    const { records } = signRun(key, run);
    const verifier = new ChainVerifier(key.publicKey);
    payloads.forEach((payload, i) => {
      const record = records.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES);
      verifier.push({ header: record.subarray(0, HEADER_BYTES), signature: record.subarray(HEADER_BYTES), payload }, { signature: true });
    });
    expect(verifier.current?.seq).toBe(payloads.length);
  });

  it('refuses an oversized payload, naming the entry', () => {
    selectCryptoBackend(backend);
    const run = runOf([randomBytes(5), randomBytes(MAX_PAYLOAD_BYTES + 1)]);
    expect(() => signRun(key, run)).toThrow(DtxError);
    expect(() => signRun(key, run)).toThrow(/entry 1 of the run: payload is 65537 bytes/);
  });

  it('refuses seqs, epochs and timestamps outside the header format', () => {
    selectCryptoBackend(backend);
    const cases: Partial<RunToSign>[] = [{ startSeq: 0 }, { startSeq: Number.MAX_SAFE_INTEGER }, { epoch: 0 }, { timestampMs: -1 }, { prevHash: new Uint8Array(31) }];
    for (const fields of cases) {
      let error: unknown;
      try {
        signRun(key, runOf(payloads, fields));
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(fields)).toBeInstanceOf(DtxError);
      expect((error as DtxError).code).toBe('MALFORMED_ENTRY');
    }
  });

  it('refuses offsets that do not describe the payloads', () => {
    selectCryptoBackend(backend);
    const run = runOf(payloads);
    expect(() => signRun(key, { ...run, offsets: run.offsets.subarray(1) })).toThrow(/payload offsets/);
  });
});
