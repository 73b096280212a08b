/**
 * Sightings on one node, over gRPC with the real client: reporting, the counts on indicators,
 * a lab's later report replacing its earlier one, bad input storing nothing, and the counts
 * surviving a restart.
 */
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SightingType } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { PayloadType } from '../../shared/gen/dtx/v1/log_pb.js';
import { decodeHeader } from '../../shared/log/entry-header.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { DtxClient } from '../../client/index.js';
import { collect, expectDtxError } from '../_util/errors.js';
import { emailBatch, emailInput } from '../_util/samples.js';
import { initTempDataDir, removeDir, startNodeOn, startTestNode, type TestNode } from '../_util/test-node.js';

let t: TestNode;

beforeEach(async () => {
  t = await startTestNode({ name: 'sightings' });
});

afterEach(async () => {
  await t.stop();
});

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

async function ownEntries(client: DtxClient): Promise<number> {
  return Number((await client.nodeInfo()).ownEntries);
}

describe('reporting sightings', () => {
  it('logs a signed sighting entry and counts it on the indicator, by id alone or with the origin', async () => {
    const [a, b] = await t.client.publish(emailBatch('seen', 2));
    const before = Date.now();
    const seqs = await t.client.reportSightings([
      { id: a!.id, type: SightingType.SEEN, comment: 'same template here' },
      { id: b!.id, origin: t.node.nodeId, type: SightingType.FALSE_POSITIVE },
    ]);
    expect(seqs).toEqual([3, 4]);

    const got = await t.client.getIndicator(a!.id);
    expect(got).toMatchObject({ seenBy: 1, falsePositiveBy: 0 });
    expect(timestampMs(got.lastSeen!)).toBeGreaterThanOrEqual(before);
    const other = await t.client.getIndicator(b!.id);
    expect(other).toMatchObject({ seenBy: 0, falsePositiveBy: 1 });
    expect(other.lastSeen).toBeUndefined();

    // The counts travel with whole indicators in lookups too.
    const [hit] = await t.client.lookup([{ kind: got.kind, value: got.value }]);
    expect(hit!.matches[0]).toMatchObject({ id: a!.id, seenBy: 1 });

    // Each sighting is an entry of this node's own log, of the sighting type.
    const entries = (await collect(t.client.readLog({ afterSeq: 2 }))).flat();
    expect(entries.map((e) => decodeHeader(e.header).payloadType)).toEqual([PayloadType.SIGHTING, PayloadType.SIGHTING]);
  });

  it("a lab's later sighting of an indicator replaces its earlier one", async () => {
    const [a] = await t.client.publish([emailInput('changes')]);
    const observed = Date.now() - 3_600_000;
    await t.client.reportSightings([{ id: a!.id, type: SightingType.SEEN, observedAt: timestampFromMs(observed) }]);
    expect(await t.client.getIndicator(a!.id)).toMatchObject({ seenBy: 1, falsePositiveBy: 0, lastSeen: timestampFromMs(observed) });
    await t.client.reportSightings([{ id: a!.id, type: SightingType.FALSE_POSITIVE }]);
    const after = await t.client.getIndicator(a!.id);
    expect(after).toMatchObject({ seenBy: 0, falsePositiveBy: 1 });
    expect(after.lastSeen).toBeUndefined();
  });

  it('an indicator nobody sighted has zero counts and no last-seen time', async () => {
    const [a] = await t.client.publish([emailInput('quiet')]);
    const got = await t.client.getIndicator(a!.id);
    expect(got).toMatchObject({ seenBy: 0, falsePositiveBy: 0 });
    expect(got.lastSeen).toBeUndefined();
  });

  it('keeps the counts across a restart', async () => {
    const { dir } = await initTempDataDir({ name: 'sightings-restart' });
    try {
      const first = await startNodeOn(dir);
      const [a] = await first.client.publish([emailInput('restart')]);
      await first.client.reportSightings([{ id: a!.id, type: SightingType.SEEN }]);
      await first.stop();
      const again = await startNodeOn(dir);
      try {
        expect(await again.client.getIndicator(a!.id)).toMatchObject({ seenBy: 1 });
      } finally {
        await again.stop();
      }
    } finally {
      removeDir(dir);
    }
  });
});

describe('bad sightings store nothing', () => {
  it('names the item and field of each problem, and the log does not move', async () => {
    const [a] = await t.client.publish([emailInput('bad')]);
    const seq = await ownEntries(t.client);
    const ok = { id: a!.id, type: SightingType.SEEN };
    const cases: [Parameters<DtxClient['reportSightings']>[0], string, Record<string, string>][] = [
      [[ok, { id: 'not-a-uuid', type: SightingType.SEEN }], 'INVALID_ARGUMENT', { field: 'items[1].id', index: '1' }],
      [[ok, { id: a!.id }], 'INVALID_ARGUMENT', { field: 'items[1].type', index: '1' }],
      [[{ id: a!.id, type: 7 as SightingType }], 'INVALID_ARGUMENT', { field: 'items[0].type', index: '0' }],
      [[ok, { id: UNKNOWN_ID, type: SightingType.SEEN }], 'NOT_FOUND', { field: 'items[1].id', index: '1' }],
      [[{ ...ok, origin: 'dtx-not-a-node' }], 'INVALID_ARGUMENT', { field: 'items[0].origin', index: '0' }],
      [[{ ...ok, origin: nodeIdFromPublicKey(new Uint8Array(32).fill(9)) }], 'NOT_FOUND', { field: 'items[0].id', index: '0' }],
      [[{ ...ok, comment: 'x'.repeat(1025) }], 'INVALID_ARGUMENT', { field: 'items[0].comment', index: '0' }],
      [[{ ...ok, observedAt: timestampFromMs(Date.now() + 3_600_000) }], 'INVALID_ARGUMENT', { field: 'items[0].observed_at', index: '0' }],
      [[ok, { ...ok, type: SightingType.FALSE_POSITIVE }], 'INVALID_ARGUMENT', { field: 'items[1].id', index: '1' }],
      [[], 'INVALID_ARGUMENT', { field: 'items' }],
    ];
    for (const [items, code, details] of cases) {
      await expectDtxError(t.client.reportSightings(items), code as never, details);
    }
    expect(await ownEntries(t.client)).toBe(seq);
    expect(await t.client.getIndicator(a!.id)).toMatchObject({ seenBy: 0, falsePositiveBy: 0 });
  });

  it('needs a publishing token', async () => {
    const [a] = await t.client.publish([emailInput('auth')]);
    await expectDtxError(t.clientWith().reportSightings([{ id: a!.id, type: SightingType.SEEN }]), 'UNAUTHENTICATED');
    expect(await t.client.getIndicator(a!.id)).toMatchObject({ seenBy: 0 });
  });
});
