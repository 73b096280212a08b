/**
 * Equivocation: two running nodes share one node key (A and its twin A'), so one origin signs two
 * different logs, each with a seq 1. A downstream node D that holds A's branch and then receives
 * the twin's must detect the fork, keep both signed headers as evidence, halt the origin (nothing
 * more of it is applied), report it over GetStatus, and still know all of it after a restart.
 */
import { chmodSync, copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../shared/crypto.js';
import { entryHash, type SignedEntry } from '../../../shared/log/entry.js';
import { decodeHeader } from '../../../shared/log/entry-header.js';
import { publicKeyFromNodeId } from '../../../shared/node-id.js';
import { liftHaltOffline } from '../../../server/cli/offline-roster.js';
import { FILES } from '../../../server/config/data-dir.js';
import type { NodeConfig } from '../../../server/config/config.js';
import { expectDtxError } from '../../_util/errors.js';
import { MaliciousRelay } from '../../_util/malicious-relay.js';
import { scrape } from '../../_util/prom-text.js';
import { emailBatch } from '../../_util/samples.js';
import { headsOf, readAll, stopAll, waitFor } from '../../_util/test-network.js';
import { initTempDataDir, removeDir, startNodeOn, startTestNode, type RunningTestNode, type TestNode } from '../../_util/test-node.js';

/** Heartbeats well inside the idle timeout (3x) even on a loaded machine: no stream should drop by itself here. */
const SYNC: Partial<NodeConfig> = { syncHeartbeatMs: 500 };
const A_COUNT = 3;
const TWIN_COUNT = 4;

let a: TestNode;
let twin: RunningTestNode;
let twinDir: string;
let aLog: SignedEntry[];
let twinLog: SignedEntry[];

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const hashOf = (e: { header: Uint8Array; signature: Uint8Array }) => hex(entryHash(e.header, e.signature));
const headOf = (log: SignedEntry[], seq: number) => `1:${seq}:${hashOf(log[seq - 1]!)}`;

/** A restartable node on a directory this file owns. */
async function startDownstream(name: string): Promise<{ node: RunningTestNode; dir: string }> {
  const { dir } = await initTempDataDir({ name });
  return { node: await startNodeOn(dir, SYNC), dir };
}

beforeAll(async () => {
  a = await startTestNode({ name: 'origin-a', overrides: SYNC });
  // The twin: a freshly initialized directory whose key (and so node id) is replaced by A's
  // before it ever starts; A's admin token is valid there too, since it names the same node.
  ({ dir: twinDir } = await initTempDataDir({ name: 'twin' }));
  for (const file of [FILES.key, FILES.adminToken] as const) {
    rmSync(join(twinDir, file));
    copyFileSync(join(a.dir, file), join(twinDir, file));
    chmodSync(join(twinDir, file), 0o600);
  }
  twin = await startNodeOn(twinDir, SYNC);
  expect(twin.node.nodeId).toBe(a.node.nodeId);
  await a.client.publish(emailBatch('branch-a', A_COUNT));
  await twin.client.publish(emailBatch('branch-twin', TWIN_COUNT));
  [aLog, twinLog] = await Promise.all([readAll(a.client), readAll(twin.client)]);
  // Both branches start at seq 1 and differ there: that is the equivocation.
  expect(decodeHeader(aLog[0]!.header).seq).toBe(1);
  expect(decodeHeader(twinLog[0]!.header).seq).toBe(1);
  expect(hashOf(aLog[0]!)).not.toBe(hashOf(twinLog[0]!));
});

afterAll(async () => {
  await twin?.stop();
  if (twinDir) removeDir(twinDir);
  await a?.stop();
});

/** Checks one piece of fork evidence as a third party would: only the origin id and the bytes. */
function expectValidEvidence(originId: string, evidence: { headerA: Uint8Array; signatureA: Uint8Array; headerB: Uint8Array; signatureB: Uint8Array }, seq: number) {
  const key = publicKeyFromNodeId(originId);
  const first = decodeHeader(evidence.headerA);
  const second = decodeHeader(evidence.headerB);
  expect(verifySignature(key, evidence.headerA, evidence.signatureA)).toBe(true);
  expect(verifySignature(key, evidence.headerB, evidence.signatureB)).toBe(true);
  expect(hex(first.origin)).toBe(hex(key));
  expect(hex(second.origin)).toBe(hex(key));
  expect([first.epoch, first.seq]).toEqual([1, seq]);
  expect([second.epoch, second.seq]).toEqual([1, seq]);
  expect(hex(entryHash(evidence.headerA, evidence.signatureA))).not.toBe(hex(entryHash(evidence.headerB, evidence.signatureB)));
}

describe('a fork of origin A', () => {
  const started: { node: RunningTestNode; dir: string }[] = [];
  const others: TestNode[] = [];
  let relay: MaliciousRelay | undefined;

  afterEach(async () => {
    await relay?.close();
    relay = undefined;
    await stopAll(others.splice(0));
    for (const { node, dir } of started.splice(0)) {
      // A and the twin drop D first, which ends any stream D still holds to them: D's stop() can
      // otherwise wait on a link to a halted peer (see the end of the first test).
      for (const origin of [a.client, twin.client]) await origin.removePeer(node.node.nodeId).catch(() => undefined);
      await node.stop();
      removeDir(dir);
    }
  });

  it("relayed by a member R: D halts A with both signed headers, rejects A's entries afterwards, reports it over GetStatus, and keeps it across a restart", async () => {
    const down = await startDownstream('downstream');
    started.push(down);
    let d = down.node;
    const r = await startTestNode({ name: 'relay-r', overrides: SYNC });
    others.push(r);
    const aId = a.node.nodeId;

    // 1. D subscribes to R while neither holds anything of A, so the stream carries no cursor for A.
    await r.client.addPeer({ id: d.node.nodeId, url: d.node.grpcAddress, noSubscribe: true });
    await d.client.addPeer({ id: r.node.nodeId, url: r.node.grpcAddress, name: 'relay-r' });
    const linkToR = () => d.node.context.federation.peerStatus().find((p) => p.id === r.node.nodeId);
    await waitFor(() => linkToR()?.state === 'connected', 'D connected to R');
    const connectedSince = linkToR()!.connectedSinceMs;

    // 2. D takes A's branch from A itself.
    await a.client.addPeer({ id: d.node.nodeId, url: d.node.grpcAddress, noSubscribe: true });
    await d.client.addPeer({ id: aId, url: a.node.grpcAddress, name: 'origin-a' });
    await waitFor(() => headsOf(d).get(aId) === headOf(aLog, A_COUNT), "A's branch at D");

    // 3. R takes the twin's branch (R trusts A's node id and dials the twin), and relays it to D.
    await twin.client.addPeer({ id: r.node.nodeId, url: r.node.grpcAddress, noSubscribe: true });
    await r.client.addPeer({ id: aId, url: twin.node.grpcAddress, name: 'twin' });
    await waitFor(() => d.node.context.federation.halts().length > 0, 'the fork at D');
    // The stream opened in step 1 carried it (no reconnect sent D's cursor for A in between).
    expect(linkToR()!.connectedSinceMs).toBe(connectedSince);

    // The halt row: both headers and signatures for seq 1, A's as held, the twin's as received via R.
    const [halt, ...more] = d.node.context.federation.halts();
    expect(more).toEqual([]);
    expect(halt).toMatchObject({ originId: aId, reason: 'FORK', epoch: 1, seq: 1, via: r.node.nodeId });
    expect(hex(halt!.headerA!)).toBe(hex(aLog[0]!.header));
    expect(hex(halt!.signatureA!)).toBe(hex(aLog[0]!.signature));
    expect(hex(halt!.headerB!)).toBe(hex(twinLog[0]!.header));
    expect(hex(halt!.signatureB!)).toBe(hex(twinLog[0]!.signature));
    expect(d.node.context.federation.isOriginHalted(aId)).toBe(true);
    // Nothing of the twin's branch was applied; the rest of it on that stream is rejected too.
    expect(headsOf(d).get(aId)).toBe(headOf(aLog, A_COUNT));
    expect((await readAll(d.client, aId)).map(hashOf)).toEqual(aLog.map(hashOf));
    expect(d.node.context.federation.quarantine.reasons(r.node.nodeId)).toEqual([{ reason: 'FORK', count: TWIN_COUNT }]);

    // Over gRPC: A in `halted` with evidence a third party can check, and A's peer state 'halted'.
    const status = await d.client.status();
    expect(status.halted).toHaveLength(1);
    const halted = status.halted[0]!;
    expect({ origin: halted.origin, reason: halted.reason, epoch: halted.epoch, seq: halted.seq, via: halted.via }).toEqual({
      origin: aId,
      reason: 'FORK',
      epoch: 1,
      seq: 1n,
      via: r.node.nodeId,
    });
    expectValidEvidence(aId, halted, 1);
    expect(status.peers.find((p) => p.id === aId)?.state).toBe('halted');
    expect(status.peers.find((p) => p.id === r.node.nodeId)?.state).toBe('connected');
    // And on GET /metrics, where monitoring alerts on it.
    const metrics = await scrape(d.node.httpAddress);
    expect(metrics.value('dtx_origin_halted', { origin: aId })).toBe(1);
    expect(metrics.value('dtx_origins_halted')).toBe(1);
    expect(metrics.value('dtx_peer_state', { peer: aId, state: 'halted' })).toBe(1);
    expect(metrics.value('dtx_peer_entries_rejected_total', { peer: r.node.nodeId, reason: 'FORK' })).toBe(TWIN_COUNT);

    // Further entries of A are refused as ORIGIN_HALTED: a new stream from R (D drops and re-adds
    // R) offers the twin's seq 3 again (D's cursor hash there differs from R's entry, so R sends
    // its own entry at the cursor as well) and seq 4 after it.
    await d.client.removePeer(r.node.nodeId);
    await d.client.addPeer({ id: r.node.nodeId, url: r.node.grpcAddress, name: 'relay-r' });
    await waitFor(() => d.node.context.federation.quarantine.reasons(r.node.nodeId).some((q) => q.reason === 'ORIGIN_HALTED'), 'ORIGIN_HALTED at D');
    expect(linkToR()!.rejected).toEqual({ ORIGIN_HALTED: TWIN_COUNT - A_COUNT + 1 });
    expect(d.node.context.federation.quarantine.recent(1)[0]).toMatchObject({ origin: aId, seq: A_COUNT + 1, reason: 'ORIGIN_HALTED' });
    expect(headsOf(d).get(aId)).toBe(headOf(aLog, A_COUNT));

    // A restart of D keeps the halt, its evidence and the refusal.
    await d.stop();
    d = await startNodeOn(down.dir, SYNC);
    down.node = d;
    expect(d.node.context.federation.isOriginHalted(aId)).toBe(true);
    const again = await d.client.status();
    expect(again.halted).toHaveLength(1);
    expect(again.halted[0]).toMatchObject({ origin: aId, reason: 'FORK', epoch: 1, seq: 1n, via: r.node.nodeId });
    expect(hex(again.halted[0]!.headerA)).toBe(hex(halted.headerA));
    expect(hex(again.halted[0]!.signatureA)).toBe(hex(halted.signatureA));
    expect(hex(again.halted[0]!.headerB)).toBe(hex(halted.headerB));
    expect(hex(again.halted[0]!.signatureB)).toBe(hex(halted.signatureB));
    expectValidEvidence(aId, again.halted[0]!, 1);
    expect(again.peers.find((p) => p.id === aId)?.state).toBe('halted');
    expect(headsOf(d).get(aId)).toBe(headOf(aLog, A_COUNT));

    // A halted peer is not dialled, so stopping D must not wait on it (A is still up here).
    const stopped = await Promise.race([d.stop().then(() => 'stopped' as const), sleep(15_000).then(() => 'still stopping after 15 s' as const)]);
    expect(stopped, "D's stop() waits on its link to the halted peer A").toBe('stopped');
  });

  it("D re-pointed at the twin (addPeer with the twin's url) detects the fork", async () => {
    const down = await startDownstream('downstream-direct');
    started.push(down);
    const d = down.node;
    const aId = a.node.nodeId;
    await a.client.addPeer({ id: d.node.nodeId, url: d.node.grpcAddress, noSubscribe: true });
    await twin.client.addPeer({ id: d.node.nodeId, url: d.node.grpcAddress, noSubscribe: true });
    await d.client.addPeer({ id: aId, url: a.node.grpcAddress, name: 'origin-a' });
    await waitFor(() => headsOf(d).get(aId) === headOf(aLog, A_COUNT), "A's branch at D");

    // Same node id, another address: D's link to A is replaced by one to the twin. D's cursor for
    // A (seq 3, with its hash) differs from the twin's own seq 3; what the twin then sends is
    // signed by A and conflicts with what D holds, which must end as a FORK halt with evidence,
    // not as a CHAIN_BROKEN that is retried for ever.
    await d.client.addPeer({ id: aId, url: twin.node.grpcAddress, name: 'twin' });
    const federation = d.node.context.federation;
    await waitFor(() => federation.halts().length > 0 || federation.quarantine.count() > 0, 'D to react to the twin');
    expect({ halts: federation.halts().map((h) => h.reason), quarantined: federation.quarantine.reasons(aId) }).toEqual({
      halts: ['FORK'],
      quarantined: [expect.objectContaining({ reason: 'FORK' })],
    });
    const [halted] = (await d.client.status()).halted;
    expect(Number(halted!.seq)).toBeGreaterThanOrEqual(1);
    expect(Number(halted!.seq)).toBeLessThanOrEqual(A_COUNT);
    expectValidEvidence(aId, halted!, Number(halted!.seq));
    expect(headsOf(d).get(aId)).toBe(headOf(aLog, A_COUNT));
  });

  it("a relay in front of the twin, serving the twin's branch from seq 1, makes D detect the fork", async () => {
    const down = await startDownstream('downstream-relay');
    started.push(down);
    const d = down.node;
    const aId = a.node.nodeId;
    await a.client.addPeer({ id: d.node.nodeId, url: d.node.grpcAddress, noSubscribe: true });
    await d.client.addPeer({ id: aId, url: a.node.grpcAddress, name: 'origin-a' });
    await waitFor(() => headsOf(d).get(aId) === headOf(aLog, A_COUNT), "A's branch at D");

    // The relay ignores D's cursor and sends the twin's whole branch: its seq 1 conflicts with D's.
    // Below the cursor or not, two entries signed by A for one position are proof of a fork.
    relay = await MaliciousRelay.start({ script: (_call, index) => ({ messages: index === 0 ? [twinLog] : [] }) });
    await d.client.addPeer({ id: relay.nodeId, url: relay.address, name: 'relay' });
    const federation = d.node.context.federation;
    await waitFor(() => federation.quarantine.count(relay!.nodeId) > 0, 'D to react to the relay');
    expect(relay.calls[0]?.cursors).toEqual([{ origin: aId, epoch: 1, seq: A_COUNT }]);
    expect({ halts: federation.halts().map((h) => [h.reason, h.seq, h.via]), quarantined: federation.quarantine.reasons(relay.nodeId) }).toEqual({
      halts: [['FORK', 1, relay.nodeId]],
      quarantined: [{ reason: 'FORK', count: TWIN_COUNT }],
    });
    const [halted] = (await d.client.status()).halted;
    expectValidEvidence(aId, halted!, 1);
    expect(headsOf(d).get(aId)).toBe(headOf(aLog, A_COUNT));
  });
  it("lifting the halt: D accepts A's entries again, also from streams that refused them, and the other branch halts A again", async () => {
    const down = await startDownstream('downstream-lift');
    started.push(down);
    const d = down.node;
    const r = await startTestNode({ name: 'relay-r', overrides: SYNC });
    others.push(r);
    const aId = a.node.nodeId;
    const federation = d.node.context.federation;
    // R takes A's branch from A; D takes it from R, and trusts A without dialling it.
    await a.client.addPeer({ id: r.node.nodeId, url: r.node.grpcAddress, noSubscribe: true });
    await r.client.addPeer({ id: aId, url: a.node.grpcAddress, name: 'origin-a' });
    await r.client.addPeer({ id: d.node.nodeId, url: d.node.grpcAddress, noSubscribe: true });
    await d.client.addPeer({ id: aId, url: a.node.grpcAddress, name: 'origin-a', noSubscribe: true });
    await d.client.addPeer({ id: r.node.nodeId, url: r.node.grpcAddress, name: 'relay-r' });
    await waitFor(() => headsOf(d).get(aId) === headOf(aLog, A_COUNT), "A's branch at D, through R");

    // D dials the twin under A's id once: the fork halts A. Then D only trusts A again.
    await twin.client.addPeer({ id: d.node.nodeId, url: d.node.grpcAddress, noSubscribe: true });
    await d.client.addPeer({ id: aId, url: twin.node.grpcAddress, name: 'twin' });
    await waitFor(() => federation.halts().length > 0, 'the fork at D');
    await d.client.addPeer({ id: aId, url: twin.node.grpcAddress, name: 'twin', noSubscribe: true });

    // A's next entry reaches D through R and is refused: R's stream now refuses A.
    const [next] = await a.client.publish(emailBatch('after-fork', 1));
    expect(next!.seq).toBe(BigInt(A_COUNT + 1));
    const aHead = headsOf(a).get(aId);
    await waitFor(() => federation.quarantine.reasons(r.node.nodeId).some((q) => q.reason === 'ORIGIN_HALTED'), 'ORIGIN_HALTED at D');
    expect(headsOf(d).get(aId)).toBe(headOf(aLog, A_COUNT));

    // Only a halted origin's halt can be lifted, named by a valid node id, by an admin.
    await expectDtxError(d.client.liftHalt('dtxnotanid'), 'INVALID_ARGUMENT', { field: 'origin' });
    await expectDtxError(d.client.liftHalt(r.node.nodeId), 'NOT_FOUND', { field: 'origin' });
    await expectDtxError(d.clientWith().liftHalt(aId), 'UNAUTHENTICATED');
    expect(federation.isOriginHalted(aId)).toBe(true);

    // Lifted: the answer is the halt with its evidence; the conflicting entry stays in quarantine.
    const lifted = await d.client.liftHalt(aId);
    expect({ origin: lifted.origin, reason: lifted.reason }).toEqual({ origin: aId, reason: 'FORK' });
    expectValidEvidence(aId, lifted, Number(lifted.seq));
    expect((await d.client.status()).halted).toEqual([]);
    expect(federation.isOriginHalted(aId)).toBe(false);
    const metrics = await scrape(d.node.httpAddress);
    expect(metrics.all('dtx_origin_halted')).toEqual([]);
    expect(metrics.value('dtx_origins_halted')).toBe(0);
    await expectDtxError(d.client.liftHalt(aId), 'NOT_FOUND', { field: 'origin' });
    expect(federation.quarantine.reasons(aId)).toEqual([expect.objectContaining({ reason: 'FORK' })]);

    // R's refusing stream is replaced: the new one brings A's entry, which extends D's branch.
    await waitFor(() => headsOf(d).get(aId) === aHead, "A's new entry at D, through R");

    // The twin's branch differs at that position (its seq 4): dialled again, it halts A again.
    await d.client.addPeer({ id: aId, url: twin.node.grpcAddress, name: 'twin' });
    await waitFor(() => federation.halts().length > 0, 'the fork at D again');
    expect(federation.halts()[0]).toMatchObject({ originId: aId, reason: 'FORK', seq: A_COUNT + 1 });
    expect(headsOf(d).get(aId)).toBe(aHead);

    // On a stopped node the halt is lifted in its database (dtx peer lift-halt --data DIR).
    await d.stop();
    expect(await liftHaltOffline(down.dir, aId)).toMatchObject({ originId: aId, reason: 'FORK', seq: A_COUNT + 1 });
    await expectDtxError(liftHaltOffline(down.dir, aId), 'NOT_FOUND', { field: 'origin' });
    down.node = await startNodeOn(down.dir, SYNC);
    expect(down.node.node.context.federation.isOriginHalted(aId)).toBe(false);
  });
});
