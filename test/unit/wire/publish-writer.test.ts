import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { PublishRequestSchema, PublishResponseSchema } from '../../../shared/gen/dtx/v1/indicator_service_pb.js';
import { writePublishRequest, writePublishResponse, type IndicatorInputFields } from '../../../shared/wire/publish-writer.js';
import { rng } from '../../_util/rng.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('writePublishRequest', () => {
  const next = rng(1234);
  const int = (max: number) => (next() < 0.25 ? 0 : Math.floor(next() * max));
  const maybe = <T>(v: () => T): T | undefined => (next() < 0.3 ? undefined : v());
  const text = (max: number) => (next() < 0.2 ? '' : Array.from({ length: 1 + int(max) }, () => String.fromCodePoint(32 + int(0x7ff))).join(''));
  const list = (max: number) => Array.from({ length: int(max) }, () => text(12));
  const timestamp = () => ({ seconds: BigInt(int(2 ** 40)), nanos: int(1e9) });

  function randomItem(): IndicatorInputFields {
    return {
      id: maybe(() => text(36)),
      kind: maybe(() => text(20)),
      value: maybe(() => text(80)),
      tlp: maybe(() => int(6)),
      confidence: maybe(() => int(101)),
      action: maybe(() => int(5)),
      validFrom: maybe(timestamp),
      validUntil: maybe(timestamp),
      tags: maybe(() => list(4)),
      campaign: maybe(() => text(20)),
      techniques: maybe(() => list(3)),
      description: maybe(() => text(200)),
      normalizer: maybe(() => text(10)),
      keyEpoch: maybe(() => int(2 ** 32)),
      maxDistance: maybe(() => int(9)),
    };
  }

  it('writes exactly the bytes of the generated encoder, for 500 random batches', () => {
    for (let i = 0; i < 500; i++) {
      const items = Array.from({ length: int(10) }, randomItem);
      const bytes = writePublishRequest(items);
      expect(bytes, `case ${i}`).toBeDefined();
      expect(hex(bytes!), `case ${i}`).toBe(hex(toBinary(PublishRequestSchema, create(PublishRequestSchema, { items: items as never }))));
    }
  });

  it('keeps explicit zeros of optional fields and empty timestamps', () => {
    const items = [{ confidence: 0, maxDistance: 0, validFrom: {}, tags: [''] }];
    expect(hex(writePublishRequest(items)!)).toBe(hex(toBinary(PublishRequestSchema, create(PublishRequestSchema, { items: items as never }))));
  });

  it('declines what it cannot write (negative timestamps), for the generated encoder to handle', () => {
    expect(writePublishRequest([{ kind: 'network.ip', validFrom: { seconds: -5n } }])).toBeUndefined();
  });
});

describe('writePublishResponse', () => {
  const next = rng(4321);
  const int = (max: number) => (next() < 0.2 ? 0 : Math.floor(next() * max));

  it('writes exactly the bytes of the generated encoder, for 500 random answers', () => {
    for (let i = 0; i < 500; i++) {
      const items = Array.from({ length: int(20) }, () => ({
        id: next() < 0.1 ? '' : `0190f1c2-${int(0xffff).toString(16)}-7abc-8def-${int(2 ** 48).toString(16).padStart(12, '0')}`,
        version: int(2 ** 32),
        seq: int(Number.MAX_SAFE_INTEGER),
      }));
      const expected = toBinary(PublishResponseSchema, create(PublishResponseSchema, { items: items.map((it) => ({ ...it, seq: BigInt(it.seq) })) }));
      expect(hex(writePublishResponse(items)), `case ${i}`).toBe(hex(expected));
    }
  });

  it('writes an empty answer as zero bytes', () => {
    expect(writePublishResponse([])).toHaveLength(0);
  });
});
