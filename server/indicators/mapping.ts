/**
 * The one place where stored rows and bytes become protobuf messages and back.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { IndicatorSchema, SightingType, type Indicator, type RetractReason } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { RetractionPayloadSchema, SightingPayloadSchema } from '../../shared/gen/dtx/v1/log_pb.js';
import { PUBLIC_KEY_BYTES } from '../../shared/crypto.js';
import { DtxError } from '../../shared/errors.js';
import type { NormalizedIndicator } from '../../shared/indicator/validate.js';
import { decodeHeader } from '../../shared/log/entry-header.js';
import { readIndicatorPayload, readIndicatorViewFields, type IndicatorViewFields } from '../../shared/log/indicator-payload-reader.js';
import { writeIndicatorPayload, type IndicatorPayloadFields } from '../../shared/log/indicator-payload-writer.js';
import { uuidToString } from '../../shared/uuid.js';
import type { IndicatorFields } from '../../shared/wire/indicator-writer.js';
import { kindByName } from '../../shared/indicator/kinds.js';
import type { IndicatorEntryRow, NewIndicatorRow } from '../db/indicator-store.js';
import type { SightingSummary } from '../db/sighting-store.js';
import { lookupKey } from './lookup-key.js';

export function encodeIndicatorPayload(id: Uint8Array, version: number, n: NormalizedIndicator): Uint8Array {
  return writeIndicatorPayload(id, version, n);
}

export function encodeRetractionPayload(indicatorId: Uint8Array, reason: RetractReason, comment: string): Uint8Array {
  return toBinary(RetractionPayloadSchema, create(RetractionPayloadSchema, { indicatorId, reason, comment }));
}

export interface SightingFields {
  indicatorId: Uint8Array;
  /** The indicator origin's public key. */
  indicatorOrigin: Uint8Array;
  type: SightingType;
  observedMs: number;
  comment: string;
}

export function encodeSightingPayload(s: SightingFields): Uint8Array {
  return toBinary(SightingPayloadSchema, create(SightingPayloadSchema, { ...s, observedMs: BigInt(s.observedMs) }));
}

/** A sighting payload as signed by its reporter; throws when it is not one this node can index. */
export function decodeSightingPayload(payload: Uint8Array): SightingFields {
  const p = fromBinary(SightingPayloadSchema, payload);
  if (p.indicatorId.length !== 16) throw new DtxError('INVALID_ARGUMENT', `sighting: indicator id of ${p.indicatorId.length} bytes, not 16`);
  if (p.indicatorOrigin.length !== PUBLIC_KEY_BYTES) throw new DtxError('INVALID_ARGUMENT', `sighting: origin key of ${p.indicatorOrigin.length} bytes, not ${PUBLIC_KEY_BYTES}`);
  if (p.type !== SightingType.SEEN && p.type !== SightingType.FALSE_POSITIVE) throw new DtxError('INVALID_ARGUMENT', `sighting: unknown type ${p.type}`);
  return { indicatorId: p.indicatorId, indicatorOrigin: p.indicatorOrigin, type: p.type, observedMs: Number(p.observedMs), comment: p.comment };
}

/**
 * `origin` is the row's origin as a node id (callers cache it: encoding one per row was costly);
 * `sightingsOf` says what member labs report about an indicator of that origin, by its id (the
 * id is read from the payload here).
 */
export function indicatorFromRow(row: IndicatorEntryRow, origin: string, sightingsOf: (id: Uint8Array) => SightingSummary): IndicatorFields {
  const header = decodeHeader(row.entry.subarray(0, row.headerBytes));
  const p = readIndicatorPayload(row.entry.subarray(row.headerBytes));
  const sightings = sightingsOf(p.id);
  return {
    id: uuidToString(p.id),
    origin,
    version: p.version,
    kind: p.kind,
    value: p.value,
    tlp: p.tlp,
    confidence: p.confidence,
    action: p.action,
    validFromMs: p.validFromMs,
    validUntilMs: p.validUntilMs,
    tags: p.tags,
    campaign: p.campaign,
    techniques: p.techniques,
    description: p.description,
    normalizer: p.normalizer,
    keyEpoch: p.keyEpoch,
    maxDistance: p.maxDistance,
    epoch: header.epoch,
    seq: header.seq,
    publishedAtMs: header.timestampMs,
    retracted: row.retractReason !== 0,
    retractReason: row.retractReason,
    seenBy: sightings.seenBy,
    falsePositiveBy: sightings.falsePositiveBy,
    lastSeenMs: sightings.lastSeenMs,
  };
}

/** The generated message of an indicator: for what the direct writers leave to protobuf-es. */
export function indicatorMessage(f: IndicatorFields): Indicator {
  return create(IndicatorSchema, {
    ...f,
    tags: [...f.tags],
    techniques: [...f.techniques],
    validFrom: timestampFromMs(f.validFromMs),
    validUntil: timestampFromMs(f.validUntilMs),
    seq: BigInt(f.seq),
    publishedAt: timestampFromMs(f.publishedAtMs),
    lastSeen: f.lastSeenMs === 0 ? undefined : timestampFromMs(f.lastSeenMs),
  });
}

/**
 * The view row for a stored indicator entry of any origin, or undefined when this node cannot
 * index it (a kind it does not know, from a newer version): the entry is kept all the same.
 */
export function indicatorRowFromPayload(origin: number, entry: number, payload: Uint8Array | IndicatorViewFields): NewIndicatorRow | undefined {
  const p = payload instanceof Uint8Array ? readIndicatorViewFields(payload) : payload;
  const kind = kindByName(p.kind);
  if (!kind || p.id.length !== 16) return undefined;
  return {
    id: p.id,
    origin,
    version: p.version,
    entry,
    lookupKey: lookupKey(kind.code, p.value),
    kind: kind.code,
    value: p.value,
    action: p.action,
    confidence: p.confidence,
    validUntil: p.validUntilMs,
  };
}

export function decodeRetractionPayload(payload: Uint8Array): { indicatorId: Uint8Array; reason: RetractReason; comment: string } {
  return fromBinary(RetractionPayloadSchema, payload);
}
