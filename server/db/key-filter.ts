/**
 * A Bloom filter of the lookup keys in the view (lookup_keys and lookup_recent), in shared
 * memory so that the lookup reader threads test the same bits the main thread sets. Most values
 * a gateway asks about are not in any feed; a miss answered here costs a few hundred nanoseconds
 * instead of two index probes (about 3 µs each at 1M stored). A key that is present always
 * tests positive; a key that is not tests positive about 0.4 % of the time at the intended load
 * (32 bits per key, two probes), and then SQLite answers as before.
 *
 * Bits are only ever set: a key removed from the view (a new version with another value) stays
 * in the filter until the next rebuild, which costs only that 0.4 %. The main thread (the only
 * writer) sets a key's bits before the transaction that adds it commits, so any reader whose
 * snapshot holds the key sees them (Atomics on both sides; SQLite's shared-memory barriers order
 * the commit against the snapshot).
 */

/** Word 0 holds the state (0 while building, READY once every key is in); the bits follow. */
const STATE = 0;
const READY = 1;
const HEADER_WORDS = 1;

export const BITS_PER_KEY = 32;
const MIN_BITS = 2 ** 20;
/** 256 MiB of bits: about 67M keys at the intended load. */
const MAX_BITS = 2 ** 31;

export class KeyFilter {
  private readonly words: Int32Array;
  private readonly mask: number;
  /** Keys added so far (with repeats), counted by the thread that owns the filter. */
  added = 0;

  private constructor(
    readonly memory: SharedArrayBuffer,
    /** Keys the filter was sized for. */
    readonly sizedFor: number,
  ) {
    this.words = new Int32Array(memory);
    this.mask = (this.words.length - HEADER_WORDS) * 32 - 1;
  }

  /** An empty filter, still building, for about `keys` keys. */
  static create(keys: number): KeyFilter {
    let bits = MIN_BITS;
    while (bits < keys * BITS_PER_KEY && bits < MAX_BITS) bits *= 2;
    return new KeyFilter(new SharedArrayBuffer(4 * (HEADER_WORDS + bits / 32)), bits / BITS_PER_KEY);
  }

  /** The filter in `memory`, as another thread created it. */
  static view(memory: SharedArrayBuffer): KeyFilter {
    const words = (memory.byteLength >> 2) - HEADER_WORDS;
    return new KeyFilter(memory, (words * 32) / BITS_PER_KEY);
  }

  get ready(): boolean {
    return Atomics.load(this.words, STATE) === READY;
  }

  /** Every key of the view is in: from now on a negative test means absent. */
  markReady(): void {
    Atomics.store(this.words, STATE, READY);
  }

  add(key: number): void {
    this.added++;
    this.set(first(key) & this.mask);
    this.set(second(key) & this.mask);
  }

  /** False only when the key is certainly absent (and the filter is ready). */
  mightContain(key: number): boolean {
    if (!this.ready) return true;
    return this.isSet(first(key) & this.mask) && this.isSet(second(key) & this.mask);
  }

  private set(bit: number): void {
    Atomics.or(this.words, HEADER_WORDS + (bit >>> 5), 1 << (bit & 31));
  }

  private isSet(bit: number): boolean {
    return (Atomics.load(this.words, HEADER_WORDS + (bit >>> 5)) & (1 << (bit & 31))) !== 0;
  }
}

/** The 48-bit key's low 32 bits: already a murmur3 finaliser's output (server/indicators/lookup-key.ts). */
function first(key: number): number {
  return key >>> 0;
}

/** A second position, from the low bits mixed with the high 16. */
function second(key: number): number {
  let h = Math.imul((key >>> 0) ^ Math.imul(Math.floor(key / 2 ** 32), 0x10001), 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}
