/**
 * Direct encoders for the responses that carry whole indicators (GetIndicatorResponse and the
 * FULL view of LookupIndicatorsResponse). protobuf-es spent about 60 microseconds per Indicator
 * in create() and toBinary() (22 fields, three Timestamp messages), which was most of a lookup's
 * cost on the node. The bytes equal toBinary's (fields in number order, proto3 defaults omitted,
 * Timestamps always present); a unit test checks that on random indicators.
 */
import type { IndicatorPayloadBody } from '../log/indicator-payload-writer.js';
import { lenFieldSize, SizedWriter, stringSize, varintSize, WIRE_LEN, WIRE_VARINT } from './sized-writer.js';

/** dtx.v1.Indicator as plain fields: the signed payload's, plus where and when it was logged. */
export interface IndicatorFields extends IndicatorPayloadBody {
  id: string;
  origin: string;
  version: number;
  epoch: number;
  seq: number;
  publishedAtMs: number;
  retracted: boolean;
  retractReason: number;
  /** Sightings held by the node: labs whose latest report is "seen", "false positive". */
  seenBy: number;
  falsePositiveBy: number;
  /** 0: no lab reports having seen it (the Timestamp is left out). */
  lastSeenMs: number;
}

export interface IndicatorResultFields {
  queryIndex: number;
  matches: readonly IndicatorFields[];
}

/** google.protobuf.Timestamp of a non-negative millisecond time: body size, then bytes. */
function timestampBody(ms: number): number {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms % 1000) * 1_000_000;
  return (seconds === 0 ? 0 : 1 + varintSize(seconds)) + (nanos === 0 ? 0 : 1 + varintSize(nanos));
}

function writeTimestamp(w: SizedWriter, field: number, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms % 1000) * 1_000_000;
  w.tag(field, WIRE_LEN).varint(timestampBody(ms));
  if (seconds !== 0) w.tag(1, WIRE_VARINT).varint(seconds);
  if (nanos !== 0) w.tag(2, WIRE_VARINT).varint(nanos);
}

/**
 * One Indicator's bytes, or undefined for a time before 1970 (negative Timestamps need ten-byte
 * varints, which SizedWriter leaves to the generated encoder).
 */
export function writeIndicator(f: IndicatorFields): Uint8Array | undefined {
  if (f.validFromMs < 0 || f.validUntilMs < 0 || f.publishedAtMs < 0 || f.lastSeenMs < 0) return undefined;
  // Tags of fields 16 and above take two bytes.
  const str = (s: string) => (s === '' ? 0 : lenFieldSize(stringSize(s)));
  const num = (n: number, tagBytes = 1) => (n === 0 ? 0 : tagBytes + varintSize(n));
  let size = str(f.id) + str(f.origin) + num(f.version) + str(f.kind) + str(f.value) + num(f.tlp) + num(f.confidence) + num(f.action);
  size += lenFieldSize(timestampBody(f.validFromMs)) + lenFieldSize(timestampBody(f.validUntilMs));
  for (const tag of f.tags) size += lenFieldSize(stringSize(tag));
  size += str(f.campaign);
  for (const technique of f.techniques) size += lenFieldSize(stringSize(technique));
  size += str(f.description) + str(f.normalizer) + num(f.keyEpoch, 2);
  size += num(f.maxDistance, 2) + num(f.epoch, 2) + num(f.seq, 2) + 1 + lenFieldSize(timestampBody(f.publishedAtMs));
  size += (f.retracted ? 3 : 0) + num(f.retractReason, 2);
  size += num(f.seenBy, 2) + num(f.falsePositiveBy, 2) + (f.lastSeenMs === 0 ? 0 : 1 + lenFieldSize(timestampBody(f.lastSeenMs)));

  const w = new SizedWriter(size);
  const s = (field: number, text: string) => text !== '' && w.tag(field, WIRE_LEN).string(text, stringSize(text));
  const n = (field: number, value: number) => value !== 0 && w.tag(field, WIRE_VARINT).varint(value);
  s(1, f.id);
  s(2, f.origin);
  n(3, f.version);
  s(4, f.kind);
  s(5, f.value);
  n(6, f.tlp);
  n(7, f.confidence);
  n(8, f.action);
  writeTimestamp(w, 9, f.validFromMs);
  writeTimestamp(w, 10, f.validUntilMs);
  for (const tag of f.tags) w.tag(11, WIRE_LEN).string(tag, stringSize(tag));
  s(12, f.campaign);
  for (const technique of f.techniques) w.tag(13, WIRE_LEN).string(technique, stringSize(technique));
  s(14, f.description);
  s(15, f.normalizer);
  n(16, f.keyEpoch);
  n(17, f.maxDistance);
  n(18, f.epoch);
  n(19, f.seq);
  writeTimestamp(w, 20, f.publishedAtMs);
  n(21, f.retracted ? 1 : 0);
  n(22, f.retractReason);
  n(23, f.seenBy);
  n(24, f.falsePositiveBy);
  if (f.lastSeenMs !== 0) writeTimestamp(w, 25, f.lastSeenMs);
  return w.finish();
}

/** Writes `field` as a length-delimited copy of `body`. */
function embed(w: SizedWriter, field: number, body: Uint8Array): void {
  w.tag(field, WIRE_LEN).varint(body.length);
  w.buffer.set(body, w.position);
  w.advance(body.length);
}

/** dtx.v1.GetIndicatorResponse, or undefined when the indicator needs the generated encoder. */
export function writeGetIndicatorResponse(indicator: IndicatorFields): Uint8Array | undefined {
  const body = writeIndicator(indicator);
  if (!body) return undefined;
  const w = new SizedWriter(lenFieldSize(body.length));
  embed(w, 1, body);
  return w.finish();
}

/** dtx.v1.LookupIndicatorsResponse carrying `results` (LOOKUP_VIEW_FULL), or undefined as above. */
export function writeLookupFullResponse(results: readonly IndicatorResultFields[]): Uint8Array | undefined {
  const bodies: Uint8Array[][] = [];
  const resultSizes: number[] = [];
  let size = 0;
  for (const result of results) {
    const encoded: Uint8Array[] = [];
    let body = result.queryIndex === 0 ? 0 : 1 + varintSize(result.queryIndex);
    for (const match of result.matches) {
      const bytes = writeIndicator(match);
      if (!bytes) return undefined;
      encoded.push(bytes);
      body += lenFieldSize(bytes.length);
    }
    bodies.push(encoded);
    resultSizes.push(body);
    size += lenFieldSize(body);
  }
  const w = new SizedWriter(size);
  results.forEach((result, i) => {
    w.tag(1, WIRE_LEN).varint(resultSizes[i]!);
    if (result.queryIndex !== 0) w.tag(1, WIRE_VARINT).varint(result.queryIndex);
    for (const bytes of bodies[i]!) embed(w, 2, bytes);
  });
  return w.finish();
}
