/**
 * A direct decoder for IndicatorPayload, the counterpart of indicator-payload-writer.ts: lookups
 * read one stored payload per match, and the generated decoder's descriptor walk and message
 * objects cost more than the rest of the lookup. Same result as fromBinary (unknown fields
 * skipped, last scalar wins, repeated fields appended); a unit test checks both agree.
 */
import { WireType } from '@bufbuild/protobuf/wire';
import { WireReader, wireTypeOf } from '../wire/wire-reader.js';
import type { IndicatorPayloadFields } from './indicator-payload-writer.js';

/**
 * The id of a payload that has none (a payload without an id is refused later, by its length):
 * one shared empty array, not a new one per payload, which cost an ArrayBuffer each. Nothing
 * can be written into an array of no bytes.
 */
const NO_ID = new Uint8Array(0);

export function readIndicatorPayload(bytes: Uint8Array): IndicatorPayloadFields {
  // Strings through Buffer (wire-reader.ts): a relaying node decodes every payload it receives.
  const r = new WireReader(bytes);
  // A literal of every field (no spread of emptyViewFields): lookups decode a payload per match,
  // and building this object from a spread made whole-indicator lookups about a third slower.
  const p: IndicatorPayloadFields = {
    id: NO_ID,
    version: 0,
    kind: '',
    value: '',
    tlp: 0,
    confidence: 0,
    action: 0,
    validUntilMs: 0,
    validFromMs: 0,
    tags: [],
    campaign: '',
    techniques: [],
    description: '',
    normalizer: '',
    keyEpoch: 0,
    maxDistance: 0,
  };
  const tags: string[] = [];
  const techniques: string[] = [];
  while (r.pos < r.len) {
    const tag = r.nextTag();
    const field = tag >>> 3;
    const wt = wireTypeOf(tag);
    if (readViewField(r, field, wt, p)) continue;
    const len = wt === WireType.LengthDelimited;
    const num = wt === WireType.Varint;
    if (num && field === 8) p.validFromMs = r.int64Number();
    else if (len && field === 10) tags.push(r.string());
    else if (len && field === 11) p.campaign = r.string();
    else if (len && field === 12) techniques.push(r.string());
    else if (len && field === 13) p.description = r.string();
    else if (len && field === 14) p.normalizer = r.string();
    else if (num && field === 15) p.keyEpoch = r.uint32();
    else if (num && field === 16) p.maxDistance = r.uint32();
    else r.skipField(wt, field);
  }
  p.tags = tags;
  p.techniques = techniques;
  return p;
}

/** What the indicator view and a relaying node's checks read of a payload (indicators table columns, TLP). */
export type IndicatorViewFields = Pick<IndicatorPayloadFields, 'id' | 'version' | 'kind' | 'value' | 'tlp' | 'confidence' | 'action' | 'validUntilMs'>;

/**
 * The fields of IndicatorViewFields only, as readIndicatorPayload would decode them; the other
 * fields are skipped without making strings of them. A node receiving a catch-up reads a
 * million payloads, and the tags, campaign, techniques and description it does not index were
 * most of the strings it made (and of the garbage it collected).
 */
export function readIndicatorViewFields(bytes: Uint8Array): IndicatorViewFields {
  const r = new WireReader(bytes);
  const p = emptyViewFields();
  while (r.pos < r.len) {
    const tag = r.nextTag();
    const field = tag >>> 3;
    const wt = wireTypeOf(tag);
    if (!readViewField(r, field, wt, p)) r.skipField(wt, field);
  }
  return p;
}

function emptyViewFields(): IndicatorViewFields {
  return { id: NO_ID, version: 0, kind: '', value: '', tlp: 0, confidence: 0, action: 0, validUntilMs: 0 };
}

/** Reads the field at the reader into p if it is one of IndicatorViewFields; false if it is not. */
function readViewField(r: WireReader, field: number, wt: WireType, p: IndicatorViewFields): boolean {
  const len = wt === WireType.LengthDelimited;
  const num = wt === WireType.Varint;
  if (len && field === 1) p.id = r.bytes();
  else if (num && field === 2) p.version = r.uint32();
  else if (len && field === 3) p.kind = r.string();
  else if (len && field === 4) p.value = r.string();
  else if (num && field === 5) p.tlp = r.int32();
  else if (num && field === 6) p.confidence = r.uint32();
  else if (num && field === 7) p.action = r.int32();
  else if (num && field === 9) p.validUntilMs = r.int64Number();
  else return false;
  return true;
}
