/**
 * Publish, get, batch lookup, new versions, retraction and expiry against a real node over
 * gRPC with the real client.
 */
import { timestampDate, timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Action, RetractReason, Tlp } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { DAY_MS } from '../../shared/indicator/duration.js';
import { ACCOUNT_VALIDITY_MS, NETWORK_VALIDITY_MS } from '../../shared/indicator/kinds.js';
import { DEFAULT_CONFIDENCE } from '../../shared/indicator/limits.js';
import { expectDtxError } from '../_util/errors.js';
import { cidrInput, emailBatch, emailInput, hex64, sampleInputs } from '../_util/samples.js';
import { startTestNode, type TestNode } from '../_util/test-node.js';

let t: TestNode;

beforeEach(async () => {
  t = await startTestNode({ name: 'publish-lookup' });
});

afterEach(async () => {
  await t.stop();
});

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

describe('publish and get', () => {
  it('publishes a batch in order at consecutive seqs and returns every field by id', async () => {
    const inputs = sampleInputs('get');
    const before = Date.now();
    const published = await t.client.publish(inputs);
    const after = Date.now();

    expect(published).toHaveLength(inputs.length);
    expect(published.map((p) => Number(p.seq))).toEqual(inputs.map((_, i) => i + 1));
    expect(published.every((p) => p.version === 1)).toBe(true);
    expect(new Set(published.map((p) => p.id)).size).toBe(inputs.length);

    for (const [i, item] of published.entries()) {
      const input = inputs[i]!;
      const got = await t.client.getIndicator(item.id);
      expect(got).toMatchObject({
        id: item.id,
        origin: t.node.nodeId,
        version: 1,
        kind: input.kind,
        value: input.value,
        tlp: input.tlp,
        confidence: input.confidence ?? DEFAULT_CONFIDENCE,
        tags: input.tags ?? [],
        techniques: input.techniques ?? [],
        campaign: input.campaign ?? '',
        normalizer: input.normalizer ?? '',
        keyEpoch: input.keyEpoch ?? 0,
        epoch: 1,
        seq: item.seq,
        retracted: false,
        retractReason: RetractReason.UNSPECIFIED,
      });
      const publishedAt = timestampMs(got.publishedAt!);
      expect(publishedAt).toBeGreaterThanOrEqual(before);
      expect(publishedAt).toBeLessThanOrEqual(after);
      const validFrom = timestampMs(got.validFrom!);
      expect(validFrom).toBeGreaterThanOrEqual(before);
      expect(validFrom).toBeLessThanOrEqual(after);
    }

    // Documented defaults: action by strength and confidence, validity by kind, simhash distance.
    const [email, cidr, , , , ja4, simhash, , card] = await Promise.all(published.map((p) => t.client.getIndicator(p.id)));
    expect(email!.action).toBe(Action.BLOCK); // strong kind, confidence 90
    expect(cidr!.action).toBe(Action.REVIEW); // medium kind
    expect(ja4!.action).toBe(Action.FLAG); // weak kind
    expect(card!.action).toBe(Action.REVIEW); // strong kind, but only the default confidence
    expect(simhash!.maxDistance).toBe(2);
    expect(cidr!.maxDistance).toBe(0);
    expect(timestampMs(email!.validUntil!) - timestampMs(email!.validFrom!)).toBe(ACCOUNT_VALIDITY_MS);
    expect(timestampMs(cidr!.validUntil!) - timestampMs(cidr!.validFrom!)).toBe(NETWORK_VALIDITY_MS);

    const info = await t.client.nodeInfo();
    expect(info.ownEntries).toBe(BigInt(inputs.length));
    expect(info.indicators).toBe(BigInt(inputs.length));
  });

  it('stores canonical values and normalised lists, and keeps explicit fields as given', async () => {
    const validFromMs = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    const validUntilMs = validFromMs + 7 * DAY_MS;
    const upper = hex64('canonical').toUpperCase();
    const [email, cidr, domain] = await t.client.publish([
      emailInput('x', {
        value: upper,
        tlp: Tlp.AMBER_STRICT,
        confidence: 0,
        action: Action.CHALLENGE,
        tags: ['Hydra', 'hydra', 'RESELLER'],
        techniques: ['aml.t0024.002', 'AML.T0024.002', 'AML.T0040'],
        description: 'line one\nline two',
        validFrom: timestampFromMs(validFromMs),
        validUntil: timestampFromMs(validUntilMs),
      }),
      cidrInput('2001:DB8:0:0::/32'),
      { kind: 'infra.domain', value: 'Proxy-Router.Example.', tlp: Tlp.GREEN },
    ]);

    const e = await t.client.getIndicator(email!.id);
    expect(e).toMatchObject({
      value: upper.toLowerCase(),
      tlp: Tlp.AMBER_STRICT,
      confidence: 0,
      action: Action.CHALLENGE,
      tags: ['hydra', 'reseller'],
      techniques: ['AML.T0024.002', 'AML.T0040'],
      description: 'line one\nline two',
    });
    expect(timestampMs(e.validFrom!)).toBe(validFromMs);
    expect(timestampMs(e.validUntil!)).toBe(validUntilMs);
    expect(timestampDate(e.validUntil!).getTime()).toBe(validUntilMs);
    expect((await t.client.getIndicator(cidr!.id)).value).toBe('2001:db8::/32');
    expect((await t.client.getIndicator(domain!.id)).value).toBe('proxy-router.example');
  });

  it('accepts an id in any letter case on get', async () => {
    const [item] = await t.client.publish([emailInput('case')]);
    const got = await t.client.getIndicator(item!.id.toUpperCase());
    expect(got.id).toBe(item!.id);
  });

  it('answers NOT_FOUND for an id nobody published', async () => {
    await expectDtxError(t.client.getIndicator(UNKNOWN_ID), 'NOT_FOUND', { field: 'id' });
  });
});

describe('batch lookup', () => {
  it('matches values given in non-canonical form and reports the query index', async () => {
    const inputs = sampleInputs('lookup');
    const published = await t.client.publish(inputs);
    const idOf = (kind: string, value: string) => published[inputs.findIndex((i) => i.kind === kind && i.value === value)]!.id;

    const queries = [
      { kind: 'account.email', value: hex64('nobody') }, // 0: miss
      { kind: 'account.email', value: inputs[0]!.value!.toUpperCase() }, // 1
      { kind: 'network.cidr', value: '2001:DB8::/32' }, // 2
      { kind: 'network.ip', value: '198.51.100.8' }, // 3: miss
      { kind: 'network.ip', value: '::ffff:198.51.100.7' }, // 4: IPv4-mapped spelling
      { kind: 'network.asn', value: 'as64500' }, // 5
      { kind: 'client.ja4', value: 'T13D1516H2_8DAAF6152771_B186095E22B6' }, // 6
      { kind: 'infra.domain', value: 'PROXY-ROUTER.example.' }, // 7
      { kind: 'network.cidr', value: '203.0.113.0/24' }, // 8
      { kind: 'infra.domain', value: 'other.example' }, // 9: miss
      { kind: 'network.asn', value: '64500' }, // 10: the same ASN again
    ];
    const results = await t.client.lookup(queries);
    const byIndex = new Map(results.map((r) => [r.queryIndex, r.matches.map((m) => m.id)]));
    expect([...byIndex.keys()].sort((a, b) => a - b)).toEqual([1, 2, 4, 5, 6, 7, 8, 10]);
    expect(byIndex.get(1)).toEqual([idOf('account.email', inputs[0]!.value!)]);
    expect(byIndex.get(2)).toEqual([idOf('network.cidr', '2001:db8::/32')]);
    expect(byIndex.get(4)).toEqual([idOf('network.ip', '198.51.100.7')]);
    expect(byIndex.get(5)).toEqual([idOf('network.asn', 'AS64500')]);
    expect(byIndex.get(6)).toEqual([idOf('client.ja4', 't13d1516h2_8daaf6152771_b186095e22b6')]);
    expect(byIndex.get(7)).toEqual([idOf('infra.domain', 'proxy-router.example')]);
    expect(byIndex.get(8)).toEqual([idOf('network.cidr', '203.0.113.0/24')]);
    expect(byIndex.get(10)).toEqual(byIndex.get(5));
    // Matches are whole indicators, with their origin.
    for (const r of results) for (const m of r.matches) expect(m.origin).toBe(t.node.nodeId);
  });

  it('answers many queries in one call, hits and misses interleaved', async () => {
    const n = 400;
    const published = await t.client.publish(emailBatch('many', n));
    const queries = Array.from({ length: 2 * n }, (_, q) => {
      const i = Math.floor(q / 2);
      return q % 2 === 0 ? { kind: 'account.email', value: hex64(`email:many/${i}`) } : { kind: 'account.email', value: hex64(`miss/${i}`) };
    });
    const results = await t.client.lookup(queries);
    expect(results).toHaveLength(n);
    for (const r of results) {
      expect(r.queryIndex % 2).toBe(0);
      expect(r.matches.map((m) => m.id)).toEqual([published[r.queryIndex / 2]!.id]);
      expect(r.matches[0]!.value).toBe(queries[r.queryIndex]!.value);
    }
  });

  it('returns every indicator with the same kind and value', async () => {
    const [a, b] = await t.client.publish([cidrInput('198.51.100.0/24'), cidrInput('198.51.100.0/24', { confidence: 70 })]);
    const [result] = await t.client.lookup([{ kind: 'network.cidr', value: '198.51.100.0/24' }]);
    expect(result!.queryIndex).toBe(0);
    expect(result!.matches.map((m) => m.id).sort()).toEqual([a!.id, b!.id].sort());
  });

  it('answers an empty query list with no results', async () => {
    await t.client.publish([cidrInput()]);
    expect(await t.client.lookup([])).toEqual([]);
  });
});

describe('new versions', () => {
  it('publishing with an id makes version 2, and get and lookup return only the latest', async () => {
    const [v1] = await t.client.publish([cidrInput('192.0.2.0/24', { confidence: 40 })]);
    const infoBefore = await t.client.nodeInfo();

    const [v2] = await t.client.publish([cidrInput('192.0.2.0/24', { id: v1!.id, confidence: 70, tags: ['v2'] })]);
    expect(v2).toMatchObject({ id: v1!.id, version: 2, seq: v1!.seq + 1n });

    const got = await t.client.getIndicator(v1!.id);
    expect(got).toMatchObject({ id: v1!.id, version: 2, confidence: 70, tags: ['v2'], seq: v2!.seq });

    const [hit] = await t.client.lookup([{ kind: 'network.cidr', value: '192.0.2.0/24' }]);
    expect(hit!.matches).toHaveLength(1);
    expect(hit!.matches[0]).toMatchObject({ id: v1!.id, version: 2, confidence: 70 });

    const infoAfter = await t.client.nodeInfo();
    expect(infoAfter.ownEntries).toBe(infoBefore.ownEntries + 1n);
    expect(infoAfter.indicators).toBe(infoBefore.indicators); // a version is not a new indicator
  });

  it('a new version with another value stops matching the old value', async () => {
    const [v1] = await t.client.publish([cidrInput('192.0.2.0/24')]);
    await t.client.publish([cidrInput('192.0.2.0/24', { id: v1!.id })]);
    const [v3] = await t.client.publish([cidrInput('192.0.2.0/25', { id: v1!.id })]);
    expect(v3!.version).toBe(3);

    const results = await t.client.lookup([
      { kind: 'network.cidr', value: '192.0.2.0/24' },
      { kind: 'network.cidr', value: '192.0.2.0/25' },
    ]);
    expect(results).toHaveLength(1);
    expect(results[0]!.queryIndex).toBe(1);
    expect(results[0]!.matches.map((m) => [m.id, m.version])).toEqual([[v1!.id, 3]]);
  });

  it('a new version of an id this node never published is NOT_FOUND, and nothing is stored', async () => {
    await t.client.publish([cidrInput()]);
    const heads = await t.client.listHeads();
    await expectDtxError(t.client.publish([cidrInput('192.0.2.0/24'), cidrInput('192.0.2.0/24', { id: UNKNOWN_ID })]), 'NOT_FOUND', {
      field: 'items[1].id',
      index: '1',
    });
    expect(await t.client.listHeads()).toEqual(heads);
    expect(await t.client.lookup([{ kind: 'network.cidr', value: '192.0.2.0/24' }])).toEqual([]);
  });
});

describe('retraction', () => {
  it('drops the indicator from lookups unless retracted ones are asked for', async () => {
    const [keep, gone] = await t.client.publish([emailInput('keep'), emailInput('gone')]);
    const seq = await t.client.retract(gone!.id, RetractReason.FALSE_POSITIVE, 'shared test account');
    expect(seq).toBe(3);

    const queries = [
      { kind: 'account.email', value: hex64('email:keep') },
      { kind: 'account.email', value: hex64('email:gone') },
    ];
    const plain = await t.client.lookup(queries);
    expect(plain.map((r) => [r.queryIndex, r.matches.map((m) => m.id)])).toEqual([[0, [keep!.id]]]);

    const withRetracted = await t.client.lookup(queries, { includeRetracted: true });
    const retracted = withRetracted.find((r) => r.queryIndex === 1);
    expect(retracted!.matches).toHaveLength(1);
    expect(retracted!.matches[0]).toMatchObject({ id: gone!.id, retracted: true, retractReason: RetractReason.FALSE_POSITIVE });

    const got = await t.client.getIndicator(gone!.id);
    expect(got).toMatchObject({ id: gone!.id, version: 1, retracted: true, retractReason: RetractReason.FALSE_POSITIVE });
    expect((await t.client.getIndicator(keep!.id)).retracted).toBe(false);

    const info = await t.client.nodeInfo();
    expect(info.ownEntries).toBe(3n);
    const [head] = await t.client.listHeads();
    expect(head!.seq).toBe(3n);
  });

  it('is permanent: a second retraction and a new version both fail with FAILED_PRECONDITION', async () => {
    const [item] = await t.client.publish([cidrInput()]);
    await t.client.retract(item!.id, RetractReason.LEGAL);
    const heads = await t.client.listHeads();

    await expectDtxError(t.client.retract(item!.id, RetractReason.SUPERSEDED), 'FAILED_PRECONDITION', { field: 'id' });
    await expectDtxError(t.client.publish([cidrInput('203.0.113.0/24', { id: item!.id })]), 'FAILED_PRECONDITION', {
      field: 'items[0].id',
      index: '0',
    });
    expect(await t.client.listHeads()).toEqual(heads);
    expect(await t.client.getIndicator(item!.id)).toMatchObject({ version: 1, retractReason: RetractReason.LEGAL });
  });

  it('retracting an unknown id is NOT_FOUND; a malformed id or missing reason is INVALID_ARGUMENT', async () => {
    const [item] = await t.client.publish([cidrInput()]);
    await expectDtxError(t.client.retract(UNKNOWN_ID, RetractReason.EXPIRED), 'NOT_FOUND', { field: 'id' });
    await expectDtxError(t.client.retract('not-a-uuid', RetractReason.EXPIRED), 'INVALID_ARGUMENT', { field: 'id' });
    await expectDtxError(t.client.retract(item!.id, RetractReason.UNSPECIFIED), 'INVALID_ARGUMENT', { field: 'reason' });
    await expectDtxError(t.client.retract(item!.id, RetractReason.EXPIRED, 'x'.repeat(1025)), 'INVALID_ARGUMENT', { field: 'comment' });
    expect((await t.client.nodeInfo()).ownEntries).toBe(1n);
    expect((await t.client.getIndicator(item!.id)).retracted).toBe(false);
  });
});

describe('expiry', () => {
  it('leaves expired indicators out of lookups unless include_expired is set', async () => {
    const now = Date.now();
    const validFromMs = now - 10 * DAY_MS;
    const validUntilMs = now - 9 * DAY_MS;
    const [expired, live] = await t.client.publish([
      cidrInput('198.51.100.0/24', { validFrom: timestampFromMs(validFromMs), validUntil: timestampFromMs(validUntilMs) }),
      cidrInput('198.51.100.0/24'),
    ]);
    const query = [{ kind: 'network.cidr', value: '198.51.100.0/24' }];

    const plain = await t.client.lookup(query);
    expect(plain.flatMap((r) => r.matches.map((m) => m.id))).toEqual([live!.id]);

    const all = await t.client.lookup(query, { includeExpired: true });
    expect(all.flatMap((r) => r.matches.map((m) => m.id)).sort()).toEqual([expired!.id, live!.id].sort());

    const got = await t.client.getIndicator(expired!.id);
    expect(timestampMs(got.validFrom!)).toBe(validFromMs);
    expect(timestampMs(got.validUntil!)).toBe(validUntilMs);

    // Retracted and expired: both flags are needed.
    await t.client.retract(expired!.id, RetractReason.EXPIRED);
    expect((await t.client.lookup(query, { includeExpired: true })).flatMap((r) => r.matches.map((m) => m.id))).toEqual([live!.id]);
    expect((await t.client.lookup(query, { includeRetracted: true })).flatMap((r) => r.matches.map((m) => m.id))).toEqual([live!.id]);
    const both = await t.client.lookup(query, { includeExpired: true, includeRetracted: true });
    expect(both.flatMap((r) => r.matches.map((m) => m.id)).sort()).toEqual([expired!.id, live!.id].sort());
  });
});
