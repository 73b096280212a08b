/**
 * The one place where stored rows and bytes become protobuf messages and back.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { IndicatorSchema, type Indicator, type RetractReason } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { IndicatorPayloadSchema, RetractionPayloadSchema } from '../../shared/gen/dtx/v1/log_pb.js';
import type { NormalizedIndicator } from '../../shared/indicator/validate.js';
import { decodeHeader } from '../../shared/log/entry-header.js';
import { writeIndicatorPayload } from '../../shared/log/indicator-payload-writer.js';
import { uuidToString } from '../../shared/uuid.js';
import type { IndicatorEntryRow } from '../db/indicator-store.js';

export function encodeIndicatorPayload(id: Uint8Array, version: number, n: NormalizedIndicator): Uint8Array {
  return writeIndicatorPayload(id, version, n);
}

export function encodeRetractionPayload(indicatorId: Uint8Array, reason: RetractReason, comment: string): Uint8Array {
  return toBinary(RetractionPayloadSchema, create(RetractionPayloadSchema, { indicatorId, reason, comment }));
}

/** `origin` is the row's origin as a node id (callers cache it: encoding one per row was costly). */
export function indicatorFromRow(row: IndicatorEntryRow, origin: string): Indicator {
  const header = decodeHeader(row.header);
  const p = fromBinary(IndicatorPayloadSchema, row.payload);
  return create(IndicatorSchema, {
    id: uuidToString(p.id),
    origin,
    version: p.version,
    kind: p.kind,
    value: p.value,
    tlp: p.tlp,
    confidence: p.confidence,
    action: p.action,
    validFrom: timestampFromMs(Number(p.validFromMs)),
    validUntil: timestampFromMs(Number(p.validUntilMs)),
    tags: p.tags,
    campaign: p.campaign,
    techniques: p.techniques,
    description: p.description,
    normalizer: p.normalizer,
    keyEpoch: p.keyEpoch,
    maxDistance: p.maxDistance,
    epoch: header.epoch,
    seq: BigInt(header.seq),
    publishedAt: timestampFromMs(header.timestampMs),
    retracted: row.retractReason !== 0,
    retractReason: row.retractReason,
  });
}
