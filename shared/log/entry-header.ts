/**
 * The fixed binary layout of a log entry header (docs/log-format.md). All integers are
 * big-endian. The signature covers exactly these bytes, and they travel and are stored as is,
 * so no implementation ever has to re-serialise anything to check a signature.
 *
 *   offset size field
 *        0    8 domain tag "DTXLOG01" (format version; keeps signatures out of other contexts)
 *        8   32 origin: the Ed25519 public key of the origin node
 *       40    4 epoch (u32, >= 1)
 *       44    8 seq (u64, 1, 2, 3, ... gap-free within an epoch; kept below 2^53)
 *       52   32 prev_hash: hash of the previous entry, zeros for the first entry of the log
 *       84    8 timestamp: Unix milliseconds (u64)
 *       92    2 payload type (u16, dtx.v1.PayloadType)
 *       94    4 payload length in bytes (u32)
 *       98   32 payload hash: BLAKE2b-256 of the payload bytes
 *      130      end
 */
import { DtxError } from '../errors.js';

export const HEADER_BYTES = 130;
/** Where the payload hash sits in a header (its last 32 bytes). */
export const PAYLOAD_HASH_OFFSET = 98;
export const DOMAIN_TAG = new TextEncoder().encode('DTXLOG01');
export const ZERO_HASH = new Uint8Array(32);
/** Payloads are bounded so a hostile peer cannot make a node allocate without limit. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

const TWO_32 = 2 ** 32;

export interface EntryHeader {
  origin: Uint8Array;
  epoch: number;
  seq: number;
  prevHash: Uint8Array;
  timestampMs: number;
  payloadType: number;
  payloadLength: number;
  payloadHash: Uint8Array;
}

function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / TWO_32));
  view.setUint32(offset + 4, value >>> 0);
}

// Read from the bytes, not through a DataView: a node decodes a header per received entry, a
// million in a catch-up, and a DataView is an object (and garbage) per header.
function readU16(b: Uint8Array, offset: number): number {
  return (b[offset]! << 8) | b[offset + 1]!;
}

function readU32(b: Uint8Array, offset: number): number {
  return b[offset]! * 0x1000000 + ((b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!);
}

function readU64(b: Uint8Array, offset: number, field: string): number {
  const value = readU32(b, offset) * TWO_32 + readU32(b, offset + 4);
  if (!Number.isSafeInteger(value)) throw new DtxError('MALFORMED_ENTRY', `entry header ${field} is beyond 2^53`);
  return value;
}

/** Throws MALFORMED_ENTRY naming the first field outside its range. */
export function checkHeaderFields(h: EntryHeader): void {
  if (h.origin.length !== 32) throw new DtxError('MALFORMED_ENTRY', 'origin must be 32 bytes');
  if (h.prevHash.length !== 32) throw new DtxError('MALFORMED_ENTRY', 'prev_hash must be 32 bytes');
  if (h.payloadHash.length !== 32) throw new DtxError('MALFORMED_ENTRY', 'payload hash must be 32 bytes');
  if (!Number.isInteger(h.epoch) || h.epoch < 1 || h.epoch >= TWO_32) throw new DtxError('MALFORMED_ENTRY', 'epoch must be a u32 >= 1');
  if (!Number.isSafeInteger(h.seq) || h.seq < 1) throw new DtxError('MALFORMED_ENTRY', 'seq must be >= 1');
  if (!Number.isSafeInteger(h.timestampMs) || h.timestampMs < 0) throw new DtxError('MALFORMED_ENTRY', 'timestamp must be >= 0');
  if (!Number.isInteger(h.payloadType) || h.payloadType < 0 || h.payloadType > 0xffff) {
    throw new DtxError('MALFORMED_ENTRY', 'payload type must be a u16');
  }
  if (!Number.isInteger(h.payloadLength) || h.payloadLength < 0 || h.payloadLength > MAX_PAYLOAD_BYTES) {
    throw new DtxError('MALFORMED_ENTRY', `payload length must be 0 to ${MAX_PAYLOAD_BYTES}`);
  }
}

export function encodeHeader(h: EntryHeader): Uint8Array {
  checkHeaderFields(h);
  const out = new Uint8Array(HEADER_BYTES);
  writeHeader(out, h);
  return out;
}

/** Writes the fields, unchecked, into the HEADER_BYTES bytes of `out` (a view into a larger buffer is fine). */
export function writeHeader(out: Uint8Array, h: EntryHeader): void {
  const view = new DataView(out.buffer, out.byteOffset, HEADER_BYTES);
  out.set(DOMAIN_TAG, 0);
  out.set(h.origin, 8);
  view.setUint32(40, h.epoch);
  writeU64(view, 44, h.seq);
  out.set(h.prevHash, 52);
  writeU64(view, 84, h.timestampMs);
  view.setUint16(92, h.payloadType);
  view.setUint32(94, h.payloadLength);
  out.set(h.payloadHash, PAYLOAD_HASH_OFFSET);
}

export function decodeHeader(bytes: Uint8Array): EntryHeader {
  if (bytes.length !== HEADER_BYTES) {
    throw new DtxError('MALFORMED_ENTRY', `entry header must be ${HEADER_BYTES} bytes, got ${bytes.length}`);
  }
  for (let i = 0; i < DOMAIN_TAG.length; i++) {
    if (bytes[i] !== DOMAIN_TAG[i]) throw new DtxError('MALFORMED_ENTRY', 'entry header has the wrong domain tag');
  }
  const header: EntryHeader = {
    origin: bytes.subarray(8, 40),
    epoch: readU32(bytes, 40),
    seq: readU64(bytes, 44, 'seq'),
    prevHash: bytes.subarray(52, 84),
    timestampMs: readU64(bytes, 84, 'timestamp'),
    payloadType: readU16(bytes, 92),
    payloadLength: readU32(bytes, 94),
    payloadHash: bytes.subarray(PAYLOAD_HASH_OFFSET, HEADER_BYTES),
  };
  checkHeaderFields(header);
  return header;
}
