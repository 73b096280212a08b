/**
 * protobuf-es' BinaryReader with strings decoded by Node's Buffer instead of TextDecoder: for
 * the short strings of DTX messages (kinds, values, ids) TextDecoder's cost per call dominates,
 * and a 10,000-query lookup request took about 10 ms to decode against about 3.5. Invalid UTF-8
 * is an error, as in the generated decoder.
 *
 * It also reads tags, skips fields and reads int64s without allocating: BinaryReader returns a
 * tag as a [field, wire type] array, a skipped field as a view of its bytes and an int64 as two
 * halves in an array. A node catching up decodes a million entries' payloads, and those were
 * about a third of the memory its main thread allocated (so of its garbage collection).
 */
import { protoInt64 } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

/** The wire type of a tag from nextTag(); its field number is tag >>> 3. */
export const wireTypeOf = (tag: number): WireType => tag & 7;
/** Bytes of an int64 varint read here before falling back to BinaryReader's reading (56 bits). */
const FAST_INT64_BYTES = 8;

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
    // Timestamps and counts: a non-negative value within 53 bits, summed byte by byte (exact
    // below 2 ** 53). Anything else (negative, larger, malformed) is read again the general way.
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < FAST_INT64_BYTES && this.pos < this.len; i++) {
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (value <= Number.MAX_SAFE_INTEGER) return value;
        break;
      }
      scale *= 0x80;
    }
    this.pos = start;
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

  /**
   * The next tag as one number, field << 3 | wire type (wireTypeOf), checked as tag() checks
   * it. tag() returns a new array.
   */
  nextTag(): number {
    const start = this.pos;
    const tag = this.uint32();
    const bytesRead = this.pos - start;
    if (bytesRead > 5 || (bytesRead === 5 && this.buf[this.pos - 1]! > 15)) throw new Error('illegal tag: varint overflows uint32');
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field <= 0 || wireType > 5) throw new Error(`illegal tag: field no ${field} wire type ${wireType}`);
    return tag;
  }

  /** Steps over a field, as skip() does, without making a view of its bytes. */
  skipField(wireType: WireType, field: number): void {
    switch (wireType) {
      case WireType.Varint:
        while (this.buf[this.pos++]! & 0x80) continue;
        break;
      case WireType.Bit64:
        this.pos += 8;
        break;
      case WireType.Bit32:
        this.pos += 4;
        break;
      case WireType.LengthDelimited: {
        // Read first: \`this.pos += this.uint32()\` would add to the position before the length.
        const length = this.uint32();
        this.pos += length;
        break;
      }
      default:
        // Groups (and the error for an end-group tag or a wire type it does not know).
        this.skip(wireType, field);
        return;
    }
    this.assertBounds();
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
export function readMessage(r: WireReader, end: number, onField: (field: number, wireType: WireType) => boolean): void {
  while (r.pos < end) {
    const tag = r.nextTag();
    const field = tag >>> 3;
    const wireType = wireTypeOf(tag);
    if (!onField(field, wireType)) r.skipField(wireType, field);
  }
  checkMessageEnd(r, end);
}

/** Throws unless the last field of a sub-message ended exactly where the sub-message does. */
export function checkMessageEnd(r: WireReader, end: number): void {
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
