/**
 * Value rules for kinds shared as hex digests: keyed hashes (HMAC-SHA-256 style, 32 bytes),
 * the user-agent hash, 64-bit SimHash codes and MinHash signatures. Hex is lower-cased so the
 * same digest always signs and indexes as the same text.
 */
import { invalidArgument } from '../errors.js';

const HEX = /^[0-9a-f]*$/;

function lowerHex(value: string, field: string): string {
  const lower = value.toLowerCase();
  if (!HEX.test(lower)) throw invalidArgument(field, 'must be hexadecimal digits only (0-9, a-f)');
  return lower;
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
