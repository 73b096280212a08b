import { afterEach, describe, expect, it } from 'vitest';
import { emailInput, sampleInputs } from '../../_util/samples.js';
import { addPeer, headsOf, link, startNetwork, stopAll, trustAll, waitFor, waitForConvergence } from '../../_util/test-network.js';
import type { TestNode } from '../../_util/test-node.js';
import { RetractReason } from '../../../shared/gen/dtx/v1/indicator_pb.js';

describe('federation topologies', () => {
  let nodes: TestNode[] = [];
  afterEach(async () => {
    await stopAll(nodes);
    nodes = [];
  });

  it('a chain A - B - C delivers A entries to C and C entries to A, relayed by B', async () => {
    nodes = await startNetwork(3);
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    await trustAll(nodes);
    await link(a, b);
    await link(b, c);
    await a.client.publish(sampleInputs('chain-a'));
    await c.client.publish([emailInput('chain-c')]);
    await b.client.publish([emailInput('chain-b')]);
    await waitForConvergence(nodes);
    expect(headsOf(c).get(a.node.nodeId)).toMatch(new RegExp(`^1:${sampleInputs().length}:`));
    const [hit] = await c.client.lookup([{ kind: 'account.email', value: emailInput('chain-a').value! }]);
    expect(hit!.matches[0]!.origin).toBe(a.node.nodeId);
    // A new version supersedes the old one at every hop.
    const [first] = await a.client.publish([emailInput('versioned', { confidence: 40 })]);
    await a.client.publish([emailInput('versioned', { id: first!.id, confidence: 95 })]);
    await waitForConvergence(nodes);
    const [versioned] = await c.client.lookup([{ kind: 'account.email', value: emailInput('versioned').value! }]);
    expect(versioned!.matches.map((m) => [m.version, m.confidence])).toEqual([[2, 95]]);
    const [back] = await a.client.lookup([{ kind: 'account.email', value: emailInput('chain-c').value! }]);
    expect(back!.matches[0]!.origin).toBe(c.node.nodeId);
    // Relayed entries were committed without fsync; every connection is back on FULL for the
    // node's own publishes (2 = FULL).
    for (const n of nodes) expect(n.node.context.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('a 4-node ring converges with each entry applied once, and a retraction drops out everywhere', async () => {
    nodes = await startNetwork(4);
    await trustAll(nodes);
    for (let i = 0; i < 4; i++) await addPeer(nodes[i]!, nodes[(i + 1) % 4]!);
    const published = await Promise.all(nodes.map((n, i) => n.client.publish(sampleInputs(`ring-${i}`))));
    await waitForConvergence(nodes);
    for (const n of nodes) {
      const status = n.node.context.federation.peerStatus();
      expect(status.every((p) => Object.keys(p.rejected).length === 0)).toBe(true);
      const info = await n.client.nodeInfo();
      expect(info.indicators).toBe(BigInt(4 * sampleInputs().length));
    }
    await nodes[0]!.client.retract(published[0]![0]!.id, RetractReason.FALSE_POSITIVE);
    await waitForConvergence(nodes);
    for (const n of nodes) {
      expect(await n.client.lookup([{ kind: 'account.email', value: emailInput('ring-0').value! }])).toEqual([]);
      expect(await n.client.lookup([{ kind: 'account.email', value: emailInput('ring-1').value! }])).toHaveLength(1);
    }
  });

  it('a full mesh of 4 delivers every entry once: the rest arrive as counted duplicates, never applied twice', async () => {
    nodes = await startNetwork(4);
    for (const a of nodes) for (const b of nodes) if (a !== b) await addPeer(a, b);
    await Promise.all(nodes.map((n, i) => n.client.publish(sampleInputs(`mesh-${i}`))));
    await waitForConvergence(nodes);
    for (const n of nodes) {
      expect((await n.client.nodeInfo()).indicators).toBe(BigInt(4 * sampleInputs().length));
      const peers = n.node.context.federation.peerStatus();
      // Each foreign entry is applied exactly once, from whichever peer delivered it first.
      expect(peers.reduce((sum, p) => sum + p.applied, 0)).toBe(3 * sampleInputs().length);
      expect(peers.every((p) => Object.keys(p.rejected).length === 0)).toBe(true);
    }
  });

  it('a member trusted later gets its entries through a relay whose stream refused them before', async () => {
    nodes = await startNetwork(3);
    const [a, c, d] = nodes as [TestNode, TestNode, TestNode];
    await link(a, c);
    // D follows C only, and does not trust A yet: A's entries relayed by C are refused.
    await addPeer(c, d, { subscribe: false });
    await addPeer(d, c);
    await a.client.publish(sampleInputs('later'));
    await waitFor(() => d.node.context.federation.peerStatus().some((p) => (p.rejected.UNKNOWN_ORIGIN ?? 0) > 0), 'D refusing A as unknown');
    expect(headsOf(d).get(a.node.nodeId)).toBeUndefined();

    // Trusting A, without subscribing to it: the relay's new stream brings A's log.
    await addPeer(d, a, { subscribe: false });
    await waitFor(() => headsOf(d).get(a.node.nodeId) === headsOf(a).get(a.node.nodeId), "A's head at D");
    await a.client.publish([emailInput('later-live')]);
    await waitFor(() => headsOf(d).get(a.node.nodeId) === headsOf(a).get(a.node.nodeId), "A's next entry at D");
  });
});
