/**
 * Bad input: one bad item rejects the whole batch with INVALID_ARGUMENT naming the item and
 * field, and nothing of the batch is stored. Also batch size limits, malformed queries, and
 * request bytes that are not valid protobuf.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndicatorInputInit } from '../../client/index.js';
import { Action, Tlp } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { PublishRequestSchema } from '../../shared/gen/dtx/v1/indicator_service_pb.js';
import { DAY_MS } from '../../shared/indicator/duration.js';
import { expectDtxError } from '../_util/errors.js';
import { RawGrpcClient } from '../_util/raw-grpc.js';
import { cidrInput, emailInput, hex64 } from '../_util/samples.js';
import { startTestNode, type TestNode } from '../_util/test-node.js';

let t: TestNode;
let baselineId: string;

beforeAll(async () => {
  t = await startTestNode({ name: 'bad-input' });
  // A non-empty log, so "unchanged" compares real heads.
  const [first] = await t.client.publish([emailInput('baseline'), cidrInput()]);
  baselineId = first!.id;
});

afterAll(async () => {
  await t?.stop();
});

async function snapshot() {
  const [heads, info] = await Promise.all([t.client.listHeads(), t.client.nodeInfo()]);
  return { heads, ownEntries: info.ownEntries, indicators: info.indicators };
}

/** A batch of four whose item 2 is `bad`; items 0, 1 and 3 are valid and unique to `seed`. */
function batchWithBadItem2(seed: string, bad: IndicatorInputInit): IndicatorInputInit[] {
  return [emailInput(`${seed}/0`), emailInput(`${seed}/1`), bad, emailInput(`${seed}/3`)];
}

const nowMs = Date.now();

const BAD_ITEM_2: { name: string; bad: IndicatorInputInit; field: string }[] = [
  { name: 'value not hex', bad: emailInput('b', { value: 'not-a-hash' }), field: 'items[2].value' },
  { name: 'value too short', bad: emailInput('b', { value: 'abcd' }), field: 'items[2].value' },
  { name: 'value empty', bad: cidrInput(''), field: 'items[2].value' },
  { name: 'cidr with host bits', bad: cidrInput('203.0.113.7/24'), field: 'items[2].value' },
  { name: 'tlp unset', bad: emailInput('b', { tlp: Tlp.UNSPECIFIED }), field: 'items[2].tlp' },
  { name: 'tlp out of range', bad: emailInput('b', { tlp: 9 as Tlp }), field: 'items[2].tlp' },
  { name: 'confidence 101', bad: emailInput('b', { confidence: 101 }), field: 'items[2].confidence' },
  { name: 'action out of range', bad: emailInput('b', { action: 17 as Action }), field: 'items[2].action' },
  {
    name: 'valid_until before valid_from',
    bad: emailInput('b', { validFrom: timestampFromMs(nowMs), validUntil: timestampFromMs(nowMs - 1000) }),
    field: 'items[2].valid_until',
  },
  {
    name: 'valid_until equal to valid_from',
    bad: emailInput('b', { validFrom: timestampFromMs(nowMs), validUntil: timestampFromMs(nowMs) }),
    field: 'items[2].valid_until',
  },
  {
    name: 'valid_from far in the future',
    bad: emailInput('b', { validFrom: timestampFromMs(nowMs + 30 * DAY_MS) }),
    field: 'items[2].valid_from',
  },
  {
    name: 'validity over five years',
    bad: emailInput('b', { validFrom: timestampFromMs(nowMs), validUntil: timestampFromMs(nowMs + 6 * 366 * DAY_MS) }),
    field: 'items[2].valid_until',
  },
  {
    name: 'too many tags',
    bad: emailInput('b', { tags: Array.from({ length: 33 }, (_, i) => `tag-${i}`) }),
    field: 'items[2].tags',
  },
  { name: 'bad tag', bad: emailInput('b', { tags: ['ok', 'has space'] }), field: 'items[2].tags[1]' },
  { name: 'unknown kind', bad: emailInput('b', { kind: 'account.bogus' }), field: 'items[2].kind' },
  { name: 'kind missing', bad: emailInput('b', { kind: '' }), field: 'items[2].kind' },
  { name: 'bad technique id', bad: emailInput('b', { techniques: ['AML.T0040', 'T1078'] }), field: 'items[2].techniques[1]' },
  {
    name: 'too many techniques',
    bad: emailInput('b', { techniques: Array.from({ length: 33 }, (_, i) => `AML.T${String(1000 + i)}`) }),
    field: 'items[2].techniques',
  },
  { name: 'keyed kind without normalizer', bad: emailInput('b', { normalizer: '' }), field: 'items[2].normalizer' },
  { name: 'malformed normalizer', bad: emailInput('b', { normalizer: 'Email' }), field: 'items[2].normalizer' },
  { name: 'keyed kind without key epoch', bad: emailInput('b', { keyEpoch: 0 }), field: 'items[2].key_epoch' },
  { name: 'max_distance on a non-simhash kind', bad: emailInput('b', { maxDistance: 2 }), field: 'items[2].max_distance' },
  {
    name: 'simhash max_distance over 8',
    bad: { kind: 'prompt.simhash', value: hex64('s').slice(0, 16), tlp: Tlp.AMBER, normalizer: 'norm-v1', keyEpoch: 1, maxDistance: 9 },
    field: 'items[2].max_distance',
  },
  { name: 'description too long', bad: emailInput('b', { description: 'x'.repeat(4097) }), field: 'items[2].description' },
  { name: 'campaign with a newline', bad: emailInput('b', { campaign: 'two\nlines' }), field: 'items[2].campaign' },
  { name: 'id not a UUID', bad: emailInput('b', { id: 'not-a-uuid' }), field: 'items[2].id' },
];

describe('a batch with one bad item', () => {
  it.each(BAD_ITEM_2)('$name → INVALID_ARGUMENT at $field, index 2, nothing stored', async ({ name, bad, field }) => {
    const before = await snapshot();
    const seed = `bad:${name}`;
    await expectDtxError(t.client.publish(batchWithBadItem2(seed, bad)), 'INVALID_ARGUMENT', { field, index: '2' });

    expect(await snapshot()).toEqual(before);
    // Not even the valid items before the bad one were stored.
    const lookups = await t.client.lookup(
      [0, 1, 3].map((i) => ({ kind: 'account.email', value: hex64(`email:${seed}/${i}`) })),
      { includeExpired: true, includeRetracted: true },
    );
    expect(lookups).toEqual([]);
  });

  it('the same batch with item 2 fixed is accepted', async () => {
    const before = await snapshot();
    const published = await t.client.publish(batchWithBadItem2('fixed', emailInput('fixed/2')));
    expect(published).toHaveLength(4);
    const after = await snapshot();
    expect(after.ownEntries).toBe(before.ownEntries + 4n);
    expect(after.heads[0]!.seq).toBe(before.heads[0]!.seq + 4n);
  });

  it('a duplicate id in one batch names the second occurrence, and nothing is stored', async () => {
    const before = await snapshot();
    const batch = [
      emailInput('baseline', { id: baselineId, confidence: 60 }),
      emailInput('dup/1'),
      emailInput('baseline', { id: baselineId, confidence: 70 }),
    ];
    await expectDtxError(t.client.publish(batch), 'INVALID_ARGUMENT', { field: 'items[2].id', index: '2' });
    expect(await snapshot()).toEqual(before);
    expect(await t.client.getIndicator(baselineId)).toMatchObject({ version: 1, confidence: 50 });
  });

  it('a duplicate id in different letter case is still the same id', async () => {
    const before = await snapshot();
    const batch = [emailInput('baseline', { id: baselineId }), emailInput('baseline', { id: baselineId.toUpperCase() })];
    await expectDtxError(t.client.publish(batch), 'INVALID_ARGUMENT', { field: 'items[1].id', index: '1' });
    expect(await snapshot()).toEqual(before);
  });
});

describe('batch size', () => {
  it('TLP:RED is refused (it would travel unsealed to every member), naming the item, and nothing is stored', async () => {
    const before = await t.client.nodeInfo();
    await expectDtxError(t.client.publish([emailInput('red/ok'), emailInput('red/red', { tlp: Tlp.RED })]), 'FAILED_PRECONDITION', { field: 'items[1].tlp', index: '1' });
    expect((await t.client.nodeInfo()).ownEntries).toBe(before.ownEntries);
    expect(await t.client.lookup([{ kind: 'account.email', value: emailInput('red/ok').value! }])).toEqual([]);
  });

  it('an empty batch is INVALID_ARGUMENT naming items', async () => {
    const before = await snapshot();
    await expectDtxError(t.client.publish([]), 'INVALID_ARGUMENT', { field: 'items' });
    expect(await snapshot()).toEqual(before);
  });

  it('a batch over maxBatch is INVALID_ARGUMENT; maxBatch items are accepted', async () => {
    const small = await startTestNode({ name: 'small-batches', overrides: { maxBatch: 5 } });
    try {
      const six = Array.from({ length: 6 }, (_, i) => emailInput(`six/${i}`));
      await expectDtxError(small.client.publish(six), 'INVALID_ARGUMENT', { field: 'items' });
      expect((await small.client.nodeInfo()).ownEntries).toBe(0n);
      expect(await small.client.listHeads()).toEqual([]);
      expect(await small.client.lookup([{ kind: 'account.email', value: hex64('email:six/0') }])).toEqual([]);

      const five = await small.client.publish(six.slice(0, 5));
      expect(five.map((p) => Number(p.seq))).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await small.stop();
    }
  });
});

describe('malformed reads', () => {
  it('a lookup with an unknown kind is INVALID_ARGUMENT naming queries[i].kind', async () => {
    const queries = [
      { kind: 'account.email', value: hex64('email:baseline') },
      { kind: 'network.cidr', value: '203.0.113.0/24' },
      { kind: 'account.bogus', value: 'x' },
    ];
    await expectDtxError(t.client.lookup(queries), 'INVALID_ARGUMENT', { field: 'queries[2].kind', index: '2' });
  });

  it('a lookup with a malformed value is INVALID_ARGUMENT naming queries[i].value and its index', async () => {
    const queries = [
      { kind: 'account.email', value: hex64('email:baseline') },
      { kind: 'network.cidr', value: '203.0.113.7/24' },
    ];
    await expectDtxError(t.client.lookup(queries), 'INVALID_ARGUMENT', { field: 'queries[1].value', index: '1' });
  });

  it('get with an id that is not a UUID is INVALID_ARGUMENT naming id', async () => {
    for (const bad of ['', 'not-a-uuid', `${baselineId}0`, baselineId.replaceAll('-', '')]) {
      await expectDtxError(t.client.getIndicator(bad), 'INVALID_ARGUMENT', { field: 'id' });
    }
  });
});

describe('requests that are not valid protobuf', () => {
  /** A PublishRequest of one email indicator whose description holds a byte that never occurs in UTF-8. */
  function publishWithInvalidUtf8(): Uint8Array {
    const bytes = toBinary(PublishRequestSchema, create(PublishRequestSchema, { items: [{ ...emailInput('utf8'), description: 'x'.repeat(40) }] }));
    bytes[Buffer.from(bytes).indexOf('x'.repeat(40)) + 7] = 0xff;
    return bytes;
  }
  const GARBAGE = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);

  it('are INVALID_ARGUMENT naming the message, whatever decodes them, and nothing is stored', async () => {
    const raw = new RawGrpcClient(t.node.grpcAddress);
    try {
      const before = await snapshot();
      const cases: [string, Uint8Array, string][] = [
        ['/dtx.v1.IndicatorService/Publish', GARBAGE, 'dtx.v1.PublishRequest'],
        ['/dtx.v1.IndicatorService/Publish', publishWithInvalidUtf8(), 'dtx.v1.PublishRequest'],
        ['/dtx.v1.IndicatorService/LookupIndicators', GARBAGE, 'dtx.v1.LookupIndicatorsRequest'],
        ['/dtx.v1.IndicatorService/GetIndicator', GARBAGE, 'dtx.v1.GetIndicatorRequest'],
        ['/dtx.v1.NodeService/GetNodeInfo', GARBAGE, 'dtx.v1.GetNodeInfoRequest'],
      ];
      for (const [path, bytes, typeName] of cases) {
        const err = await raw.unaryBytes(path, bytes, t.token).then(
          () => undefined,
          (e: ServiceError) => e,
        );
        expect(err?.code, path).toBe(status.INVALID_ARGUMENT);
        expect(err?.details, path).toContain(`request: not a valid ${typeName}`);
      }
      expect(await snapshot()).toEqual(before);
    } finally {
      raw.close();
    }
  });

  it('are UNAUTHENTICATED without a token: the body is not looked at first', async () => {
    const raw = new RawGrpcClient(t.node.grpcAddress);
    try {
      const err = await raw.unaryBytes('/dtx.v1.IndicatorService/Publish', GARBAGE).then(
        () => undefined,
        (e: ServiceError) => e,
      );
      expect(err?.code).toBe(status.UNAUTHENTICATED);
    } finally {
      raw.close();
    }
  });
});
