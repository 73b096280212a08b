/** One-line human summaries of log payloads, for `dtx log`. */
import { fromBinary } from '@bufbuild/protobuf';
import { IndicatorPayloadSchema, PayloadType, RetractionPayloadSchema, SightingPayloadSchema } from '../../shared/gen/dtx/v1/log_pb.js';
import { actionName, retractReasonName, sightingTypeName, tlpName } from '../../shared/indicator/enums.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { uuidToString } from '../../shared/uuid.js';

export function payloadTypeName(type: number): string {
  const name = PayloadType[type];
  return name === undefined ? `type-${type}` : name.toLowerCase();
}

export function describePayload(type: number, payload: Uint8Array): string {
  try {
    if (type === PayloadType.INDICATOR) {
      const p = fromBinary(IndicatorPayloadSchema, payload);
      return `${uuidToString(p.id)} v${p.version} ${p.kind} ${p.value} ${tlpName(p.tlp)} ${actionName(p.action)} c${p.confidence}`;
    }
    if (type === PayloadType.RETRACTION) {
      const p = fromBinary(RetractionPayloadSchema, payload);
      return `retract ${uuidToString(p.indicatorId)} (${retractReasonName(p.reason)})`;
    }
    if (type === PayloadType.SIGHTING) {
      const p = fromBinary(SightingPayloadSchema, payload);
      return `sighting ${uuidToString(p.indicatorId)} of ${nodeIdFromPublicKey(p.indicatorOrigin)} (${sightingTypeName(p.type)})`;
    }
  } catch {
    return `(undecodable ${payload.length}-byte payload)`;
  }
  return `(${payload.length} bytes)`;
}
