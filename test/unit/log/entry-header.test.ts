import { describe, expect, it } from 'vitest';
import { blake2b256, signingKeyFromSeed } from '../../../shared/crypto.js';
import { toHex } from '../../../shared/encoding/hex.js';
import { DtxError, type ErrorCode } from '../../../shared/errors.js';
import { checkEntry, createEntry, entryHash } from '../../../shared/log/entry.js';
import {
  decodeHeader,
  DOMAIN_TAG,
  encodeHeader,
  HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  ZERO_HASH,
  type EntryHeader,
} from '../../../shared/log/entry-header.js';

function expectCode(fn: () => unknown, code: ErrorCode): void {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error, 'expected a DtxError').toBeInstanceOf(DtxError);
  expect((error as DtxError).code, (error as Error).message).toBe(code);
}

const filled = (n: number, byte: number) => new Uint8Array(n).fill(byte);

function sample(over: Partial<EntryHeader> = {}): EntryHeader {
  return {
    origin: filled(32, 0xa1),
    epoch: 3,
    seq: 42,
    prevHash: filled(32, 0xb2),
    timestampMs: Date.UTC(2026, 0, 1),
    payloadType: 1,
    payloadLength: 7,
    payloadHash: filled(32, 0xc3),
    ...over,
  };
}

/** A header with raw field values, bypassing encodeHeader's checks. */
function raw(over: { epoch?: number; seq?: bigint; timestampMs?: bigint; payloadLength?: number } = {}): Uint8Array {
  const bytes = encodeHeader(sample());
  const view = new DataView(bytes.buffer);
  if (over.epoch !== undefined) view.setUint32(40, over.epoch);
  if (over.seq !== undefined) view.setBigUint64(44, over.seq);
  if (over.timestampMs !== undefined) view.setBigUint64(84, over.timestampMs);
  if (over.payloadLength !== undefined) view.setUint32(94, over.payloadLength);
  return bytes;
}

describe('encodeHeader / decodeHeader', () => {
  it('round-trips', () => {
    const h = sample();
    const bytes = encodeHeader(h);
    expect(bytes.length).toBe(HEADER_BYTES);
    expect(decodeHeader(bytes)).toEqual(h);
  });

  it('round-trips the boundary values', () => {
    const h = sample({
      epoch: 2 ** 32 - 1,
      seq: Number.MAX_SAFE_INTEGER,
      timestampMs: Number.MAX_SAFE_INTEGER,
      payloadType: 0xffff,
      payloadLength: MAX_PAYLOAD_BYTES,
    });
    expect(decodeHeader(encodeHeader(h))).toEqual(h);
    const low = sample({ epoch: 1, seq: 1, timestampMs: 0, payloadType: 0, payloadLength: 0, prevHash: ZERO_HASH });
    expect(decodeHeader(encodeHeader(low))).toEqual(low);
  });

  it('lays fields out big-endian at the documented offsets', () => {
    const h = sample({ epoch: 0x01020304, seq: 0x0000_0506_0708_090a, timestampMs: 0x0000_0b0c_0d0e_0f10, payloadType: 0x1112, payloadLength: 0x1314 });
    const bytes = encodeHeader(h);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('DTXLOG01');
    expect(bytes.subarray(0, 8)).toEqual(DOMAIN_TAG);
    expect(bytes.subarray(8, 40)).toEqual(h.origin);
    expect(toHex(bytes.subarray(40, 44))).toBe('01020304');
    expect(toHex(bytes.subarray(44, 52))).toBe('000005060708090a');
    expect(bytes.subarray(52, 84)).toEqual(h.prevHash);
    expect(toHex(bytes.subarray(84, 92))).toBe('00000b0c0d0e0f10');
    expect(toHex(bytes.subarray(92, 94))).toBe('1112');
    expect(toHex(bytes.subarray(94, 98))).toBe('00001314');
    expect(bytes.subarray(98, 130)).toEqual(h.payloadHash);
  });

  it('decodes a header that sits inside a larger buffer', () => {
    const h = sample();
    const buffer = new Uint8Array(HEADER_BYTES + 10).fill(0xee);
    buffer.set(encodeHeader(h), 5);
    expect(decodeHeader(buffer.subarray(5, 5 + HEADER_BYTES))).toEqual(h);
  });

  it('refuses out-of-range fields when encoding', () => {
    const bad: Partial<EntryHeader>[] = [
      { epoch: 0 },
      { epoch: 2 ** 32 },
      { epoch: 1.5 },
      { seq: 0 },
      { seq: -1 },
      { seq: 2 ** 53 },
      { seq: 2 ** 64 },
      { seq: 2.5 },
      { timestampMs: -1 },
      { timestampMs: 2 ** 53 },
      { payloadType: -1 },
      { payloadType: 0x10000 },
      { payloadLength: -1 },
      { payloadLength: MAX_PAYLOAD_BYTES + 1 },
      { origin: filled(31, 1) },
      { prevHash: filled(33, 1) },
      { payloadHash: new Uint8Array(0) },
    ];
    for (const over of bad) expectCode(() => encodeHeader(sample(over)), 'MALFORMED_ENTRY');
  });

  it('refuses headers of the wrong size', () => {
    const bytes = encodeHeader(sample());
    for (const len of [0, 8, HEADER_BYTES - 1]) expectCode(() => decodeHeader(bytes.subarray(0, len)), 'MALFORMED_ENTRY');
    expectCode(() => decodeHeader(new Uint8Array([...bytes, 0])), 'MALFORMED_ENTRY');
  });

  it('refuses another domain tag', () => {
    for (let i = 0; i < 8; i++) {
      const bytes = encodeHeader(sample());
      bytes[i] = bytes[i]! ^ 0x20;
      expectCode(() => decodeHeader(bytes), 'MALFORMED_ENTRY');
    }
  });

  it('refuses out-of-range fields when decoding', () => {
    expect(decodeHeader(raw({ seq: 2n ** 53n - 1n })).seq).toBe(Number.MAX_SAFE_INTEGER);
    for (const over of [
      { epoch: 0 },
      { seq: 0n },
      { seq: 2n ** 53n },
      { seq: 2n ** 53n + 1n },
      { seq: 2n ** 64n - 1n },
      { timestampMs: 2n ** 53n },
      { timestampMs: 2n ** 64n - 1n },
      { payloadLength: MAX_PAYLOAD_BYTES + 1 },
      { payloadLength: 0xffffffff },
    ]) {
      expectCode(() => decodeHeader(raw(over)), 'MALFORMED_ENTRY');
    }
  });
});

describe('createEntry / checkEntry', () => {
  const key = signingKeyFromSeed(filled(32, 0x01));
  const fields = { epoch: 1, seq: 1, prevHash: ZERO_HASH, timestampMs: 1_767_225_600_000, payloadType: 1 };

  it('round-trips an entry and hashes header || signature', () => {
    const payload = new TextEncoder().encode('payload');
    const { entry, hash } = createEntry(key, fields, payload);
    expect(entry.signature.length).toBe(64);
    expect(hash).toEqual(blake2b256(new Uint8Array([...entry.header, ...entry.signature])));
    expect(hash).toEqual(entryHash(entry.header, entry.signature));
    const checked = checkEntry(entry);
    expect(checked.hash).toEqual(hash);
    expect(checked.header).toEqual({ ...fields, origin: key.publicKey, payloadLength: payload.length, payloadHash: blake2b256(payload) });
  });

  it('is deterministic', () => {
    const a = createEntry(key, fields, new Uint8Array([1, 2, 3]));
    const b = createEntry(key, fields, new Uint8Array([1, 2, 3]));
    expect(a).toEqual(b);
  });

  it('accepts an empty payload and one of exactly MAX_PAYLOAD_BYTES', () => {
    for (const size of [0, MAX_PAYLOAD_BYTES]) {
      const { entry } = createEntry(key, fields, new Uint8Array(size).fill(7));
      expect(checkEntry(entry).header.payloadLength).toBe(size);
    }
  });

  it('refuses a payload longer than MAX_PAYLOAD_BYTES', () => {
    expectCode(() => createEntry(key, fields, new Uint8Array(MAX_PAYLOAD_BYTES + 1)), 'MALFORMED_ENTRY');
  });

  it('refuses bad fields when creating', () => {
    expectCode(() => createEntry(key, { ...fields, epoch: 0 }, new Uint8Array(1)), 'MALFORMED_ENTRY');
    expectCode(() => createEntry(key, { ...fields, seq: 2 ** 53 }, new Uint8Array(1)), 'MALFORMED_ENTRY');
    expectCode(() => createEntry(key, { ...fields, prevHash: new Uint8Array(31) }, new Uint8Array(1)), 'MALFORMED_ENTRY');
  });

  it('checks the payload binding before the signature', () => {
    const { entry } = createEntry(key, fields, new Uint8Array([1, 2, 3]));
    expectCode(() => checkEntry({ ...entry, payload: new Uint8Array([1, 2, 4]) }), 'MALFORMED_ENTRY');
    expectCode(() => checkEntry({ ...entry, payload: new Uint8Array([1, 2]) }), 'MALFORMED_ENTRY');
    expectCode(() => checkEntry({ ...entry, payload: new Uint8Array([1, 2, 4]), signature: new Uint8Array(64) }), 'MALFORMED_ENTRY');
    // With signature: false the payload is still bound to the header.
    expectCode(() => checkEntry({ ...entry, payload: new Uint8Array([1, 2, 4]) }, { signature: false }), 'MALFORMED_ENTRY');
  });

  it('refuses any single-bit change to the header or signature', () => {
    const { entry } = createEntry(key, fields, new Uint8Array([1, 2, 3]));
    for (let i = 8; i < 98; i++) {
      const header = new Uint8Array(entry.header);
      header[i] = header[i]! ^ 0x80;
      let error: unknown;
      try {
        checkEntry({ ...entry, header });
      } catch (err) {
        error = err;
      }
      // Either the field goes out of range (MALFORMED_ENTRY) or the signature breaks.
      expect(error, `byte ${i}`).toBeInstanceOf(DtxError);
      expect(['BAD_SIGNATURE', 'MALFORMED_ENTRY'], `byte ${i}`).toContain((error as DtxError).code);
    }
    for (let i = 0; i < 64; i++) {
      const signature = new Uint8Array(entry.signature);
      signature[i] = signature[i]! ^ 0x01;
      expectCode(() => checkEntry({ ...entry, signature }), 'BAD_SIGNATURE');
    }
    expectCode(() => checkEntry({ ...entry, signature: entry.signature.subarray(0, 63) }), 'BAD_SIGNATURE');
    expectCode(() => checkEntry({ ...entry, signature: new Uint8Array(0) }), 'BAD_SIGNATURE');
  });

  it('refuses a signature by another key', () => {
    const other = signingKeyFromSeed(filled(32, 0x02));
    const { entry } = createEntry(key, fields, new Uint8Array([1]));
    expectCode(() => checkEntry({ ...entry, signature: other.sign(entry.header) }), 'BAD_SIGNATURE');
  });
});
