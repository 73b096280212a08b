/**
 * The messages of the LookupStream method, around the lookup request and response bytes that
 * lookup-writers.ts, lookup-request-reader.ts and the node's lookup path already make and read:
 * an id, and the lookup (or an error) as a nested message whose bytes are copied once.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import { StatusSchema, type Status } from '../gen/google/rpc/status_pb.js';
import {
  LookupIndicatorsRequestSchema,
  LookupIndicatorsResponseSchema,
  LookupStreamRequestSchema,
  LookupStreamResponseSchema,
  type LookupIndicatorsResponse,
  type LookupStreamRequest,
} from '../gen/dtx/v1/indicator_service_pb.js';
import { readLookupRequest, type LookupRequestWithBytes } from './lookup-request-reader.js';
import { readLookupResponse } from './lookup-response-reader.js';
import { lenFieldSize, SizedWriter, varintSize, WIRE_LEN, WIRE_VARINT } from './sized-writer.js';
import { readMessage, skipSubMessage, WireReader } from './wire-reader.js';

/** Field 1 the id (omitted when 0, as proto3 does), then `body` as field `field`. */
function writeIdAndBody(id: number, field: number, body: Uint8Array): Uint8Array {
  const w = new SizedWriter((id === 0 ? 0 : 1 + varintSize(id)) + lenFieldSize(body.length));
  if (id !== 0) w.tag(1, WIRE_VARINT).varint(id);
  w.tag(field, WIRE_LEN).varint(body.length);
  w.buffer.set(body, w.position);
  return w.advance(body.length).finish();
}

/** Client: dtx.v1.LookupStreamRequest around an encoded LookupIndicatorsRequest. */
export function writeLookupStreamRequest(id: number, lookup: Uint8Array): Uint8Array {
  return writeIdAndBody(id, 2, lookup);
}

/** Node: a LookupStreamRequest, its lookup read by the node's own reader (queries still encoded). */
export function readLookupStreamRequest(bytes: Uint8Array): LookupStreamRequest & { lookup: LookupRequestWithBytes } {
  const r = new WireReader(bytes);
  let id = 0n;
  let lookup: [number, number] | undefined;
  let repeated = false;
  readMessage(r, r.len, (field, wt) => {
    if (field === 1 && wt === WireType.Varint) id = r.uint64Big();
    else if (field === 2 && wt === WireType.LengthDelimited) {
      repeated ||= lookup !== undefined;
      lookup = skipSubMessage(r);
    } else return false;
    return true;
  });
  if (repeated) {
    // A lookup field sent twice merges, as protobuf says: rare enough for the generated decoder.
    const merged = fromBinary(LookupStreamRequestSchema, bytes);
    return { $typeName: merged.$typeName, id, lookup: readLookupRequest(toBinary(LookupIndicatorsRequestSchema, merged.lookup!)) };
  }
  return { $typeName: 'dtx.v1.LookupStreamRequest', id, lookup: readLookupRequest(lookup ? bytes.subarray(lookup[0], lookup[1]) : new Uint8Array(0)) };
}

/** Node: the answer to request `id`, around the lookup response bytes the node encoded. */
export function writeLookupStreamAnswer(id: bigint, response: Uint8Array): Uint8Array {
  if (id <= BigInt(Number.MAX_SAFE_INTEGER)) return writeIdAndBody(Number(id), 2, response);
  const lookup = fromBinary(LookupIndicatorsResponseSchema, response);
  return toBinary(LookupStreamResponseSchema, create(LookupStreamResponseSchema, { id, result: { case: 'lookup', value: lookup } }));
}

/** Node: request `id` failed with `error` (statusOf in shared/rpc/status.ts). */
export function writeLookupStreamError(id: bigint, error: Status): Uint8Array {
  return toBinary(LookupStreamResponseSchema, create(LookupStreamResponseSchema, { id, result: { case: 'error', value: error } }));
}

export interface LookupStreamResponseRead {
  id: number;
  lookup?: LookupIndicatorsResponse;
  error?: Status;
}

/** Client: a LookupStreamResponse, the lookup decoded by lookup-response-reader.ts. */
export function readLookupStreamResponse(bytes: Uint8Array): LookupStreamResponseRead {
  const r = new WireReader(bytes);
  const read: LookupStreamResponseRead = { id: 0 };
  readMessage(r, r.len, (field, wt) => {
    if (field === 1 && wt === WireType.Varint) read.id = r.int64Number();
    else if ((field === 2 || field === 3) && wt === WireType.LengthDelimited) {
      const body = bytes.subarray(...skipSubMessage(r));
      // A oneof keeps the last member sent.
      if (field === 2) [read.lookup, read.error] = [readLookupResponse(body), undefined];
      else [read.error, read.lookup] = [fromBinary(StatusSchema, body), undefined];
    } else return false;
    return true;
  });
  return read;
}
