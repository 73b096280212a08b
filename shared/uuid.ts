/**
 * Indicator ids are UUIDv7 (RFC 9562): unique without coordination between labs, and
 * time-ordered, so new ids append at the right edge of the primary-key B-tree instead of
 * landing at random pages (insert speed at millions of rows depends on it).
 */
import { randomFillSync } from 'node:crypto';
import { invalidArgument } from './errors.js';

let lastMs = 0;
let counter = 0;

// Random bytes are drawn from the OS in blocks: one call per id was a visible cost when
// publishing tens of thousands of indicators a second.
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let poolOffset = POOL_BYTES;

export function uuidv7Bytes(nowMs = Date.now()): Uint8Array {
  if (poolOffset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.slice(poolOffset, poolOffset + 16);
  poolOffset += 16;
  // Within one millisecond, a 12-bit counter in rand_a keeps ids monotonic (RFC 9562 method 1).
  if (nowMs <= lastMs) {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
    nowMs = lastMs;
  } else {
    lastMs = nowMs;
    counter = 0;
  }
  const hi = Math.floor(nowMs / 2 ** 16);
  const lo = nowMs & 0xffff;
  bytes[0] = (hi >>> 24) & 0xff;
  bytes[1] = (hi >>> 16) & 0xff;
  bytes[2] = (hi >>> 8) & 0xff;
  bytes[3] = hi & 0xff;
  bytes[4] = (lo >>> 8) & 0xff;
  bytes[5] = lo & 0xff;
  bytes[6] = 0x70 | ((counter >>> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  return bytes;
}

export function uuidToString(bytes: Uint8Array): string {
  return uuidFromHex(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
}

/** The text form of a UUID given as 32 lower-case hex digits. */
export function uuidFromHex(h: string): string {
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function uuidFromString(text: string, field = 'id'): Uint8Array {
  const lower = text.toLowerCase();
  if (!UUID_RE.test(lower)) throw invalidArgument(field, `"${text.slice(0, 40)}" is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
  return new Uint8Array(Buffer.from(lower.replaceAll('-', ''), 'hex'));
}
