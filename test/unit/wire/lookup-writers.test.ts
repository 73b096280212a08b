import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { LookupIndicatorsRequestSchema, LookupIndicatorsResponseSchema } from '../../../shared/gen/dtx/v1/indicator_service_pb.js';
import { writeLookupMatchesResponse, writeLookupRequest, type LookupMatchFields } from '../../../shared/wire/lookup-writers.js';
import { rng } from '../../_util/rng.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('lookup writers', () => {
  const next = rng(99);
  const int = (max: number) => (next() < 0.25 ? 0 : Math.floor(next() * max));
  const text = (max: number) => (next() < 0.2 ? '' : Array.from({ length: 1 + int(max) }, () => String.fromCodePoint(32 + int(0x7ff))).join(''));

  it('writes LookupIndicatorsRequest exactly as the generated encoder, for 500 random requests', () => {
    for (let i = 0; i < 500; i++) {
      const fields = {
        queries: Array.from({ length: int(20) }, () => ({ kind: text(15), value: text(70) })),
        includeRetracted: next() < 0.5,
        includeExpired: next() < 0.5,
        view: int(3),
      };
      expect(hex(writeLookupRequest(fields)), `case ${i}`).toBe(hex(toBinary(LookupIndicatorsRequestSchema, create(LookupIndicatorsRequestSchema, fields))));
    }
  });

  it('writes the matches response exactly as the generated encoder, for 500 random responses', () => {
    for (let i = 0; i < 500; i++) {
      const matches: LookupMatchFields[] = Array.from({ length: int(20) }, () => ({
        queryIndex: int(2 ** 32),
        id: text(36),
        origin: text(55),
        version: int(2 ** 32),
        action: int(5),
        confidence: int(101),
        validUntilMs: int(2 ** 52),
        retracted: next() < 0.3,
      }));
      const bytes = writeLookupMatchesResponse(matches);
      const generated = create(LookupIndicatorsResponseSchema, { matches: matches.map((m) => ({ ...m, validUntilMs: BigInt(m.validUntilMs) })) });
      expect(hex(bytes), `case ${i}`).toBe(hex(toBinary(LookupIndicatorsResponseSchema, generated)));
      expect(fromBinary(LookupIndicatorsResponseSchema, bytes).matches.map((m) => m.queryIndex)).toEqual(matches.map((m) => m.queryIndex));
    }
  });
});
