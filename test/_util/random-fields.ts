/**
 * Random field values for the wire-format tests, which compare the hand-written readers and
 * writers with the generated code: empty and zero values often, non-ASCII text, negative times.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { rng } from './rng.js';

export function randomFields(seed: number) {
  const next = rng(seed);
  const int = (max: number) => (next() < 0.25 ? 0 : Math.floor(next() * max));
  const maybe = <T>(v: () => T): T | undefined => (next() < 0.3 ? undefined : v());
  const text = (max: number) => (next() < 0.2 ? '' : Array.from({ length: 1 + int(max) }, () => String.fromCodePoint(32 + int(0x7ff))).join(''));
  const list = (max: number) => Array.from({ length: int(max) }, () => text(12));
  const timestamp = () => ({ seconds: BigInt(int(2 ** 40)) * (next() < 0.1 ? -1n : 1n), nanos: int(1e9) });
  return { next, int, maybe, text, list, timestamp };
}

/** Appends an unknown field, as a newer peer might send: the readers must skip it as the generated decoder does. */
export function withUnknownField(bytes: Uint8Array): Uint8Array {
  const extra = new BinaryWriter().tag(99, WireType.LengthDelimited).string('from the future').finish();
  return new Uint8Array([...bytes, ...extra]);
}
