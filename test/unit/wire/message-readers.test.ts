import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { LookupIndicatorsRequestSchema, LookupIndicatorsResponseSchema, PublishRequestSchema } from '../../../shared/gen/dtx/v1/indicator_service_pb.js';
import { readLookupMatchesResponse, readLookupRequest, readPublishRequest } from '../../../shared/wire/message-readers.js';
import { rng } from '../../_util/rng.js';

describe('message readers', () => {
  const next = rng(777);
  const int = (max: number) => (next() < 0.25 ? 0 : Math.floor(next() * max));
  const maybe = <T>(v: () => T): T | undefined => (next() < 0.3 ? undefined : v());
  const text = (max: number) => (next() < 0.2 ? '' : Array.from({ length: 1 + int(max) }, () => String.fromCodePoint(32 + int(0x7ff))).join(''));
  const list = (max: number) => Array.from({ length: int(max) }, () => text(12));
  const timestamp = () => ({ seconds: BigInt(int(2 ** 40)) * (next() < 0.1 ? -1n : 1n), nanos: int(1e9) });

  const randomPublish = () =>
    create(PublishRequestSchema, {
      items: Array.from({ length: int(8) }, () => ({
        id: text(36), kind: text(20), value: text(80), tlp: int(6), confidence: maybe(() => int(101)), action: int(5),
        validFrom: maybe(timestamp), validUntil: maybe(timestamp), tags: list(4), campaign: text(20), techniques: list(3),
        description: text(100), normalizer: text(10), keyEpoch: int(2 ** 32), maxDistance: maybe(() => int(9)),
      })),
    });

  /** Appends an unknown field, as a newer client might send: both decoders must skip it. */
  function withUnknownField(bytes: Uint8Array): Uint8Array {
    const extra = new BinaryWriter().tag(99, WireType.LengthDelimited).string('from the future').finish();
    return new Uint8Array([...bytes, ...extra]);
  }

  it('decode PublishRequest as the generated decoder does, for 500 random requests', () => {
    for (let i = 0; i < 500; i++) {
      let bytes: Uint8Array = toBinary(PublishRequestSchema, randomPublish());
      if (i % 5 === 0) bytes = withUnknownField(bytes);
      const expected = fromBinary(PublishRequestSchema, bytes);
      const actual = readPublishRequest(bytes);
      expect(equals(PublishRequestSchema, actual, expected), `case ${i}`).toBe(true);
      expect(actual.items.map((x) => x.confidence)).toEqual(expected.items.map((x) => x.confidence));
      expect(actual.items.map((x) => x.validFrom?.seconds)).toEqual(expected.items.map((x) => x.validFrom?.seconds));
    }
  });

  it('decode LookupIndicatorsRequest as the generated decoder does, for 500 random requests', () => {
    for (let i = 0; i < 500; i++) {
      const message = create(LookupIndicatorsRequestSchema, {
        queries: Array.from({ length: int(20) }, () => ({ kind: text(15), value: text(70) })),
        includeRetracted: next() < 0.5,
        includeExpired: next() < 0.5,
        view: int(3),
      });
      let bytes: Uint8Array = toBinary(LookupIndicatorsRequestSchema, message);
      if (i % 5 === 0) bytes = withUnknownField(bytes);
      expect(equals(LookupIndicatorsRequestSchema, readLookupRequest(bytes), fromBinary(LookupIndicatorsRequestSchema, bytes)), `case ${i}`).toBe(true);
    }
  });

  it('decode the MATCHES lookup response as the generated decoder does, for 300 random responses', () => {
    for (let i = 0; i < 300; i++) {
      const message = create(LookupIndicatorsResponseSchema, {
        matches: Array.from({ length: int(20) }, () => ({
          queryIndex: int(2 ** 32), id: text(36), origin: text(55), version: int(2 ** 32), action: int(5),
          confidence: int(101), validUntilMs: BigInt(int(2 ** 52)), retracted: next() < 0.3,
        })),
      });
      let bytes: Uint8Array = toBinary(LookupIndicatorsResponseSchema, message);
      if (i % 5 === 0) bytes = withUnknownField(bytes);
      expect(equals(LookupIndicatorsResponseSchema, readLookupMatchesResponse(bytes), fromBinary(LookupIndicatorsResponseSchema, bytes)), `case ${i}`).toBe(true);
    }
  });

  it('refuse a FULL-view response rather than drop its results', () => {
    const bytes = toBinary(LookupIndicatorsResponseSchema, create(LookupIndicatorsResponseSchema, { results: [{ queryIndex: 1 }] }));
    expect(() => readLookupMatchesResponse(bytes)).toThrow();
  });

  it('reject truncated input', () => {
    const bytes = toBinary(PublishRequestSchema, create(PublishRequestSchema, { items: [{ kind: 'network.ip', value: '192.0.2.1' }] }));
    expect(() => readPublishRequest(bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});
