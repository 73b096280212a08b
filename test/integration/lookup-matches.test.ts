import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Action, RetractReason } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { lookupKey } from '../../server/indicators/lookup-key.js';
import { expectDtxError } from '../_util/errors.js';
import { cidrInput, emailBatch, hex64 } from '../_util/samples.js';
import { startTestNode, type TestNode } from '../_util/test-node.js';

const email = (seed: string) => hex64(`email:${seed}`);

// The compact view of LookupIndicators (LOOKUP_VIEW_MATCHES), on a real node over gRPC.
describe('lookup, matches view', () => {
  let t: TestNode;
  let ids: string[];

  beforeAll(async () => {
    t = await startTestNode();
    const batch = [...emailBatch('m', 20, { confidence: 90 }), cidrInput('198.51.100.0/24')];
    ids = (await t.client.publish(batch)).map((p) => p.id);
  });
  afterAll(() => t.stop());

  it('returns one compact match per stored pair, in query order, and nothing for misses', async () => {
    const queries = [
      { kind: 'account.email', value: email('m/miss') },
      { kind: 'account.email', value: email('m/3').toUpperCase() },
      { kind: 'network.cidr', value: '198.51.100.0/24' },
      { kind: 'account.email', value: email('m/0') },
    ];
    const matches = await t.client.lookupMatches(queries);
    expect(matches.map((m) => m.queryIndex)).toEqual([1, 2, 3]);
    const info = await t.client.nodeInfo();
    for (const m of matches) {
      expect(m.origin).toBe(info.nodeId);
      expect(m.version).toBe(1);
      expect(m.retracted).toBe(false);
      expect(Number(m.validUntilMs)).toBeGreaterThan(Date.now());
    }
    expect(matches[0]!.id).toBe(ids[3]);
    expect(matches[0]!.confidence).toBe(90);
    expect(matches[0]!.action).toBe(Action.BLOCK);
    expect(matches[1]!.id).toBe(ids[20]);
  });

  it('agrees with the full view on a larger batch', async () => {
    const queries = Array.from({ length: 40 }, (_, i) => ({ kind: 'account.email', value: email(i % 2 === 0 ? `m/${i / 2}` : `none/${i}`) }));
    const compact = await t.client.lookupMatches(queries);
    const full = await t.client.lookup(queries);
    expect(compact.map((m) => [m.queryIndex, m.id])).toEqual(full.flatMap((r) => r.matches.map((i) => [r.queryIndex, i.id])));
    expect(compact).toHaveLength(20);
  });

  it('leaves retracted indicators out unless asked for', async () => {
    const [published] = await t.client.publish(emailBatch('gone', 1));
    await t.client.retract(published!.id, RetractReason.FALSE_POSITIVE);
    const query = [{ kind: 'account.email', value: email('gone/0') }];
    expect(await t.client.lookupMatches(query)).toEqual([]);
    const withRetracted = await t.client.lookupMatches(query, { includeRetracted: true });
    expect(withRetracted.map((m) => [m.id, m.retracted])).toEqual([[published!.id, true]]);
  });

  it('rejects a malformed query naming its index', async () => {
    await expectDtxError(t.client.lookupMatches([cidrInput() as { kind: string; value: string }, { kind: 'network.ip', value: 'not-an-ip' }]), 'INVALID_ARGUMENT', {
      field: 'queries[1].value',
      index: '1',
    });
  });
});

describe('lookupKey', () => {
  it('is stable, 48-bit, and depends on both kind and value', () => {
    const v = hex64('k');
    expect(lookupKey(1, v)).toBe(lookupKey(1, v));
    expect(lookupKey(1, v)).not.toBe(lookupKey(2, v));
    expect(lookupKey(1, v)).not.toBe(lookupKey(1, hex64('k2')));
    const keys = new Set(Array.from({ length: 20_000 }, (_, i) => lookupKey(1, hex64(`k${i}`))));
    expect(keys.size).toBe(20_000);
    for (const k of [...keys].slice(0, 100)) {
      expect(Number.isSafeInteger(k)).toBe(true);
      expect(k).toBeLessThan(2 ** 48);
      expect(k).toBeGreaterThanOrEqual(0);
    }
  });
});
