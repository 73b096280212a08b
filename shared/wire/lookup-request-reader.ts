/**
 * The node's decoder for LookupIndicatorsRequest. A large batch is answered by reader threads
 * (server/indicators/lookup-readers.ts) that decode their own parts from the request's bytes,
 * so this reader only checks the framing and notes where each query lies; `queries` is decoded
 * the first time it is read (for a batch the main thread answers itself). Decoding 10,000
 * queries on the main thread, and cloning them to the readers, had cost it 10 to 25 ms.
 */
import { WireType } from '@bufbuild/protobuf/wire';
import { invalidArgument } from '../errors.js';
import { LookupIndicatorsRequestSchema, LookupView, type LookupIndicatorsRequest, type LookupQuery } from '../gen/dtx/v1/indicator_service_pb.js';
import { readMessage, skipSubMessage, WireReader } from './wire-reader.js';

/** The request's bytes, and where each query's LookupQuery body lies in them: start and end, two numbers per query. */
export interface EncodedQueries {
  bytes: Uint8Array;
  ranges: Int32Array;
}

export type LookupRequestWithBytes = LookupIndicatorsRequest & { encoded: EncodedQueries };

/** The encoded queries of a request read by readLookupRequest; undefined for one built otherwise. */
export function encodedQueriesOf(request: LookupIndicatorsRequest): EncodedQueries | undefined {
  return (request as Partial<LookupRequestWithBytes>).encoded;
}

/**
 * A LookupIndicatorsRequest whose queries are decoded the first time they are read. The getter
 * lives on the class, not on each request: a per-request Object.defineProperty gave every request
 * a hidden class of its own, which V8's young-generation GC keeps alive (with the closures and
 * request bytes it holds) until the next full GC. At single lookups that promoted about 600 KB
 * per scavenge and tripled the node's GC pauses.
 */
class EncodedLookupRequest {
  readonly $typeName = LookupIndicatorsRequestSchema.typeName;
  #queries: LookupQuery[] | undefined;

  constructor(
    readonly encoded: EncodedQueries,
    readonly includeRetracted: boolean,
    readonly includeExpired: boolean,
    readonly view: LookupView,
  ) {}

  get queries(): LookupQuery[] {
    return (this.#queries ??= readLookupQueries(this.encoded.bytes, this.encoded.ranges, 0));
  }

  set queries(value: LookupQuery[]) {
    this.#queries = value;
  }
}

/**
 * Reads the request's fields; the queries stay encoded until `queries` is read. A query that
 * does not decode (invalid UTF-8, a field past its end) is then an INVALID_ARGUMENT naming it.
 */
export function readLookupRequest(bytes: Uint8Array): LookupRequestWithBytes {
  const r = new WireReader(bytes);
  let ranges: Int32Array = new Int32Array(64);
  let count = 0;
  let includeRetracted = false;
  let includeExpired = false;
  let view: LookupView = LookupView.UNSPECIFIED;
  readMessage(r, r.len, (field, wt) => {
    const num = wt === WireType.Varint;
    if (field === 1 && wt === WireType.LengthDelimited) {
      const [start, end] = skipSubMessage(r);
      if (2 * count === ranges.length) ranges = grow(ranges);
      ranges[2 * count] = start;
      ranges[2 * count + 1] = end;
      count++;
    } else if (field === 2 && num) includeRetracted = r.bool();
    else if (field === 3 && num) includeExpired = r.bool();
    else if (field === 4 && num) view = r.int32();
    else return false;
    return true;
  });
  return new EncodedLookupRequest({ bytes, ranges: ranges.subarray(0, 2 * count) }, includeRetracted, includeExpired, view);
}

/**
 * Decodes the queries at `ranges` (as in EncodedQueries) in `bytes`; `firstIndex` is the first
 * one's index in the whole request, which an error names.
 */
export function readLookupQueries(bytes: Uint8Array, ranges: Int32Array, firstIndex: number): LookupQuery[] {
  const r = new WireReader(bytes);
  const queries = new Array<LookupQuery>(ranges.length / 2);
  for (let i = 0; i < queries.length; i++) {
    r.pos = ranges[2 * i]!;
    try {
      queries[i] = readLookupQuery(r, ranges[2 * i + 1]!);
    } catch (err) {
      const index = firstIndex + i;
      throw invalidArgument(`queries[${index}]`, `does not decode: ${(err as Error).message}`, { index: String(index) });
    }
  }
  return queries;
}

function readLookupQuery(r: WireReader, end: number): LookupQuery {
  const query: LookupQuery = { $typeName: 'dtx.v1.LookupQuery', kind: '', value: '' };
  readMessage(r, end, (field, wt) => {
    if (wt !== WireType.LengthDelimited) return false;
    if (field === 1) query.kind = r.string();
    else if (field === 2) query.value = r.string();
    else return false;
    return true;
  });
  return query;
}

function grow(array: Int32Array): Int32Array {
  const larger = new Int32Array(array.length * 2);
  larger.set(array);
  return larger;
}
