import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { IndicatorPayloadSchema } from '../../../shared/gen/dtx/v1/log_pb.js';
import { writeIndicatorPayload, type IndicatorPayloadFields } from '../../../shared/log/indicator-payload-writer.js';
import { randomPayloadFields as randomFields } from '../../_util/random-payload.js';
import { rng } from '../../_util/rng.js';

function viaGenerated(f: IndicatorPayloadFields): Uint8Array {
  return toBinary(
    IndicatorPayloadSchema,
    create(IndicatorPayloadSchema, { ...f, tags: [...f.tags], techniques: [...f.techniques], validFromMs: BigInt(f.validFromMs), validUntilMs: BigInt(f.validUntilMs) }),
  );
}

describe('writeIndicatorPayload', () => {
  it('writes exactly the bytes of the generated encoder for 2,000 random payloads', () => {
    const next = rng(42);
    for (let i = 0; i < 2000; i++) {
      const fields = randomFields(next);
      expect(Buffer.from(writeIndicatorPayload(fields.id, fields.version, fields)).toString('hex'), `case ${i}`).toBe(Buffer.from(viaGenerated(fields)).toString('hex'));
    }
  });

  it('round-trips through the generated decoder', () => {
    const fields = randomFields(rng(7));
    const decoded = fromBinary(IndicatorPayloadSchema, writeIndicatorPayload(fields.id, fields.version, fields));
    expect(decoded.value).toBe(fields.value);
    expect(decoded.tags).toEqual(fields.tags);
    expect(Number(decoded.validUntilMs)).toBe(fields.validUntilMs);
  });

  it('writes an empty message for all-default fields', () => {
    const empty: IndicatorPayloadFields = {
      id: new Uint8Array(), version: 0, kind: '', value: '', tlp: 0, confidence: 0, action: 0, validFromMs: 0, validUntilMs: 0,
      tags: [], campaign: '', techniques: [], description: '', normalizer: '', keyEpoch: 0, maxDistance: 0,
    };
    expect(writeIndicatorPayload(empty.id, empty.version, empty).length).toBe(0);
  });
});
