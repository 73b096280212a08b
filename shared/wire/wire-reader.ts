/**
 * protobuf-es' BinaryReader with strings decoded by Node's Buffer instead of TextDecoder: for
 * the short strings of DTX messages (kinds, values, ids) TextDecoder's cost per call dominates,
 * and a 10,000-query lookup request took about 10 ms to decode against about 3.5. Invalid UTF-8
 * is an error, as in the generated decoder.
 */
import { protoInt64 } from '@bufbuild/protobuf';
import { BinaryReader, type WireType } from '@bufbuild/protobuf/wire';

const strict = new TextDecoder('utf-8', { fatal: true });

export class WireReader extends BinaryReader {
  private readonly bytesAsBuffer: Buffer;

  constructor(bytes: Uint8Array) {
    super(bytes);
    // A view of the same memory, not a copy.
    this.bytesAsBuffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * An int64 as a bigint, by way of a Number when it fits in 53 bits (timestamps, counts):
   * several times cheaper than protobuf-es' general conversion, which builds it from two halves.
   */
  int64Big(): bigint {
    const [lo, hi] = this.varint64();
    if (hi >= 0 && hi <= 0x1fffff) return BigInt(hi * 2 ** 32 + (lo >>> 0));
    return BigInt(protoInt64.dec(lo, hi));
  }

  /** An int64 as a Number (exact within 53 bits, as Number(bigint) beyond), without a bigint on the way. */
  int64Number(): number {
    const [lo, hi] = this.varint64();
    if (hi >= 0 && hi <= 0x1fffff) return hi * 2 ** 32 + (lo >>> 0);
    return Number(protoInt64.dec(lo, hi));
  }

  /** A uint64 as a bigint, as int64Big. */
  uint64Big(): bigint {
    const [lo, hi] = this.varint64();
    if (hi >= 0 && hi <= 0x1fffff) return BigInt(hi * 2 ** 32 + (lo >>> 0));
    return BigInt(protoInt64.uDec(lo, hi));
  }

  override string(): string {
    const length = this.uint32();
    const start = this.pos;
    this.pos += length;
    this.assertBounds();
    const text = this.bytesAsBuffer.toString('utf8', start, start + length);
    // Buffer puts U+FFFD where a sequence is invalid; a U+FFFD in the text is rare enough that
    // deciding strictly then (a real U+FFFD, or invalid input) costs nothing on the way.
    if (text.includes('\uFFFD')) return strict.decode(this.buf.subarray(start, start + length));
    return text;
  }
}

/** Reads the fields of one length-delimited sub-message, calling onField for each; false skips the field. */
export function readMessage(r: BinaryReader, end: number, onField: (field: number, wireType: WireType) => boolean): void {
  while (r.pos < end) {
    const [field, wireType] = r.tag();
    if (!onField(field, wireType)) r.skip(wireType, field);
  }
  if (r.pos !== end) throw new Error('malformed message: a field runs past its end');
}

/** Reads a sub-message's length; returns where it ends. */
export function subMessageEnd(r: BinaryReader): number {
  const length = r.uint32();
  return r.pos + length;
}

/** Steps over a length-delimited field, left encoded; returns where its bytes start and end. */
export function skipSubMessage(r: BinaryReader): [start: number, end: number] {
  const end = subMessageEnd(r);
  if (end > r.len) throw new RangeError('premature EOF');
  const start = r.pos;
  r.pos = end;
  return [start, end];
}
