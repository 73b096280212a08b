/**
 * A node restored from an older copy of its database (a backup taken before it published more)
 * must not sign new entries at positions its peers already hold: that would fork its log, and
 * every peer would halt it. It takes those entries back from its peers first, then signs on.
 * Real nodes on loopback, real copies of the data directory.
 */
import { cpSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { resumableSubscription } from '../../../client/index.js';
import { issuePeerToken } from '../../../shared/auth/peer-tokens.js';
import { decodeHeader } from '../../../shared/log/entry-header.js';
import { nodeIdFromPublicKey } from '../../../shared/node-id.js';
import { SUBSCRIBE_METHOD } from '../../../server/sync/federation.js';
import { auditDatabase } from '../../../server/log/audit-database.js';
import { newCounters, newStreamState } from '../../../server/sync/stream-state.js';
import { create } from '@bufbuild/protobuf';
import { IndicatorInputSchema } from '../../../shared/gen/dtx/v1/indicator_pb.js';
import { entryHash } from '../../../shared/log/entry.js';
import { FaultProxy } from '../../_util/fault-proxy.js';
import { emailBatch } from '../../_util/samples.js';
import { FAST_SYNC, headsOf, waitFor } from '../../_util/test-network.js';
import { initTempDataDir, makeTempDir, removeDir, startNodeOn, startTestNode, type RunningTestNode, type TestNode } from '../../_util/test-node.js';

describe("a node restored from an older copy of its database", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startOn(dir: string): Promise<RunningTestNode> {
    const node = await startNodeOn(dir, FAST_SYNC);
    cleanups.push(() => node.stop());
    return node;
  }

  function seqOf(node: { node: { nodeId: string } }, at: TestNode | RunningTestNode): number {
    return Number(headsOf(at as TestNode).get(node.node.nodeId)?.split(':')[1] ?? 0);
  }

  it('takes back what its peers hold of its own log, then publishes on from it: no fork, chain intact', { timeout: 60_000 }, async () => {
    const { dir } = await initTempDataDir({ name: 'lab-a', label: 'restored' });
    const backup = makeTempDir('backup');
    cleanups.push(() => removeDir(dir), () => removeDir(backup));
    const b = await startTestNode({ name: 'lab-b', overrides: FAST_SYNC });
    cleanups.push(() => b.stop());

    // A reaches B through a real TCP proxy, so that A's link to B can be made slow below.
    const proxy = await FaultProxy.start({ target: b.node.grpcAddress });
    cleanups.push(() => proxy.close());

    // A and B subscribe to each other; A publishes 5 and B holds them.
    let a = await startOn(dir);
    const aId = a.node.nodeId;
    await a.client.addPeer({ id: b.node.nodeId, url: proxy.address, name: 'lab-b' });
    await b.client.addPeer({ id: aId, url: a.node.grpcAddress, name: 'lab-a' });
    await a.client.publish(emailBatch('restore/before-backup', 5));
    await waitFor(() => seqOf(a, b) === 5, 'B holding seq 5 of A');

    // The backup: A's data directory while A is stopped.
    await a.stop();
    cpSync(dir, backup, { recursive: true });

    // A publishes 5 more after the backup; B holds them too.
    a = await startOn(dir);
    await b.client.addPeer({ id: aId, url: a.node.grpcAddress, name: 'lab-a' });
    const afterBackup = emailBatch('restore/after-backup', 5);
    await a.client.publish(afterBackup);
    await waitFor(() => seqOf(a, b) === 10, 'B holding seq 10 of A');
    const headAtB = headsOf(b).get(aId);

    // A's disk is lost; the backup is restored; A starts again and publishes at once, while its
    // link to B is still on its way (150 ms each way through the proxy).
    await a.stop();
    rmSync(dir, { recursive: true, force: true });
    cpSync(backup, dir, { recursive: true });
    proxy.setDelay(150);
    a = await startOn(dir);
    expect(seqOf(a, a), 'the restored copy ends at seq 5').toBe(5);
    const [published] = await a.client.publish(emailBatch('restore/after-restore', 1));
    await b.client.addPeer({ id: aId, url: a.node.grpcAddress, name: 'lab-a' });

    // The new entry follows the 10 that B held: A took them back before it signed.
    expect(published!.seq).toBe(11n);
    expect(headsOf(a).get(aId)?.startsWith('1:11:')).toBe(true);
    await waitFor(() => seqOf(a, b) === 11, 'B holding seq 11 of A');
    expect(headsOf(b).get(aId)).toBe(headsOf(a).get(aId));
    expect(b.node.context.federation.halts()).toEqual([]);
    expect(b.node.context.federation.quarantine.count()).toBe(0);
    expect(a.node.context.federation.quarantine.count()).toBe(0);
    // A's entry 10 is the one B held: the same hash.
    const [tenth] = a.node.context.logStore.readAfter(a.node.context.sequencer.originIdx, 1, 9, 1);
    expect(`1:10:${Buffer.from(entryHash(tenth!.header, tenth!.signature)).toString('hex')}`).toBe(headAtB);

    // Taken back into A's view as well: lookups at A find the indicators published after the backup.
    const found = await a.client.lookup(afterBackup.map((i) => ({ kind: i.kind!, value: i.value! })));
    expect(found.map((r) => r.matches.length)).toEqual([1, 1, 1, 1, 1]);

    await a.stop();
    const audit = await auditDatabase(dir);
    const own = audit.find((o) => o.origin === aId)!;
    expect({ entries: own.entries, problems: own.problems }).toEqual({ entries: 11, problems: [] });
  });

  it("a server sends a subscriber's own log first, before origins it holds from earlier", { timeout: 30_000 }, async () => {
    const server = await startTestNode({ name: 'server', overrides: FAST_SYNC });
    const subscriber = await startTestNode({ name: 'subscriber', overrides: FAST_SYNC });
    cleanups.push(() => server.stop(), () => subscriber.stop());
    // The server's own 3,000 entries come first in its database; the subscriber's 5 after them.
    await server.client.publish(emailBatch('own-first/server', 3000));
    await subscriber.client.publish(emailBatch('own-first/subscriber', 5));
    await subscriber.client.addPeer({ id: server.node.nodeId, url: server.node.grpcAddress, name: 'server', noSubscribe: true });
    await server.client.addPeer({ id: subscriber.node.nodeId, url: subscriber.node.grpcAddress, name: 'subscriber' });
    await waitFor(() => seqOf(subscriber, server) === 5, "the server holding the subscriber's 5 entries");

    const stop = new AbortController();
    const { key, nodeId } = subscriber.node.context;
    const firstOrigins: string[] = [];
    for await (const event of resumableSubscription({
      address: server.node.grpcAddress,
      cursors: () => [],
      token: () => issuePeerToken(key.privateKeyObject, nodeId, server.node.nodeId, SUBSCRIBE_METHOD),
      maxBatch: 1000,
      idleTimeoutMs: 15_000,
      signal: stop.signal,
    })) {
      if (event.kind === 'failed') throw event.error;
      if (event.kind !== 'message' || event.response.entries.length === 0) continue;
      firstOrigins.push(...event.response.entries.map((e) => nodeIdFromPublicKey(decodeHeader(e.header).origin)));
      stop.abort();
    }
    expect(firstOrigins.slice(0, 6)).toEqual([...Array<string>(5).fill(nodeId), server.node.nodeId]);
  });

  it('entries taken back while a batch is being signed: the batch is signed again after them', { timeout: 30_000 }, async () => {
    const { dir } = await initTempDataDir({ name: 'lab-a', label: 'twin-source' });
    const copy = makeTempDir('twin');
    cleanups.push(() => removeDir(dir), () => removeDir(copy));
    cpSync(dir, copy, { recursive: true });

    // The copy (same key) signs 3 entries: what a peer would hold of A's log after a restore.
    const earlier = await startOn(copy);
    await earlier.client.publish(emailBatch('inflight/earlier', 3));
    const ctx = earlier.node.context;
    const held = ctx.logStore.readAfter(ctx.sequencer.originIdx, 0, 0, 10).map((r) => ({ header: r.header, signature: r.signature, payload: r.payload }));
    await earlier.stop();
    expect(held).toHaveLength(3);

    const a = await startOn(dir);
    const { publisher, federation, sequencer, logStore } = a.node.context;
    // 100 entries are signed on the signer thread: the batch is in flight, chained on seq 0.
    const batch = publisher.publish(emailBatch('inflight/batch', 100).map((i) => create(IndicatorInputSchema, i)));
    await federation.applier.apply('peer-under-test', held, newStreamState([]), newCounters());
    expect(sequencer.head?.seq, 'the 3 entries were taken back').toBe(3);

    const results = await batch;
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 4 + i));
    const rows = logStore.readAfter(sequencer.originIdx, 0, 0, 200);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 103 }, (_, i) => 1 + i));
    expect(rows.slice(0, 3).map((r) => Buffer.from(r.header).toString('hex'))).toEqual(held.map((e) => Buffer.from(e.header).toString('hex')));

    await a.stop();
    const own = (await auditDatabase(dir)).find((o) => o.origin === a.node.nodeId)!;
    expect({ entries: own.entries, problems: own.problems }).toEqual({ entries: 103, problems: [] });
  });
});
