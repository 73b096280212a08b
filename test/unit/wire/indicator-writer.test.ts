import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { IndicatorSchema } from '../../../shared/gen/dtx/v1/indicator_pb.js';
import { indicatorMessage } from '../../../server/indicators/mapping.js';
import { GetIndicatorResponseSchema, LookupIndicatorsResponseSchema } from '../../../shared/gen/dtx/v1/indicator_service_pb.js';
import { writeGetIndicatorResponse, writeIndicator, writeLookupFullResponse, type IndicatorFields } from '../../../shared/wire/indicator-writer.js';
import { rng } from '../../_util/rng.js';

const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');

function randomIndicator(next: () => number): IndicatorFields {
  const int = (max: number) => (next() < 0.2 ? 0 : Math.floor(next() * max));
  const text = (max: number) => (next() < 0.3 ? '' : Array.from({ length: 1 + int(max) }, () => String.fromCodePoint(32 + int(0x7ff))).join(''));
  const list = (max: number) => Array.from({ length: int(max) }, () => text(20) || 'x');
  return {
    id: text(36),
    origin: text(56),
    version: int(2 ** 32),
    kind: text(20),
    value: text(300),
    tlp: int(6),
    confidence: int(101),
    action: int(5),
    validFromMs: int(2 ** 45),
    validUntilMs: int(2 ** 52),
    tags: list(5),
    campaign: text(30),
    techniques: list(4),
    description: text(400),
    normalizer: text(10),
    keyEpoch: int(2 ** 32),
    maxDistance: int(65),
    epoch: int(2 ** 32),
    seq: int(2 ** 53),
    publishedAtMs: int(2 ** 45),
    retracted: next() < 0.3,
    retractReason: int(6),
    seenBy: int(2 ** 32),
    falsePositiveBy: int(2 ** 32),
    lastSeenMs: int(2 ** 45),
  };
}

describe('indicator writers', () => {
  it('write one Indicator exactly as the generated encoder, for 1,000 random indicators', () => {
    const next = rng(2026);
    for (let i = 0; i < 1000; i++) {
      const f = randomIndicator(next);
      expect(hex(writeIndicator(f)), `case ${i}`).toBe(hex(toBinary(IndicatorSchema, indicatorMessage(f))));
    }
  });

  it('write GetIndicatorResponse and the FULL lookup response as the generated encoder', () => {
    const next = rng(77);
    for (let i = 0; i < 100; i++) {
      const f = randomIndicator(next);
      expect(hex(writeGetIndicatorResponse(f))).toBe(hex(toBinary(GetIndicatorResponseSchema, create(GetIndicatorResponseSchema, { indicator: indicatorMessage(f) }))));
      const results = Array.from({ length: Math.floor(next() * 6) }, (_, q) => ({
        queryIndex: q * 3,
        matches: Array.from({ length: Math.floor(next() * 3) }, () => randomIndicator(next)),
      }));
      const bytes = writeLookupFullResponse(results);
      const generated = create(LookupIndicatorsResponseSchema, { results: results.map((r) => ({ queryIndex: r.queryIndex, matches: r.matches.map(indicatorMessage) })) });
      expect(hex(bytes), `case ${i}`).toBe(hex(toBinary(LookupIndicatorsResponseSchema, generated)));
      expect(fromBinary(LookupIndicatorsResponseSchema, bytes!).results.map((r) => r.matches.length)).toEqual(results.map((r) => r.matches.length));
    }
  });

  it('leave times before 1970 to the generated encoder', () => {
    const f = { ...randomIndicator(rng(5)), validFromMs: -86_400_000 };
    expect(writeIndicator(f)).toBeUndefined();
    expect(writeGetIndicatorResponse(f)).toBeUndefined();
    expect(writeLookupFullResponse([{ queryIndex: 0, matches: [f] }])).toBeUndefined();
  });
});
