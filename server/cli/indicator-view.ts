/** Indicators as plain records for output: friendly enum names, ISO times. */
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { Indicator } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { actionName, retractReasonName, tlpName } from '../../shared/indicator/enums.js';
import type { Row } from './output.js';

function iso(ts: Timestamp | undefined): string | undefined {
  return ts ? timestampDate(ts).toISOString() : undefined;
}

export function indicatorRow(i: Indicator): Row {
  return {
    id: i.id,
    origin: i.origin,
    version: i.version,
    kind: i.kind,
    value: i.value,
    tlp: tlpName(i.tlp),
    confidence: i.confidence,
    action: actionName(i.action),
    validFrom: iso(i.validFrom),
    validUntil: iso(i.validUntil),
    tags: i.tags,
    campaign: i.campaign,
    techniques: i.techniques,
    description: i.description,
    normalizer: i.normalizer,
    keyEpoch: i.keyEpoch,
    maxDistance: i.maxDistance,
    epoch: i.epoch,
    seq: Number(i.seq),
    publishedAt: iso(i.publishedAt),
    retracted: i.retracted,
    retractReason: i.retracted ? retractReasonName(i.retractReason) : undefined,
    seenBy: i.seenBy,
    falsePositiveBy: i.falsePositiveBy,
    lastSeen: iso(i.lastSeen),
  };
}

export const INDICATOR_COLUMNS = ['id', 'kind', 'value', 'tlp', 'confidence', 'action', 'validUntil', 'retracted'] as const;
