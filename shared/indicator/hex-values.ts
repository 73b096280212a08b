/**
 * Value rules for kinds shared as hex digests: keyed hashes (HMAC-SHA-256 style, 32 bytes),
 * the user-agent hash, 64-bit SimHash codes and MinHash signatures. Hex is lower-cased so the
 * same digest always signs and indexes as the same text.
 */
import { invalidArgument } from '../errors.js';

/**
 * One pass over the characters, and no new string for a value already in lower case (what
 * publishers and gateways send): a batch lookup checks tens of thousands of these.
 */
function lowerHex(value: string, field: string): string {
  let upper = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)) continue;
    if (c >= 0x41 && c <= 0x46) upper = true;
    else throw invalidArgument(field, 'must be hexadecimal digits only (0-9, a-f)');
  }
  return upper ? value.toLowerCase() : value;
}

/** 32-byte digest as 64 hex digits. */
export function canonicalHash256(value: string, field: string): string {
  const hex = lowerHex(value, field);
  if (hex.length !== 64) throw invalidArgument(field, `must be exactly 64 hex digits (got ${hex.length})`);
  return hex;
}

/** Keyed 64-bit SimHash code as 16 hex digits (leading zeros kept: the width is the code). */
export function canonicalSimhash(value: string, field: string): string {
  const hex = lowerHex(value, field);
  if (hex.length !== 16) throw invalidArgument(field, `must be exactly 16 hex digits, a 64-bit SimHash (got ${hex.length})`);
  return hex;
}

export const MINHASH_MIN_VALUES = 16;
export const MINHASH_MAX_VALUES = 256;

/** Keyed MinHash signature: 16 to 256 32-bit values, each 8 hex digits, concatenated. */
export function canonicalMinhash(value: string, field: string): string {
  const hex = lowerHex(value, field);
  if (hex.length % 8 !== 0) {
    throw invalidArgument(field, `must be whole 32-bit values, a multiple of 8 hex digits (got ${hex.length})`);
  }
  const count = hex.length / 8;
  if (count < MINHASH_MIN_VALUES || count > MINHASH_MAX_VALUES) {
    throw invalidArgument(
      field,
      `must hold ${MINHASH_MIN_VALUES} to ${MINHASH_MAX_VALUES} 32-bit values, ${MINHASH_MIN_VALUES * 8} to ${MINHASH_MAX_VALUES * 8} hex digits (got ${count})`,
    );
  }
  return hex;
}
