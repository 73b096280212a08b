/**
 * Direct decoders for the large PublishRequest a node receives and the federation
 * SubscribeResponse it reads (LookupIndicatorsRequest and the lookup response have files of their
 * own). They read the wire format with WireReader (wire-reader.ts) into the same shapes the
 * generated decoder produces, without building descriptor-driven message objects (about 12
 * microseconds per indicator on the node's main thread). Unknown fields are skipped, as by the
 * generated decoder; unit tests check both agree on random messages.
 */
import { create } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import { checkMessageEnd, readMessage, subMessageEnd, WireReader, wireTypeOf } from './wire-reader.js';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import type { IndicatorInput } from '../gen/dtx/v1/indicator_pb.js';
import { PublishRequestSchema, type PublishRequest } from '../gen/dtx/v1/indicator_service_pb.js';
import type { Entry } from '../gen/dtx/v1/log_pb.js';
import type { SubscribeResponse, SyncHead } from '../gen/dtx/v1/sync_service_pb.js';

const EMPTY = new Uint8Array(0);


/** A Timestamp field; a second occurrence of the field merges into the first, as protobuf does. */
export function readTimestamp(r: WireReader, into?: Timestamp): Timestamp {
  const ts: Timestamp = into ?? { $typeName: 'google.protobuf.Timestamp', seconds: 0n, nanos: 0 };
  readMessage(r, subMessageEnd(r), (field, wt) => {
    if (field === 1 && wt === WireType.Varint) ts.seconds = r.int64Big();
    else if (field === 2 && wt === WireType.Varint) ts.nanos = r.int32();
    else return false;
    return true;
  });
  return ts;
}

function readIndicatorInput(r: WireReader): IndicatorInput {
  // A literal of the generated shape (protobuf-es messages are plain objects): create() would
  // walk the descriptor for every item.
  const item: IndicatorInput = {
    $typeName: 'dtx.v1.IndicatorInput',
    id: '',
    kind: '',
    value: '',
    tlp: 0,
    action: 0,
    tags: [],
    campaign: '',
    techniques: [],
    description: '',
    normalizer: '',
    keyEpoch: 0,
  };
  readMessage(r, subMessageEnd(r), (field, wt) => {
    const len = wt === WireType.LengthDelimited;
    const num = wt === WireType.Varint;
    switch (field) {
      case 1: if (!len) return false; item.id = r.string(); break;
      case 2: if (!len) return false; item.kind = r.string(); break;
      case 3: if (!len) return false; item.value = r.string(); break;
      case 4: if (!num) return false; item.tlp = r.int32(); break;
      case 5: if (!num) return false; item.confidence = r.uint32(); break;
      case 6: if (!num) return false; item.action = r.int32(); break;
      case 7: if (!len) return false; item.validFrom = readTimestamp(r, item.validFrom); break;
      case 8: if (!len) return false; item.validUntil = readTimestamp(r, item.validUntil); break;
      case 9: if (!len) return false; item.tags.push(r.string()); break;
      case 10: if (!len) return false; item.campaign = r.string(); break;
      case 11: if (!len) return false; item.techniques.push(r.string()); break;
      case 12: if (!len) return false; item.description = r.string(); break;
      case 13: if (!len) return false; item.normalizer = r.string(); break;
      case 14: if (!num) return false; item.keyEpoch = r.uint32(); break;
      case 15: if (!num) return false; item.maxDistance = r.uint32(); break;
      default: return false;
    }
    return true;
  });
  return item;
}

export function readPublishRequest(bytes: Uint8Array): PublishRequest {
  const r = new WireReader(bytes);
  const request = create(PublishRequestSchema);
  readMessage(r, r.len, (field, wt) => {
    if (field !== 1 || wt !== WireType.LengthDelimited) return false;
    request.items.push(readIndicatorInput(r));
    return true;
  });
  return request;
}

/**
 * One Entry of a SubscribeResponse. Its own loop rather than readMessage: this runs for every
 * entry a node receives (a million in a catch-up), and a callback made per entry was garbage.
 */
function readEntry(r: WireReader): Entry {
  const entry: Entry = { $typeName: 'dtx.v1.Entry', header: EMPTY, signature: EMPTY, payload: EMPTY };
  const end = subMessageEnd(r);
  while (r.pos < end) {
    const tag = r.nextTag();
    const field = tag >>> 3;
    const wt = wireTypeOf(tag);
    if (wt === WireType.LengthDelimited && field === 1) entry.header = r.bytes();
    else if (wt === WireType.LengthDelimited && field === 2) entry.signature = r.bytes();
    else if (wt === WireType.LengthDelimited && field === 3) entry.payload = r.bytes();
    else r.skipField(wt, field);
  }
  checkMessageEnd(r, end);
  return entry;
}

function readSyncHead(r: WireReader): SyncHead {
  const head: SyncHead = { $typeName: 'dtx.v1.SyncHead', origin: '', epoch: 0, seq: 0n, hash: EMPTY, timestampMs: 0n, header: EMPTY, signature: EMPTY };
  readMessage(r, subMessageEnd(r), (field, wt) => {
    const len = wt === WireType.LengthDelimited;
    const num = wt === WireType.Varint;
    if (field === 1 && len) head.origin = r.string();
    else if (field === 2 && num) head.epoch = r.uint32();
    else if (field === 3 && num) head.seq = r.uint64Big();
    else if (field === 4 && len) head.hash = r.bytes();
    else if (field === 5 && num) head.timestampMs = r.int64Big();
    else if (field === 6 && len) head.header = r.bytes();
    else if (field === 7 && len) head.signature = r.bytes();
    else return false;
    return true;
  });
  return head;
}

/**
 * A SubscribeResponse, the message federation streams are made of: thousands of entries whose
 * bytes are taken as views of the received buffer, with no descriptor walk per entry.
 */
export function readSubscribeResponse(bytes: Uint8Array): SubscribeResponse {
  const r = new WireReader(bytes);
  const response: SubscribeResponse = { $typeName: 'dtx.v1.SubscribeResponse', entries: [], heads: [], caughtUp: false };
  readMessage(r, r.len, (field, wt) => {
    if (field === 1 && wt === WireType.LengthDelimited) response.entries.push(readEntry(r));
    else if (field === 2 && wt === WireType.LengthDelimited) response.heads.push(readSyncHead(r));
    else if (field === 3 && wt === WireType.Varint) response.caughtUp = r.bool();
    else return false;
    return true;
  });
  return response;
}
