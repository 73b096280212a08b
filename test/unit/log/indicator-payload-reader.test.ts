import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { IndicatorPayloadSchema } from '../../../shared/gen/dtx/v1/log_pb.js';
import { readIndicatorPayload, readIndicatorViewFields } from '../../../shared/log/indicator-payload-reader.js';
import { writeIndicatorPayload } from '../../../shared/log/indicator-payload-writer.js';
import { randomPayloadFields } from '../../_util/random-payload.js';
import { rng } from '../../_util/rng.js';

/** What the generated decoder makes of the bytes, in the reader's plain shape. */
function viaGenerated(bytes: Uint8Array) {
  const m = fromBinary(IndicatorPayloadSchema, bytes);
  const { $typeName: _, $unknown: __, validFromMs, validUntilMs, ...rest } = m;
  return { ...rest, id: Buffer.from(m.id).toString('hex'), validFromMs: Number(validFromMs), validUntilMs: Number(validUntilMs) };
}

function viaReader(bytes: Uint8Array) {
  const p = readIndicatorPayload(bytes);
  return { ...p, id: Buffer.from(p.id).toString('hex') };
}

describe('readIndicatorPayload', () => {
  it('decodes 2,000 random payloads exactly as the generated decoder', () => {
    const next = rng(1234);
    for (let i = 0; i < 2000; i++) {
      const f = randomPayloadFields(next);
      const bytes = writeIndicatorPayload(f.id, f.version, f);
      expect(viaReader(bytes), `case ${i}`).toEqual(viaGenerated(bytes));
    }
  });

  it('skips unknown fields and lets the last scalar win, as the generated decoder does', () => {
    const w = new BinaryWriter();
    w.tag(4, WireType.LengthDelimited).string('first');
    w.tag(99, WireType.LengthDelimited).string('from a newer writer');
    w.tag(50, WireType.Varint).uint64(7n);
    w.tag(10, WireType.LengthDelimited).string('tag-a');
    w.tag(4, WireType.LengthDelimited).string('second');
    w.tag(10, WireType.LengthDelimited).string('tag-b');
    w.tag(9, WireType.Varint).int64(1_700_000_000_000n);
    const bytes = w.finish();
    expect(viaReader(bytes)).toEqual(viaGenerated(bytes));
    expect(readIndicatorPayload(bytes)).toMatchObject({ value: 'second', tags: ['tag-a', 'tag-b'], validUntilMs: 1_700_000_000_000 });
  });

  it('rejects truncated bytes instead of returning a partial payload', () => {
    const bytes = toBinary(IndicatorPayloadSchema, create(IndicatorPayloadSchema, { value: 'a value long enough to cut', kind: 'account.email' }));
    expect(() => readIndicatorPayload(bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});

describe('readIndicatorViewFields', () => {
  it('reads the fields the view uses exactly as readIndicatorPayload, for 2,000 random payloads and a hand-made one', () => {
    const next = rng(4321);
    const pick = (bytes: Uint8Array) => {
      const { id, version, kind, value, tlp, confidence, action, validUntilMs } = readIndicatorPayload(bytes);
      return { id: Buffer.from(id).toString('hex'), version, kind, value, tlp, confidence, action, validUntilMs };
    };
    const lean = (bytes: Uint8Array) => {
      const p = readIndicatorViewFields(bytes);
      return { ...p, id: Buffer.from(p.id).toString('hex') };
    };
    for (let i = 0; i < 2000; i++) {
      const f = randomPayloadFields(next);
      const bytes = writeIndicatorPayload(f.id, f.version, f);
      expect(lean(bytes), `case ${i}`).toEqual(pick(bytes));
    }
    // Unknown fields, repeated scalars and fields it skips, in any order.
    const w = new BinaryWriter();
    w.tag(13, WireType.LengthDelimited).string('a description it skips');
    w.tag(4, WireType.LengthDelimited).string('first');
    w.tag(99, WireType.LengthDelimited).string('from a newer writer');
    w.tag(10, WireType.LengthDelimited).string('tag-a');
    w.tag(4, WireType.LengthDelimited).string('second');
    w.tag(8, WireType.Varint).int64(5n);
    w.tag(5, WireType.Varint).int32(3);
    const bytes = w.finish();
    expect(lean(bytes)).toEqual(pick(bytes));
    expect(lean(bytes)).toMatchObject({ value: 'second', tlp: 3 });
  });
});
