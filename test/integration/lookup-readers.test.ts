import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetractReason } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { LookupIndicatorsRequestSchema, LookupIndicatorsResponseSchema } from '../../shared/gen/dtx/v1/indicator_service_pb.js';
import { uuidFromString } from '../../shared/uuid.js';
import { batchOf, LookupReaders, MIN_POOLED_QUERIES } from '../../server/indicators/lookup-readers.js';
import { lookupResponse, type LookupViewName } from '../../server/indicators/lookup-response.js';
import { silentLogger } from '../../shared/logger.js';
import { expectDtxError } from '../_util/errors.js';
import { capturingLogger } from '../_util/logs.js';
import { RawGrpcClient } from '../_util/raw-grpc.js';
import { emailBatch, hex64 } from '../_util/samples.js';
import { startTestNode, type TestNode } from '../_util/test-node.js';

const email = (seed: string) => ({ kind: 'account.email', value: hex64(`email:${seed}`) });
const decode = (bytes: Uint8Array) => fromBinary(LookupIndicatorsResponseSchema, bytes);
const FILTERS = [
  { includeRetracted: false, includeExpired: false },
  { includeRetracted: true, includeExpired: false },
  { includeRetracted: false, includeExpired: true },
  { includeRetracted: true, includeExpired: true },
];
const VIEWS: LookupViewName[] = ['matches', 'full'];

// Large batch lookups answered on reader threads (server/indicators/lookup-readers.ts), on a
// real node: the same bytes as the main thread, one snapshot per batch, errors naming the
// query's index in the whole call, and the main thread taking over when readers cannot run.
describe('lookup readers', () => {
  let t: TestNode;
  let retractedId: string;
  /** 1,200 queries: stored, not stored and one retracted indicator, spread over every part. */
  let queries: { kind: string; value: string }[];
  const stored = (i: number) => i % 3 !== 0 || i % 100 === 7;

  beforeAll(async () => {
    t = await startTestNode({ overrides: { lookupReaders: 2 } });
    await t.client.publish(emailBatch('r', 700, { confidence: 70 }));
    const [gone] = await t.client.publish(emailBatch('gone', 1));
    retractedId = gone!.id;
    await t.client.retract(retractedId, RetractReason.FALSE_POSITIVE);
    queries = Array.from({ length: 1_200 }, (_, i) => (i % 100 === 7 ? email('gone/0') : email(stored(i) ? `r/${i % 700}` : `none/${i}`)));
  });
  afterAll(() => t.stop());

  it('answers every view and filter with the bytes the main thread would write', async () => {
    const { lookups, query } = t.node.context;
    for (const view of VIEWS) {
      for (const options of FILTERS) {
        const nowMs = Date.now();
        const pooled = await lookups.respond(batchOf(queries), options, view);
        const inline = lookupResponse(query, queries, options, view, { offset: 0, nowMs });
        expect(Buffer.from(pooled).equals(Buffer.from(inline)), `${view} ${JSON.stringify(options)}`).toBe(true);
      }
    }
    const matches = decode(await lookups.respond(batchOf(queries), FILTERS[1]!, 'matches')).matches;
    // Every stored query matched once, in query order, across the parts' boundaries.
    expect(matches.map((m) => m.queryIndex)).toEqual(queries.map((_, i) => i).filter(stored));
    expect(matches.filter((m) => m.retracted).map((m) => m.id)).toEqual(queries.flatMap((q, i) => (i % 100 === 7 ? [retractedId] : [])));
  });

  it('answers batches with few or no matches, whose parts encode to a few bytes', async () => {
    const { lookups, query } = t.node.context;
    const misses = Array.from({ length: MIN_POOLED_QUERIES + 88 }, (_, i) => email(`none/${i}`));
    const one = misses.map((q, i) => (i === 300 ? email('r/5') : q));
    for (const batch of [misses, one]) {
      for (const view of VIEWS) {
        const nowMs = Date.now();
        const pooled = await lookups.respond(batchOf(batch), FILTERS[0]!, view);
        expect(Buffer.from(pooled).equals(Buffer.from(lookupResponse(query, batch, FILTERS[0]!, view, { offset: 0, nowMs })))).toBe(true);
      }
    }
    expect((await t.client.lookupMatches(one)).map((m) => m.queryIndex)).toEqual([300]);
    expect(await t.client.lookupMatches(misses)).toEqual([]);
  });

  it('answers batches that arrive together, each with its own answer, one after the other on the readers', async () => {
    const { lookups, query } = t.node.context;
    const batches = [queries, queries.slice(300), [...queries].reverse()];
    const nowMs = Date.now();
    const answers = await Promise.all(batches.map((batch, i) => lookups.respond(batchOf(batch), FILTERS[i % 2]!, VIEWS[i % 2]!)));
    answers.forEach((answer, i) => {
      const inline = lookupResponse(query, batches[i]!, FILTERS[i % 2]!, VIEWS[i % 2]!, { offset: 0, nowMs });
      expect(Buffer.from(answer).equals(Buffer.from(inline)), `batch ${i}`).toBe(true);
    });
  });

  it('answers over gRPC as for a small batch', async () => {
    const compact = await t.client.lookupMatches(queries);
    const small = await t.client.lookupMatches(queries.slice(0, MIN_POOLED_QUERIES - 1));
    expect(compact.slice(0, small.length)).toEqual(small);
    const full = await t.client.lookup(queries);
    expect(compact.map((m) => [m.queryIndex, m.id])).toEqual(full.flatMap((r) => r.matches.map((i) => [r.queryIndex, i.id])));
  });

  it('names the first bad query by its index in the whole call', async () => {
    const bad = [...queries];
    bad[1_100] = { kind: 'account.email', value: 'not-a-hash' };
    bad[950] = { kind: 'no.such.kind', value: 'x' };
    await expectDtxError(t.client.lookupMatches(bad), 'INVALID_ARGUMENT', { field: 'queries[950].kind', index: '950' });
    await expectDtxError(t.node.context.lookups.respond(batchOf(bad.slice(1_000)), FILTERS[0]!, 'full'), 'INVALID_ARGUMENT', { field: 'queries[100].value' });
  });

  it('rejects a query that does not decode, naming it, on the readers and on the main thread', async () => {
    const raw = new RawGrpcClient(t.node.grpcAddress);
    try {
      for (const [size, bad] of [[1_000, 777], [5, 3]] as const) {
        const request = create(LookupIndicatorsRequestSchema, { queries: queries.slice(0, size) });
        // The value's string field holds a byte that never occurs in UTF-8; the rest is valid.
        request.queries[bad]!.value = 'x'.repeat(64);
        const bytes = toBinary(LookupIndicatorsRequestSchema, request);
        const at = Buffer.from(bytes).indexOf('x'.repeat(64));
        bytes[at + 10] = 0xff;
        const err = (await raw.unaryBytes('/dtx.v1.IndicatorService/LookupIndicators', bytes, t.token).then(
          () => undefined,
          (e: ServiceError) => e,
        ))!;
        expect(err.code, `${size} queries`).toBe(status.INVALID_ARGUMENT);
        expect(err.details).toContain(`queries[${bad}]: does not decode`);
      }
      // The same request without the bad byte is answered.
      const good = await raw.unaryBytes('/dtx.v1.IndicatorService/LookupIndicators', toBinary(LookupIndicatorsRequestSchema, create(LookupIndicatorsRequestSchema, { queries })), t.token);
      expect(decode(good).results.length).toBeGreaterThan(0);
    } finally {
      raw.close();
    }
  });

  it('reads a whole batch from one snapshot, taken before the call returns to the event loop', async () => {
    const { lookups, indicatorStore } = t.node.context;
    await lookups.respond(batchOf(queries), FILTERS[0]!, 'matches');
    const target = email('r/699'); // in no other position of the batch
    const positions = [1, 301, 601, 901, 1_199];
    const batch = queries.map((q, i) => (positions.includes(i) ? target : q));
    const [stored] = decode(await lookups.respond(batchOf([target]), FILTERS[0]!, 'matches')).matches;
    const id = uuidFromString(stored!.id, 'id');
    const [origin] = indicatorStore.originsOf(id);
    const answer = lookups.respond(batchOf(batch), FILTERS[0]!, 'matches');
    // Runs after the batch is handed to the readers (microtasks come first) and while they work:
    // a write to the view that the batch must not see in any part, the first or the last.
    const written = new Promise<void>((resolve) =>
      setImmediate(() => {
        indicatorStore.markRetracted(id, origin!, RetractReason.FALSE_POSITIVE, 0);
        resolve();
      }),
    );
    const matches = decode(await answer).matches;
    await written;
    try {
      expect(matches.filter((m) => m.id === stored!.id).map((m) => m.queryIndex)).toEqual(positions);
      expect(decode(await lookups.respond(batchOf(batch), FILTERS[0]!, 'matches')).matches.filter((m) => m.id === stored!.id)).toEqual([]);
    } finally {
      indicatorStore.markRetracted(id, origin!, 0, 0);
    }
  });

  it('falls back to the main thread, once and with a warning, when readers cannot start', async () => {
    const { logger, lines } = capturingLogger();
    const { query } = t.node.context;
    const readers = new LookupReaders('/nonexistent/dtx.db', query, logger, { readers: 2, minQueries: MIN_POOLED_QUERIES, cacheMiB: 8 });
    try {
      const nowMs = Date.now();
      const first = await readers.respond(batchOf(queries), FILTERS[0]!, 'matches');
      expect(Buffer.from(first).equals(Buffer.from(lookupResponse(query, queries, FILTERS[0]!, 'matches', { offset: 0, nowMs })))).toBe(true);
      await readers.respond(batchOf(queries), FILTERS[0]!, 'full');
      expect(lines.filter((l) => l.includes('lookup readers stopped'))).toHaveLength(1);
      expect(lines[0]).toContain('could not open the database');
    } finally {
      await readers.stop();
    }
  });

  it('falls back to the main thread when a reader dies between batches or during one', async () => {
    const { query, db } = t.node.context;
    for (const when of ['between', 'during'] as const) {
      const { logger, lines } = capturingLogger();
      const readers = new LookupReaders(db.name, query, logger, { readers: 2, minQueries: MIN_POOLED_QUERIES, cacheMiB: 8 });
      try {
        const nowMs = Date.now();
        const expected = Buffer.from(lookupResponse(query, queries, FILTERS[0]!, 'matches', { offset: 0, nowMs }));
        expect(Buffer.from(await readers.respond(batchOf(queries), FILTERS[0]!, 'matches')).equals(expected)).toBe(true);
        const [victim] = await readers.threadsForTests();
        let answer: Uint8Array;
        if (when === 'between') {
          await victim!.terminate();
          answer = await readers.respond(batchOf(queries), FILTERS[0]!, 'matches');
        } else {
          const pending = readers.respond(batchOf(queries), FILTERS[0]!, 'matches');
          setImmediate(() => void victim!.terminate());
          answer = await pending;
        }
        expect(Buffer.from(answer).equals(expected), when).toBe(true);
        expect(lines.filter((l) => l.includes('lookup readers stopped')), when).toHaveLength(1);
        // Later batches run on the main thread, and no thread is left running.
        expect(Buffer.from(await readers.respond(batchOf(queries), FILTERS[0]!, 'matches')).equals(expected)).toBe(true);
      } finally {
        await readers.stop();
      }
    }
  });

  it('filters expiry at the call clock in every part', async () => {
    const { query, db } = t.node.context;
    const later = Date.now() + 400 * 86_400_000;
    const readers = new LookupReaders(db.name, query, silentLogger(), { readers: 2, minQueries: MIN_POOLED_QUERIES, cacheMiB: 8 }, () => later);
    try {
      expect(decode(await readers.respond(batchOf(queries), FILTERS[0]!, 'matches')).matches).toEqual([]);
      const all = decode(await readers.respond(batchOf(queries), FILTERS[3]!, 'matches')).matches;
      expect(all).toHaveLength(queries.filter((_, i) => stored(i)).length);
      expect(Buffer.from(await readers.respond(batchOf(queries), FILTERS[2]!, 'full')).equals(Buffer.from(lookupResponse(query, queries, FILTERS[2]!, 'full', { offset: 0, nowMs: later })))).toBe(true);
    } finally {
      await readers.stop();
    }
  });
});
