/**
 * Direct encoders for the two messages of a large batch lookup: the request (client side) and
 * the compact matches response (server side). Building 10,000 message objects and walking their
 * descriptors cost about 60 ms on each side; writing the wire format directly costs a tenth of
 * that. The bytes equal protobuf-es toBinary (fields in order, proto3 defaults omitted), which a
 * unit test checks; decoding still uses the generated code.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export interface LookupRequestFields {
  queries: readonly { kind: string; value: string }[];
  includeRetracted: boolean;
  includeExpired: boolean;
  view: number;
}

/** dtx.v1.LookupIndicatorsRequest */
export function writeLookupRequest(r: LookupRequestFields): Uint8Array {
  const w = new BinaryWriter();
  for (const q of r.queries) {
    w.tag(1, WireType.LengthDelimited).fork();
    if (q.kind !== '') w.tag(1, WireType.LengthDelimited).string(q.kind);
    if (q.value !== '') w.tag(2, WireType.LengthDelimited).string(q.value);
    w.join();
  }
  if (r.includeRetracted) w.tag(2, WireType.Varint).bool(true);
  if (r.includeExpired) w.tag(3, WireType.Varint).bool(true);
  if (r.view !== 0) w.tag(4, WireType.Varint).int32(r.view);
  return w.finish();
}

export interface LookupMatchFields {
  queryIndex: number;
  id: string;
  origin: string;
  version: number;
  action: number;
  confidence: number;
  validUntilMs: bigint;
  retracted: boolean;
}

/** dtx.v1.LookupIndicatorsResponse carrying only `matches` (LOOKUP_VIEW_MATCHES). */
export function writeLookupMatchesResponse(matches: readonly LookupMatchFields[]): Uint8Array {
  const w = new BinaryWriter();
  for (const m of matches) {
    w.tag(2, WireType.LengthDelimited).fork();
    if (m.queryIndex !== 0) w.tag(1, WireType.Varint).uint32(m.queryIndex);
    if (m.id !== '') w.tag(2, WireType.LengthDelimited).string(m.id);
    if (m.origin !== '') w.tag(3, WireType.LengthDelimited).string(m.origin);
    if (m.version !== 0) w.tag(4, WireType.Varint).uint32(m.version);
    if (m.action !== 0) w.tag(5, WireType.Varint).int32(m.action);
    if (m.confidence !== 0) w.tag(6, WireType.Varint).uint32(m.confidence);
    if (m.validUntilMs !== 0n) w.tag(7, WireType.Varint).int64(m.validUntilMs);
    if (m.retracted) w.tag(8, WireType.Varint).bool(true);
    w.join();
  }
  return w.finish();
}
