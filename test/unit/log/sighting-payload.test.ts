/** The sighting payload: what a reporter signs, and what a receiver refuses to index. */
import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { SightingType } from '../../../shared/gen/dtx/v1/indicator_pb.js';
import { SightingPayloadSchema } from '../../../shared/gen/dtx/v1/log_pb.js';
import { decodeSightingPayload, encodeSightingPayload } from '../../../server/indicators/mapping.js';
import { expectDtxErrorSync } from '../../_util/errors.js';

const sighting = {
  indicatorId: new Uint8Array(16).fill(7),
  indicatorOrigin: new Uint8Array(32).fill(9),
  type: SightingType.FALSE_POSITIVE,
  observedMs: 1_767_225_600_123,
  comment: 'matched a university NAT',
};

describe('sighting payload', () => {
  it('decodes what it encodes', () => {
    expect(decodeSightingPayload(encodeSightingPayload(sighting))).toEqual(sighting);
  });

  it('refuses ids, origin keys and types a receiver cannot index', () => {
    const bytes = (over: Partial<typeof sighting>) =>
      toBinary(SightingPayloadSchema, create(SightingPayloadSchema, { ...sighting, ...over, observedMs: BigInt(sighting.observedMs) }));
    expect(expectDtxErrorSync(() => decodeSightingPayload(bytes({ indicatorId: new Uint8Array(15) })), 'INVALID_ARGUMENT').message).toMatch(/indicator id of 15 bytes/);
    expect(expectDtxErrorSync(() => decodeSightingPayload(bytes({ indicatorOrigin: new Uint8Array(0) })), 'INVALID_ARGUMENT').message).toMatch(/origin key of 0 bytes/);
    expect(expectDtxErrorSync(() => decodeSightingPayload(bytes({ type: SightingType.UNSPECIFIED })), 'INVALID_ARGUMENT').message).toMatch(/unknown type 0/);
    expect(expectDtxErrorSync(() => decodeSightingPayload(bytes({ type: 9 as SightingType })), 'INVALID_ARGUMENT').message).toMatch(/unknown type 9/);
    expect(() => decodeSightingPayload(new Uint8Array([0xff, 0xff]))).toThrow();
  });
});
