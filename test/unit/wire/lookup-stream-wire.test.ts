import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { DtxError } from '../../../shared/errors.js';
import {
  LookupIndicatorsRequestSchema,
  LookupIndicatorsResponseSchema,
  LookupStreamRequestSchema,
  LookupStreamResponseSchema,
} from '../../../shared/gen/dtx/v1/indicator_service_pb.js';
import { errorOfStatus, statusOf } from '../../../shared/rpc/status.js';
import {
  readLookupStreamRequest,
  readLookupStreamResponse,
  writeLookupStreamAnswer,
  writeLookupStreamError,
  writeLookupStreamRequest,
} from '../../../shared/wire/lookup-stream-wire.js';
import { randomFields } from '../../_util/random-fields.js';

describe('lookup stream messages', () => {
  const { next, int, text } = randomFields(99);
  const ids = [0n, 1n, 127n, 128n, BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER) + 1n, 2n ** 64n - 1n];
  const randomLookup = () =>
    create(LookupIndicatorsRequestSchema, {
      queries: Array.from({ length: int(6) }, () => ({ kind: text(15), value: text(70) })),
      includeRetracted: next() < 0.5,
      includeExpired: next() < 0.5,
      view: int(3),
    });
  const randomAnswer = () =>
    create(LookupIndicatorsResponseSchema, {
      matches: Array.from({ length: int(5) }, () => ({ queryIndex: int(100), id: text(36), origin: text(55), version: int(9), validUntilMs: BigInt(int(2 ** 40)) })),
      results: Array.from({ length: int(3) }, () => ({ queryIndex: int(100), matches: [{ id: text(36), kind: text(10), seq: BigInt(int(2 ** 40)) }] })),
    });

  it('write requests as the generated encoder does, and read them back as it decodes them', () => {
    for (let i = 0; i < 300; i++) {
      const id = i < ids.length ? Number(ids[i]! > BigInt(Number.MAX_SAFE_INTEGER) ? 5n : ids[i]!) : int(2 ** 40);
      const lookup = randomLookup();
      const bytes = writeLookupStreamRequest(id, toBinary(LookupIndicatorsRequestSchema, lookup));
      const generated = create(LookupStreamRequestSchema, { id: BigInt(id), lookup });
      expect(Buffer.from(bytes).equals(Buffer.from(toBinary(LookupStreamRequestSchema, generated))), `case ${i}`).toBe(true);
      const read = readLookupStreamRequest(bytes);
      expect(read.id).toBe(BigInt(id));
      expect(equals(LookupIndicatorsRequestSchema, read.lookup, lookup), `case ${i}`).toBe(true);
    }
  });

  it('read any id a client may send, a request with no lookup, and a lookup sent twice merged as protobuf does', () => {
    for (const id of ids) expect(readLookupStreamRequest(toBinary(LookupStreamRequestSchema, create(LookupStreamRequestSchema, { id }))).id).toBe(id);
    expect(readLookupStreamRequest(new Uint8Array(0)).lookup.queries).toEqual([]);
    const first = toBinary(LookupStreamRequestSchema, create(LookupStreamRequestSchema, { id: 3n, lookup: { queries: [{ kind: 'a', value: '1' }], view: 2 } }));
    const second = toBinary(LookupStreamRequestSchema, create(LookupStreamRequestSchema, { lookup: { queries: [{ kind: 'b', value: '2' }], includeExpired: true } }));
    const twice = new Uint8Array([...first, ...second]);
    const read = readLookupStreamRequest(twice);
    expect(read.id).toBe(3n);
    expect(equals(LookupIndicatorsRequestSchema, read.lookup, fromBinary(LookupStreamRequestSchema, twice).lookup!)).toBe(true);
    expect(read.lookup.queries.map((q) => q.kind)).toEqual(['a', 'b']);
  });

  it('write answers and errors as the generated encoder does, for every id, and read them back', () => {
    for (const [i, id] of ids.entries()) {
      const answer = randomAnswer();
      const bytes = writeLookupStreamAnswer(id, toBinary(LookupIndicatorsResponseSchema, answer));
      const generated = create(LookupStreamResponseSchema, { id, result: { case: 'lookup', value: answer } });
      expect(Buffer.from(bytes).equals(Buffer.from(toBinary(LookupStreamResponseSchema, generated))), `id ${id}`).toBe(true);
      if (id <= BigInt(Number.MAX_SAFE_INTEGER)) {
        const read = readLookupStreamResponse(bytes);
        expect(read.id, `case ${i}`).toBe(Number(id));
        expect(equals(LookupIndicatorsResponseSchema, read.lookup!, answer)).toBe(true);
        expect(read.error).toBeUndefined();
      }
    }
    const error = new DtxError('INVALID_ARGUMENT', 'queries[0].kind: unknown kind "x"', { details: { field: 'queries[0].kind' } });
    const read = readLookupStreamResponse(writeLookupStreamError(9n, statusOf(error)));
    expect(read.id).toBe(9);
    expect(read.lookup).toBeUndefined();
    const back = errorOfStatus(read.error!);
    expect([back?.code, back?.message, back?.details.field]).toEqual(['INVALID_ARGUMENT', error.message, 'queries[0].kind']);
  });

  it('reject truncated messages', () => {
    const bytes = writeLookupStreamRequest(1, toBinary(LookupIndicatorsRequestSchema, create(LookupIndicatorsRequestSchema, { queries: [{ kind: 'k', value: 'v' }] })));
    expect(() => readLookupStreamRequest(bytes.subarray(0, bytes.length - 2))).toThrow();
    const answer = writeLookupStreamAnswer(1n, toBinary(LookupIndicatorsResponseSchema, randomAnswer()));
    expect(() => readLookupStreamResponse(answer.subarray(0, answer.length - 1))).toThrow();
  });
});
