import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { WireReader, wireTypeOf } from '../../../shared/wire/wire-reader.js';
import { rng } from '../../_util/rng.js';

/** A message of `count` random fields of every wire type, groups (nested) included. */
function randomFields(next: () => number, count: number, depth = 0): BinaryWriter {
  const w = new BinaryWriter();
  for (let i = 0; i < count; i++) {
    const field = 1 + Math.floor(next() * 3000);
    const roll = Math.floor(next() * (depth < 2 ? 6 : 5));
    if (roll === 0) w.tag(field, WireType.Varint).uint64(BigInt(Math.floor(next() * 2 ** 53)) * BigInt(1 + Math.floor(next() * 2000)));
    else if (roll === 1) w.tag(field, WireType.Varint).int32(Math.floor(next() * 2 ** 32) - 2 ** 31);
    else if (roll === 2) w.tag(field, WireType.Bit64).fixed64(BigInt(Math.floor(next() * 2 ** 53)));
    else if (roll === 3) w.tag(field, WireType.Bit32).fixed32(Math.floor(next() * 2 ** 32));
    else if (roll === 4) w.tag(field, WireType.LengthDelimited).bytes(new Uint8Array(Math.floor(next() * 300)).fill(7));
    else {
      w.tag(field, WireType.StartGroup);
      const inner = randomFields(next, 1 + Math.floor(next() * 3), depth + 1).finish();
      w.raw(inner);
      w.tag(field, WireType.EndGroup);
    }
  }
  return w;
}

// WireReader's shortcuts must read exactly what protobuf-es' BinaryReader reads.
describe('wire reader', () => {
  const int64s = [0n, 1n, 127n, 128n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 49n - 1n, 2n ** 49n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 56n - 1n, 2n ** 56n, 2n ** 63n - 1n, -1n, -(2n ** 32n), -(2n ** 53n), -(2n ** 63n), 1_790_000_000_000n];
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

  it('int64Number leaves the reader after the value, and refuses a truncated one as BinaryReader does', () => {
    for (const value of int64s) {
      const bytes = new BinaryWriter().int64(value).uint32(99).finish();
      const r = new WireReader(bytes);
      r.int64Number();
      expect(r.uint32(), String(value)).toBe(99);
      const truncated = bytes.subarray(0, bytes.length - 2);
      if (truncated.length === 0) continue;
      expect(() => new BinaryReader(truncated).int64(), String(value)).toThrow();
      expect(() => new WireReader(truncated).int64Number(), String(value)).toThrow();
    }
  });

  it('nextTag and skipField step through 300 random messages exactly as tag and skip do, and fail where they fail', () => {
    const next = rng(0x5e1d);
    for (let m = 0; m < 300; m++) {
      const bytes = randomFields(next, 1 + Math.floor(next() * 12)).finish();
      const ours = new WireReader(bytes);
      const theirs = new BinaryReader(bytes);
      while (theirs.pos < theirs.len) {
        const [field, wireType] = theirs.tag();
        const tag = ours.nextTag();
        expect([tag >>> 3, wireTypeOf(tag)]).toEqual([field, wireType]);
        theirs.skip(wireType, field);
        ours.skipField(wireType, field);
        expect(ours.pos).toBe(theirs.pos);
      }
      expect(ours.pos).toBe(bytes.length);
      // Cut short anywhere: whichever call fails for protobuf-es fails here too.
      const cut = bytes.subarray(0, Math.floor(next() * bytes.length));
      const walk = (r: BinaryReader, step: (r: BinaryReader) => void) => {
        try {
          while (r.pos < r.len) step(r);
          return 'ok';
        } catch {
          return 'error';
        }
      };
      const expected = walk(new BinaryReader(cut), (r) => {
        const [field, wireType] = r.tag();
        r.skip(wireType, field);
      });
      const actual = walk(new WireReader(cut), (r) => {
        const tag = (r as WireReader).nextTag();
        (r as WireReader).skipField(wireTypeOf(tag), tag >>> 3);
      });
      expect(actual, `message ${m} cut at ${cut.length}`).toBe(expected);
    }
  });

  it('nextTag refuses field number 0, wire types 6 and 7, and a tag beyond 32 bits', () => {
    for (const bad of [[0x00], [0x06], [0x0f], [0xff, 0xff, 0xff, 0xff, 0x1f], [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]]) {
      const bytes = new Uint8Array(bad);
      expect(() => new BinaryReader(bytes).tag()).toThrow(/illegal tag/);
      expect(() => new WireReader(bytes).nextTag()).toThrow(/illegal tag/);
    }
  });
});
