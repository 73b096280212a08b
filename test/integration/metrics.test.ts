/**
 * GET /metrics on real nodes: the federation as `dtx status` shows it (heads, peer states, lag,
 * applied and rejected entries, quarantine), read fresh at each scrape, in the Prometheus text
 * format; a peer that goes away or is removed shows so; a relay's forgeries are counted by
 * reason. Halted origins are checked in federation/fork.test.ts, where a fork is made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../shared/crypto.js';
import { expectDtxError } from '../_util/errors.js';
import { MaliciousRelay, resignedWith } from '../_util/malicious-relay.js';
import { scrape } from '../_util/prom-text.js';
import { emailBatch } from '../_util/samples.js';
import { addPeer, FAST_SYNC, headsOf, readAll, stopAll, waitFor } from '../_util/test-network.js';
import { startTestNode, type TestNode } from '../_util/test-node.js';

const FIRST = 25;
const MORE = 7;
const STATES = ['connecting', 'connected', 'reconnecting', 'halted', 'idle'];

let a: TestNode;
let b: TestNode;

beforeAll(async () => {
  [a, b] = await Promise.all([startTestNode({ name: 'lab-a', overrides: FAST_SYNC }), startTestNode({ name: 'lab-b', overrides: FAST_SYNC })]);
  // B subscribes to A; A only lets B in.
  await addPeer(a, b, { subscribe: false });
  await addPeer(b, a);
  await a.client.publish(emailBatch('metrics-a', FIRST));
  await waitFor(() => headsOf(b).get(a.node.nodeId) === headsOf(a).get(a.node.nodeId), "A's head at B");
});

afterAll(async () => {
  await stopAll([a, b].filter(Boolean));
});

describe('GET /metrics', () => {
  it('shows heads, the peer connected, lag 0 and the entries applied, as the status does', async () => {
    const aId = a.node.nodeId;
    await waitFor(async () => (await scrape(b.node.httpAddress)).value('dtx_peer_lag_entries', { peer: aId, origin: aId }) === 0, 'lag 0 at B');
    const m = await scrape(b.node.httpAddress);
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.value('dtx_node_info', { node_id: b.node.nodeId, name: 'lab-b' })).toBe(1);
    expect(m.value('dtx_origin_head_seq', { origin: aId })).toBe(FIRST);
    expect(m.value('dtx_origin_head_epoch', { origin: aId })).toBe(1);
    // One state at 1, the others at 0, under the peer's id and name.
    expect(Object.fromEntries(m.all('dtx_peer_state', { peer: aId, name: 'lab-a' }).map((s) => [s.labels.state, s.value]))).toEqual(
      Object.fromEntries(STATES.map((s) => [s, s === 'connected' ? 1 : 0])),
    );
    expect(m.value('dtx_peer_entries_applied_total', { peer: aId })).toBe(FIRST);
    expect(m.value('dtx_peer_entries_duplicate_total', { peer: aId })).toBe(0);
    expect(m.all('dtx_peer_entries_rejected_total')).toEqual([]);
    expect(m.value('dtx_origins_halted')).toBe(0);
    expect(m.all('dtx_origin_halted')).toEqual([]);
    expect(m.value('dtx_quarantined_entries')).toBe(0);
    // Each indicator received added its lookup key to the recent table; far below a merge.
    expect(m.value('dtx_lookup_recent_keys')).toBe(FIRST);
    expect(m.value('dtx_lookup_merge_running')).toBe(0);
    expect(m.types.get('dtx_peer_entries_applied_total')).toBe('counter');
    expect(m.types.get('dtx_peer_lag_seconds')).toBe('gauge');
    // The process's own, for dashboards: CPU, memory, event loop.
    expect(m.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(m.all('nodejs_eventloop_lag_p99_seconds')).toHaveLength(1);
    // Nothing that names where a peer is: no URL, no address.
    const text = await (await fetch(`http://${b.node.httpAddress}/metrics`)).text();
    expect(text).not.toContain(a.node.grpcAddress);

    // A's own node counts its log, and B as a peer it does not dial.
    const atA = await scrape(a.node.httpAddress);
    expect(atA.value('dtx_origin_head_seq', { origin: aId })).toBe(FIRST);
    expect(atA.value('dtx_peer_state', { peer: b.node.nodeId, state: 'idle' })).toBe(1);
  });

  it('is read at each scrape: new entries move the head and the counter', async () => {
    const aId = a.node.nodeId;
    await a.client.publish(emailBatch('metrics-a-more', MORE));
    await waitFor(async () => (await scrape(b.node.httpAddress)).value('dtx_origin_head_seq', { origin: aId }) === FIRST + MORE, 'the new head in B/metrics');
    expect((await scrape(b.node.httpAddress)).value('dtx_peer_entries_applied_total', { peer: aId })).toBe(FIRST + MORE);
  });

  it('counts a relay’s forged entries by reason, and the quarantine', async () => {
    const aId = a.node.nodeId;
    const aLog = await readAll(a.client);
    // Re-signed with a key that is not A's: every one of them is refused as BAD_SIGNATURE.
    const forger = generateSigningKey();
    const forged = [1, 2, 3].map((i) => resignedWith(aLog[aLog.length - i]!, forger)).reverse();
    const fresh = await startTestNode({ name: 'lab-d', overrides: FAST_SYNC });
    const relay = await MaliciousRelay.start({ script: (_call, index) => ({ messages: index === 0 ? [aLog.slice(0, aLog.length - 3), forged] : [] }) });
    try {
      await fresh.client.addPeer({ id: aId, url: a.node.grpcAddress, noSubscribe: true });
      await fresh.client.addPeer({ id: relay.nodeId, url: relay.address, name: 'relay' });
      await waitFor(async () => (await scrape(fresh.node.httpAddress)).value('dtx_quarantined_entries') === 3, 'three quarantined at D');
      const m = await scrape(fresh.node.httpAddress);
      expect(m.value('dtx_peer_entries_rejected_total', { peer: relay.nodeId, reason: 'BAD_SIGNATURE' })).toBe(3);
      expect(m.all('dtx_peer_entries_rejected_total')).toHaveLength(1);
      expect(m.value('dtx_peer_entries_applied_total', { peer: relay.nodeId })).toBe(aLog.length - 3);
      expect(m.value('dtx_origin_head_seq', { origin: aId })).toBe(aLog.length - 3);
      expect(m.value('dtx_peer_state', { peer: relay.nodeId, name: 'relay', state: 'connected' })).toBe(1);
    } finally {
      await relay.close();
      await fresh.stop();
    }
  });

  it('shows a peer that went away as reconnecting, and drops a removed peer', async () => {
    const aId = a.node.nodeId;
    const other = await startTestNode({ name: 'lab-c', overrides: FAST_SYNC });
    await addPeer(other, b, { subscribe: false });
    await addPeer(b, other);
    await waitFor(async () => (await scrape(b.node.httpAddress)).value('dtx_peer_state', { peer: other.node.nodeId, state: 'connected' }) === 1, 'C connected at B');
    await other.stop();
    await waitFor(async () => (await scrape(b.node.httpAddress)).value('dtx_peer_state', { peer: other.node.nodeId, state: 'reconnecting' }) === 1, 'C reconnecting at B');
    const down = await scrape(b.node.httpAddress);
    expect(down.value('dtx_peer_state', { peer: other.node.nodeId, state: 'connected' })).toBe(0);
    expect(down.value('dtx_peer_state', { peer: aId, state: 'connected' })).toBe(1);

    await b.client.removePeer(other.node.nodeId);
    const removed = await scrape(b.node.httpAddress);
    expect(removed.all('dtx_peer_state', { peer: other.node.nodeId })).toEqual([]);
    expect(removed.all('dtx_peer_entries_applied_total', { peer: other.node.nodeId })).toEqual([]);
    expect(removed.value('dtx_peer_state', { peer: aId, state: 'connected' })).toBe(1);
  });

  it('counts gRPC calls by method and outcome, refusals included', async () => {
    const publish = { method: 'dtx.v1.IndicatorService/Publish', code: 'OK' };
    const before = (await scrape(a.node.httpAddress)).value('dtx_rpc_calls_total', publish) ?? 0;
    await a.client.publish(emailBatch('metrics-calls', 2));
    await expectDtxError(a.clientWith().status(), 'UNAUTHENTICATED');
    await expectDtxError(a.client.getIndicator('not-an-id'), 'INVALID_ARGUMENT');
    const m = await scrape(a.node.httpAddress);
    expect(m.value('dtx_rpc_calls_total', publish)).toBe(before + 1);
    expect(m.value('dtx_rpc_calls_total', { method: 'dtx.v1.PeerService/GetStatus', code: 'UNAUTHENTICATED' })).toBe(1);
    expect(m.value('dtx_rpc_calls_total', { method: 'dtx.v1.IndicatorService/GetIndicator', code: 'INVALID_ARGUMENT' })).toBe(1);
    expect(m.types.get('dtx_rpc_calls_total')).toBe('counter');
  });

  it('is listed with the other paths on a 404, and answers HEAD', async () => {
    const missing = await fetch(`http://${b.node.httpAddress}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { paths: string[] }).paths).toContain('/metrics');
    const head = await fetch(`http://${b.node.httpAddress}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
