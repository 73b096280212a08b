import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { LookupIndicatorsRequestSchema, LookupQuerySchema, PublishRequestSchema } from '../../../shared/gen/dtx/v1/indicator_service_pb.js';
import { readLookupQueries, readLookupRequest } from '../../../shared/wire/lookup-request-reader.js';
import { expectDtxErrorSync } from '../../_util/errors.js';
import { readPublishRequest } from '../../../shared/wire/message-readers.js';
import { randomFields, withUnknownField } from '../../_util/random-fields.js';

describe('message readers', () => {
  const { next, int, maybe, text, list, timestamp } = randomFields(777);

  const randomPublish = () =>
    create(PublishRequestSchema, {
      items: Array.from({ length: int(8) }, () => ({
        id: text(36), kind: text(20), value: text(80), tlp: int(6), confidence: maybe(() => int(101)), action: int(5),
        validFrom: maybe(timestamp), validUntil: maybe(timestamp), tags: list(4), campaign: text(20), techniques: list(3),
        description: text(100), normalizer: text(10), keyEpoch: int(2 ** 32), maxDistance: maybe(() => int(9)),
      })),
    });

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

  /** A LookupIndicatorsRequest of one query whose value is these bytes. */
  const requestWithValue = (value: number[]) => {
    const query = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(new Uint8Array([0x6b])).tag(2, WireType.LengthDelimited).bytes(new Uint8Array(value)).finish();
    return new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(query).finish();
  };
  /** The same bytes as a Buffer (as grpc-js hands them over) and as a view into a larger array. */
  const copies = (bytes: Uint8Array) => {
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 3);
    return [bytes, Buffer.from(bytes), padded.subarray(3, 3 + bytes.length)];
  };

  it('decode strings as the generated decoder does: 2-, 3- and 4-byte UTF-8 and a real U+FFFD', () => {
    const samples = [[0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0x61, 0xef, 0xbf, 0xbd, 0x62]];
    for (const sample of samples) {
      const bytes = requestWithValue(sample);
      const expected = fromBinary(LookupIndicatorsRequestSchema, bytes).queries[0]!.value;
      for (const copy of copies(bytes)) expect(readLookupRequest(copy).queries[0]!.value, sample.join(' ')).toBe(expected);
    }
  });

  it('reject invalid UTF-8 as the generated decoder does, naming the query once its queries are read', () => {
    // A byte that never occurs in UTF-8, a sequence cut short, an overlong NUL, a lone surrogate.
    for (const sample of [[0x61, 0xff, 0x62], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82, 0x61]]) {
      const bytes = requestWithValue(sample);
      expect(() => fromBinary(LookupIndicatorsRequestSchema, bytes)).toThrow();
      for (const copy of copies(bytes)) {
        const request = readLookupRequest(copy);
        expectDtxErrorSync(() => request.queries, 'INVALID_ARGUMENT', { field: 'queries[0]', index: '0' });
      }
    }
  });

  it('reject a query that runs past the end of the message at once, and one whose field runs past its end when read', () => {
    const cut = new Uint8Array([0x0a, 0x09, 0x12, 0x02, 0x61, 0x62]);
    expect(() => readLookupRequest(cut)).toThrow(RangeError);
    expect(() => fromBinary(LookupIndicatorsRequestSchema, cut)).toThrow();
    const inner = new Uint8Array([0x0a, 0x04, 0x12, 0x09, 0x61, 0x62]);
    expect(() => fromBinary(LookupIndicatorsRequestSchema, inner)).toThrow();
    expectDtxErrorSync(() => readLookupRequest(inner).queries, 'INVALID_ARGUMENT', { field: 'queries[0]' });
  });

  it('note where each query lies, for reader threads to decode their parts', () => {
    const message = create(LookupIndicatorsRequestSchema, {
      queries: Array.from({ length: 300 }, (_, i) => ({ kind: `k${i}`, value: text(70) || `v${i}` })),
      view: 2,
    });
    const bytes = toBinary(LookupIndicatorsRequestSchema, message);
    const request = readLookupRequest(bytes);
    expect(request.encoded.ranges).toHaveLength(600);
    expect(request.view).toBe(2);
    const tail = readLookupQueries(bytes, request.encoded.ranges.slice(400), 200);
    expect(tail.map((q) => [q.kind, q.value])).toEqual(message.queries.slice(200).map((q) => [q.kind, q.value]));
  });

  it('give every request one shape: queries is an accessor of the class, not of each request, and can be set', () => {
    // An accessor defined on each request gave each its own hidden class, which V8's scavenges
    // keep alive, with the request's bytes, until a full GC: the node's GC pauses tripled.
    const bytes = requestWithValue([0x61, 0x62]);
    const [first, second] = [readLookupRequest(bytes), readLookupRequest(bytes)];
    expect(Object.getOwnPropertyDescriptor(first, 'queries')).toBeUndefined();
    expect(Object.getPrototypeOf(first)).toBe(Object.getPrototypeOf(second));
    expect(Object.keys(first)).toEqual(Object.keys(second));
    expect(first.queries).not.toBe(second.queries);
    expect(first.queries).toBe(first.queries);
    const replaced = [create(LookupQuerySchema, { kind: 'ip', value: '192.0.2.1' })];
    first.queries = replaced;
    expect(first.queries).toBe(replaced);
    expect(second.queries[0]!.value).toBe('ab');
  });

  it('reject truncated input', () => {
    const bytes = toBinary(PublishRequestSchema, create(PublishRequestSchema, { items: [{ kind: 'network.ip', value: '192.0.2.1' }] }));
    expect(() => readPublishRequest(bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});
