import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { WireReader } from '../../../shared/wire/wire-reader.js';

// WireReader's shortcuts must read exactly what protobuf-es' BinaryReader reads.
describe('wire reader', () => {
  const int64s = [0n, 1n, 127n, 128n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, -1n, -(2n ** 32n), -(2n ** 53n), -(2n ** 63n), 1_790_000_000_000n];
  const uint64s = [0n, 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];

  it('reads int64 and uint64 values as bigints and numbers, inside 53 bits and beyond, negative ones too', () => {
    for (const value of int64s) {
      const bytes = new BinaryWriter().int64(value).finish();
      expect(new WireReader(bytes).int64Big(), String(value)).toBe(BigInt(new BinaryReader(bytes).int64()));
    }
    for (const value of int64s) {
      const bytes = new BinaryWriter().int64(value).finish();
      expect(new WireReader(bytes).int64Number(), String(value)).toBe(Number(new BinaryReader(bytes).int64()));
    }
    for (const value of uint64s) {
      const bytes = new BinaryWriter().uint64(value).finish();
      expect(new WireReader(bytes).uint64Big(), String(value)).toBe(BigInt(new BinaryReader(bytes).uint64()));
    }
  });

  it('reads strings from a Buffer, a Uint8Array, and a view into a larger array', () => {
    const text = 'dtx ✓ 𝔡𝔱𝔵';
    const bytes = new BinaryWriter().string(text).string('').string('end').finish();
    const padded = new Uint8Array(bytes.length + 9);
    padded.set(bytes, 4);
    for (const copy of [bytes, Buffer.from(bytes), padded.subarray(4, 4 + bytes.length)]) {
      const r = new WireReader(copy);
      expect([r.string(), r.string(), r.string()]).toEqual([text, '', 'end']);
      expect(() => r.string()).toThrow();
    }
  });
});
