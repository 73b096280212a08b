/**
 * The 48-bit key under which an indicator's (kind, value) is indexed. A cryptographic hash, so
 * peers cannot craft many values that pile onto one key; 48 bits keep it a plain JS number, and
 * every lookup still compares kind and value, so a rare collision costs one extra row read.
 */
import { blake2b256 } from '../../shared/crypto.js';

const encoder = new TextEncoder();

export function lookupKey(kindCode: number, value: string): number {
  const hash = blake2b256(encoder.encode(`${kindCode}:${value}`));
  return Buffer.from(hash.buffer, hash.byteOffset, 6).readUIntBE(0, 6);
}
