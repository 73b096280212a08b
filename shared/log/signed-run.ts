/**
 * Signing a run of consecutive entries of one log in one pass: the signer worker's loop. Each
 * header holds the previous entry's hash, so this is sequential by nature; what it avoids is
 * per-entry overhead around the Ed25519 signature (objects, copies, separate buffers), which on
 * this project's 2-core machines cost about as much as the signature itself.
 *
 * The bytes are those of createEntry (entry.ts), entry by entry: test/unit/log/signed-run.test.ts
 * checks that under both crypto backends.
 */
import { blake2b256Into, SIGNATURE_BYTES, HASH_BYTES, type SigningKey } from '../crypto.js';
import { DtxError } from '../errors.js';
import { checkHeaderFields, HEADER_BYTES, MAX_PAYLOAD_BYTES, writeHeader, type EntryHeader } from './entry-header.js';

/** Header and signature side by side: together they are the entry hash's input. */
export const RECORD_BYTES = HEADER_BYTES + SIGNATURE_BYTES;

export interface RunToSign {
  epoch: number;
  /** Seq of the first entry; the rest follow without gaps. */
  startSeq: number;
  /** Hash of the entry before the first (zeros at the start of a log). */
  prevHash: Uint8Array;
  timestampMs: number;
  types: Uint16Array;
  /** offsets[i]..offsets[i+1] delimit payload i inside payloads. */
  offsets: Uint32Array;
  payloads: Uint8Array;
}

export interface SignedRun {
  /** n records of RECORD_BYTES: header, then signature. */
  records: Uint8Array<ArrayBuffer>;
  /** n entry hashes of HASH_BYTES. */
  hashes: Uint8Array<ArrayBuffer>;
}

/** Packs payloads into one buffer for a run (transferred to the signer worker, not copied). */
export function packPayloads(items: readonly { payloadType: number; payload: Uint8Array }[]): {
  types: Uint16Array<ArrayBuffer>;
  offsets: Uint32Array<ArrayBuffer>;
  payloads: Uint8Array<ArrayBuffer>;
} {
  const n = items.length;
  const types = new Uint16Array(n);
  const offsets = new Uint32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    types[i] = items[i]!.payloadType;
    offsets[i] = total;
    total += items[i]!.payload.length;
  }
  offsets[n] = total;
  const payloads = new Uint8Array(total);
  for (let i = 0; i < n; i++) payloads.set(items[i]!.payload, offsets[i]);
  return { types, offsets, payloads };
}

export function signRun(key: SigningKey, run: RunToSign): SignedRun {
  const n = run.types.length;
  if (run.offsets.length !== n + 1 || run.offsets[n] !== run.payloads.length) {
    throw new DtxError('INTERNAL', `a run of ${n} entries needs ${n + 1} payload offsets ending at ${run.payloads.length}`);
  }
  const fields: EntryHeader = {
    origin: key.publicKey,
    epoch: run.epoch,
    seq: run.startSeq,
    prevHash: run.prevHash,
    timestampMs: run.timestampMs,
    payloadType: 0,
    payloadLength: 0,
    payloadHash: new Uint8Array(HASH_BYTES),
  };
  // Origin, epoch, timestamp and prev_hash are the run's; seq is in range at both ends.
  checkHeaderFields(fields);
  checkHeaderFields({ ...fields, seq: run.startSeq + Math.max(n - 1, 0) });

  const records = new Uint8Array(n * RECORD_BYTES);
  const hashes = new Uint8Array(n * HASH_BYTES);
  for (let i = 0; i < n; i++) {
    const payload = run.payloads.subarray(run.offsets[i], run.offsets[i + 1]);
    if (payload.length > MAX_PAYLOAD_BYTES) {
      throw new DtxError('MALFORMED_ENTRY', `entry ${i} of the run: payload is ${payload.length} bytes, at most ${MAX_PAYLOAD_BYTES}`);
    }
    const record = records.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES);
    const header = record.subarray(0, HEADER_BYTES);
    fields.seq = run.startSeq + i;
    fields.payloadType = run.types[i]!;
    fields.payloadLength = payload.length;
    blake2b256Into(payload, fields.payloadHash);
    writeHeader(header, fields);
    key.signInto(header, record.subarray(HEADER_BYTES));
    const hash = hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
    blake2b256Into(record, hash);
    fields.prevHash = hash;
  }
  return { records, hashes };
}

/** Entry i of a signed run, as views into its buffers. */
export interface SignedBatch {
  header(i: number): Uint8Array;
  signature(i: number): Uint8Array;
  hash(i: number): Uint8Array;
}

export function signedBatch({ records, hashes }: SignedRun): SignedBatch {
  return {
    header: (i) => records.subarray(i * RECORD_BYTES, i * RECORD_BYTES + HEADER_BYTES),
    signature: (i) => records.subarray(i * RECORD_BYTES + HEADER_BYTES, (i + 1) * RECORD_BYTES),
    hash: (i) => hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
  };
}
