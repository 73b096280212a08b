import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { IndicatorSchema } from '../../../shared/gen/dtx/v1/indicator_pb.js';
import { LookupIndicatorsResponseSchema } from '../../../shared/gen/dtx/v1/indicator_service_pb.js';
import { readLookupResponse } from '../../../shared/wire/lookup-response-reader.js';
import { randomFields, withUnknownField } from '../../_util/random-fields.js';

describe('lookup response reader', () => {
  const { next, int, maybe, text, list, timestamp } = randomFields(4242);

  const randomIndicator = () => ({
    id: text(36), origin: text(55), version: int(2 ** 32), kind: text(20), value: text(80), tlp: int(6),
    confidence: int(101), action: int(5), validFrom: maybe(timestamp), validUntil: maybe(timestamp), tags: list(4),
    campaign: text(20), techniques: list(3), description: text(100), normalizer: text(10), keyEpoch: int(2 ** 32),
    maxDistance: int(9), epoch: int(2 ** 32), seq: BigInt(int(2 ** 53)) * (next() < 0.1 ? 2n ** 10n : 1n),
    publishedAt: maybe(timestamp), retracted: next() < 0.3, retractReason: int(4), seenBy: int(2 ** 32),
    falsePositiveBy: int(2 ** 32), lastSeen: maybe(timestamp),
  });
  const randomMatch = () => ({
    queryIndex: int(2 ** 32), id: text(36), origin: text(55), version: int(2 ** 32), action: int(5),
    confidence: int(101), validUntilMs: BigInt(int(2 ** 52)), retracted: next() < 0.3,
  });

  it('decode both views as the generated decoder does, for 400 random responses', () => {
    for (let i = 0; i < 400; i++) {
      const full = i % 2 === 0;
      const message = create(LookupIndicatorsResponseSchema, {
        results: full ? Array.from({ length: int(6) }, () => ({ queryIndex: int(2 ** 32), matches: Array.from({ length: int(3) }, randomIndicator) })) : [],
        matches: full ? [] : Array.from({ length: int(20) }, randomMatch),
      });
      let bytes: Uint8Array = toBinary(LookupIndicatorsResponseSchema, message);
      const generated = fromBinary(LookupIndicatorsResponseSchema, bytes);
      expect(readLookupResponse(bytes), `case ${i}`).toEqual(generated);
      bytes = withUnknownField(bytes);
      expect(equals(LookupIndicatorsResponseSchema, readLookupResponse(bytes), fromBinary(LookupIndicatorsResponseSchema, bytes)), `case ${i} with an unknown field`).toBe(true);
    }
  });

  /** A FULL response of one result whose one indicator is these bytes. */
  const responseWithIndicator = (indicator: Uint8Array) => {
    const result = new BinaryWriter().tag(1, WireType.Varint).uint32(7).tag(2, WireType.LengthDelimited).bytes(indicator).finish();
    return new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(result).finish();
  };

  it('skip unknown fields inside an indicator, and merge a timestamp sent twice as protobuf does', () => {
    const indicator = toBinary(IndicatorSchema, create(IndicatorSchema, { id: 'a', kind: 'network.ip', validFrom: { seconds: 10n, nanos: 5 } }));
    const again = toBinary(TimestampSchema, create(TimestampSchema, { seconds: 0n, nanos: 9 }));
    const extra = new BinaryWriter().tag(9, WireType.LengthDelimited).bytes(again).tag(77, WireType.Varint).uint32(1).tag(2, WireType.LengthDelimited).string('origin').finish();
    const bytes = responseWithIndicator(new Uint8Array([...indicator, ...extra]));
    const generated = fromBinary(LookupIndicatorsResponseSchema, bytes);
    const read = readLookupResponse(bytes);
    expect(equals(LookupIndicatorsResponseSchema, read, generated)).toBe(true);
    expect(read.results[0]!.queryIndex).toBe(7);
    expect(read.results[0]!.matches[0]!.validFrom).toMatchObject({ seconds: 10n, nanos: 9 });
    expect(read.results[0]!.matches[0]!.origin).toBe('origin');
  });

  it('reject truncated input and invalid UTF-8, as the generated decoder does', () => {
    const bytes = toBinary(LookupIndicatorsResponseSchema, create(LookupIndicatorsResponseSchema, { results: [{ queryIndex: 1, matches: [randomIndicator()] }] }));
    for (const cut of [bytes.length - 1, bytes.length - 4, 3]) {
      expect(() => fromBinary(LookupIndicatorsResponseSchema, bytes.subarray(0, cut))).toThrow();
      expect(() => readLookupResponse(bytes.subarray(0, cut))).toThrow();
    }
    const badText = responseWithIndicator(new BinaryWriter().tag(5, WireType.LengthDelimited).bytes(new Uint8Array([0x61, 0xff])).finish());
    expect(() => fromBinary(LookupIndicatorsResponseSchema, badText)).toThrow();
    expect(() => readLookupResponse(badText)).toThrow();
  });
});
