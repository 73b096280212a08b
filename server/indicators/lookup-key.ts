/**
 * The 48-bit key under which an indicator's (kind, value) is indexed: two 32-bit
 * multiply-xorshift lanes over the value's UTF-16 code units (seeded by the kind), mixed with
 * the murmur3 finaliser. A pure-JS hash, because a batch of 10,000 lookups hashes 10,000 values
 * and a native or WebAssembly hash call costs 1.5 to 2 microseconds each against 0.1 here.
 *
 * It is not cryptographic: a member could craft values that share a key. That costs only speed
 * (every lookup compares kind and value, so a shared key means extra rows read), never a wrong
 * answer, and members are known, authenticated labs.
 */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function lookupKey(kindCode: number, value: string): number {
  let a = 0x9e3779b9 ^ kindCode;
  let b = 0x7f4a7c15 ^ Math.imul(kindCode, 0x27d4eb2f);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  const lo = fmix32(a ^ Math.imul(b, 0x165667b1));
  const hi = fmix32(b ^ lo) & 0xffff;
  return hi * 2 ** 32 + lo;
}
