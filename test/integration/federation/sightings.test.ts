/**
 * Sightings travel like indicators: reported at one lab, relayed, counted at every lab, and
 * counted even where the sighting arrives before the indicator it is about.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SightingType } from '../../../shared/gen/dtx/v1/indicator_pb.js';
import { emailInput } from '../../_util/samples.js';
import { addPeer, link, startNetwork, stopAll, trustAll, waitFor, waitForConvergence } from '../../_util/test-network.js';
import type { TestNode } from '../../_util/test-node.js';

describe('sightings across a federation', () => {
  let nodes: TestNode[] = [];
  afterEach(async () => {
    await stopAll(nodes);
    nodes = [];
  });

  it('a sighting reported at C about an indicator of A is counted at A, B and C; each lab counts once', async () => {
    nodes = await startNetwork(3);
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    await trustAll(nodes);
    await link(a, b);
    await link(b, c);
    const [published] = await a.client.publish([emailInput('sighted')]);
    const id = published!.id;
    await waitFor(async () => (await c.client.lookup([{ kind: 'account.email', value: emailInput('sighted').value! }])).length === 1, 'the indicator at C');

    // C names the indicator by id alone: it holds it from one origin only.
    await c.client.reportSightings([{ id, type: SightingType.SEEN, comment: 'same accounts here' }]);
    await b.client.reportSightings([{ id, origin: a.node.nodeId, type: SightingType.FALSE_POSITIVE }]);
    await waitForConvergence(nodes);
    for (const n of nodes) {
      expect(await n.client.getIndicator(id), n.node.context.config.name).toMatchObject({ origin: a.node.nodeId, seenBy: 1, falsePositiveBy: 1 });
    }

    // C changes its mind: its new report replaces the old one everywhere.
    await c.client.reportSightings([{ id, type: SightingType.FALSE_POSITIVE }]);
    await waitForConvergence(nodes);
    for (const n of nodes) expect(await n.client.getIndicator(id)).toMatchObject({ seenBy: 0, falsePositiveBy: 2 });
  });

  it('a sighting that arrives before its indicator is counted once the indicator arrives', async () => {
    nodes = await startNetwork(3);
    const [a, c, d] = nodes as [TestNode, TestNode, TestNode];
    // A and C are linked; D follows C only and does not trust A yet, so A's entries cannot be
    // applied at D while C's sighting about A's indicator can.
    await link(a, c);
    await addPeer(d, c);
    await addPeer(c, d, { subscribe: false });
    const [published] = await a.client.publish([emailInput('early')]);
    const id = published!.id;
    await waitFor(async () => (await c.client.lookup([{ kind: 'account.email', value: emailInput('early').value! }])).length === 1, 'the indicator at C');
    const [seq] = await c.client.reportSightings([{ id, type: SightingType.SEEN }]);
    await waitFor(() => (d.node.context.logStore.originByKey(c.node.context.key.publicKey)?.headSeq ?? 0) >= seq!, "C's sighting at D");
    expect(d.node.context.logStore.originByKey(a.node.context.key.publicKey)?.headSeq ?? 0).toBe(0);

    // D now adds A as a peer (A lets it subscribe): A's log, with the indicator, arrives.
    await addPeer(a, d, { subscribe: false });
    await addPeer(d, a);
    await waitFor(async () => {
      try {
        return (await d.client.getIndicator(id)).seenBy === 1;
      } catch {
        return false;
      }
    }, "A's indicator at D, with C's sighting counted");
  });
});
