/**
 * Creating and checking single signed entries. An entry is header + signature + payload; its
 * hash is BLAKE2b-256(header || signature), and the next entry's prev_hash is that hash, so
 * the chain vouches for every earlier signature too.
 */
import { blake2b256, blake2b256Into, HASH_BYTES, verifySignature, type SigningKey } from '../crypto.js';
import { bytesEqual } from '../encoding/hex.js';
import { DtxError } from '../errors.js';
import { decodeHeader, encodeHeader, type EntryHeader } from './entry-header.js';

export interface SignedEntry {
  header: Uint8Array;
  signature: Uint8Array;
  payload: Uint8Array;
}

export interface NewEntryFields {
  epoch: number;
  seq: number;
  prevHash: Uint8Array;
  timestampMs: number;
  payloadType: number;
}

export interface CreatedEntry {
  entry: SignedEntry;
  hash: Uint8Array;
}

export function entryHash(header: Uint8Array, signature: Uint8Array): Uint8Array {
  return blake2b256(header, signature);
}

export function createEntry(key: SigningKey, fields: NewEntryFields, payload: Uint8Array): CreatedEntry {
  const header = encodeHeader({
    ...fields,
    origin: key.publicKey,
    payloadLength: payload.length,
    payloadHash: blake2b256(payload),
  });
  const signature = key.sign(header);
  return { entry: { header, signature, payload }, hash: entryHash(header, signature) };
}

/** Scratch for the payload hash: compared and dropped, so one buffer serves every check. */
const payloadDigest = Buffer.alloc(HASH_BYTES);

export interface CheckedEntry {
  header: EntryHeader;
  hash: Uint8Array;
}

/**
 * Checks one entry on its own: layout, payload length and hash, and (unless the caller
 * authenticates it through the chain instead) the origin's signature.
 */
export function checkEntry(
  entry: SignedEntry,
  options: { signature: boolean } = { signature: true },
  /** The header already decoded from entry.header by the caller (it is not decoded twice). */
  decoded?: EntryHeader,
): CheckedEntry {
  const header = decoded ?? decodeHeader(entry.header);
  checkPayloadLength(entry, header);
  blake2b256Into(entry.payload, payloadDigest);
  if (!bytesEqual(payloadDigest, header.payloadHash)) throw payloadMismatch(header);
  if (options.signature && !verifySignature(header.origin, entry.header, entry.signature)) {
    throw new DtxError('BAD_SIGNATURE', `seq ${header.seq}: signature does not verify with the origin key`);
  }
  return { header, hash: entryHash(entry.header, entry.signature) };
}

/**
 * The same checks as checkEntry without its signature, from digests computed elsewhere (a
 * worker thread hashes a received message while the main thread stores the one before):
 * whether the payload's hash matched the header's, and the entry hash.
 */
export function checkDigestedEntry(entry: SignedEntry, header: EntryHeader, payloadMatches: boolean, hash: Uint8Array): CheckedEntry {
  checkPayloadLength(entry, header);
  if (!payloadMatches) throw payloadMismatch(header);
  return { header, hash };
}

function checkPayloadLength(entry: SignedEntry, header: EntryHeader): void {
  if (entry.payload.length !== header.payloadLength) {
    throw new DtxError('MALFORMED_ENTRY', `seq ${header.seq}: payload is ${entry.payload.length} bytes, header says ${header.payloadLength}`);
  }
}

function payloadMismatch(header: EntryHeader): DtxError {
  return new DtxError('MALFORMED_ENTRY', `seq ${header.seq}: payload does not match the payload hash in the header`);
}
