/**
 * The federation commands as a user runs them: two labs initialised and started with the dtx
 * command, linked with `dtx peer add` (one while stopped, one while running), a publish at one
 * found at the other, `dtx status --json` in its documented shape, and `dtx demo`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dtx, dtxJson, expectDtxError, expectOk, initNode, startNode, stopNodeCleanly, tempDirs, type InitOutput, type RunningNode, type TempDirs } from './_cli.js';

interface StatusJson {
  nodeId: string;
  heads: Record<string, { epoch: number; seq: number; hash: string }>;
  peers: { id: string; name: string; url: string; state: string; lastError: string; lag: Record<string, { entries: number; seconds: number }> }[];
  halted: unknown[];
  quarantined: number;
}

describe('dtx peer, status and demo', () => {
  let dirs: TempDirs;
  let a: InitOutput;
  let b: InitOutput;
  let nodeA: RunningNode | undefined;
  let nodeB: RunningNode | undefined;

  beforeAll(async () => {
    dirs = tempDirs();
    a = await initNode(dirs.path('lab-a'), ['--name', 'Lab A']);
    b = await initNode(dirs.path('lab-b'), ['--name', 'Lab B']);
  });

  afterAll(async () => {
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
    dirs.cleanup();
  });

  it('peer add on a stopped node is stored and listed; bad ids and urls are refused with the field named', async () => {
    const added = await dtxJson<{ id: string; subscribe: boolean; created: boolean }>(['peer', 'add', '--data', a.data, '--id', b.nodeId, '--url', '127.0.0.1:9', '--name', 'Lab B', '--json']);
    expect(added).toMatchObject({ id: b.nodeId, subscribe: true, created: true });
    const listed = await dtxJson<{ id: string; name: string }[]>(['peer', 'list', '--data', a.data, '--json']);
    expect(listed).toEqual([expect.objectContaining({ id: b.nodeId, name: 'Lab B' })]);
    expectDtxError(await dtx(['peer', 'add', '--data', a.data, '--id', 'dtxnotanid', '--url', '127.0.0.1:1']), 'INVALID_ARGUMENT', 'id');
    expectDtxError(await dtx(['peer', 'add', '--data', a.data, '--id', b.nodeId, '--url', 'no-port']), 'INVALID_ARGUMENT', 'url');
    expectDtxError(await dtx(['peer', 'add', '--data', a.data, '--id', a.nodeId, '--url', '127.0.0.1:1']), 'INVALID_ARGUMENT', 'id');
  });

  it('linked labs exchange what they publish, and status shows heads and connected peers', async () => {
    nodeB = await startNode(b.data);
    // A's stored url for B was a placeholder: fix it while A is still stopped, then start A.
    expectOk(await dtx(['peer', 'add', '--data', a.data, '--id', b.nodeId, '--url', nodeB.info.grpc, '--name', 'Lab B']));
    nodeA = await startNode(a.data);
    // B learns about A while running: it takes effect at once.
    expectOk(await dtx(['peer', 'add', '--data', b.data, '--id', a.nodeId, '--url', nodeA.info.grpc, '--name', 'Lab A']));
    expectOk(await dtx(['publish', '--data', a.data, '--kind', 'network.cidr', '--value', '203.0.113.0/24', '--tlp', 'GREEN']));
    let status: StatusJson | undefined;
    for (let i = 0; i < 200; i++) {
      status = await dtxJson<StatusJson>(['status', '--data', b.data, '--json']);
      if (status.heads[a.nodeId]?.seq === 1 && status.peers[0]?.state === 'connected') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status!.nodeId).toBe(b.nodeId);
    expect(status!.heads[a.nodeId]).toMatchObject({ epoch: 1, seq: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(status!.peers).toEqual([expect.objectContaining({ id: a.nodeId, url: nodeA.info.grpc, state: 'connected', lastError: '' })]);
    expect(status!.halted).toEqual([]);
    const query = await dtxJson<unknown[]>(['query', '--data', b.data, '--kind', 'network.cidr', '--value', '203.0.113.0/24', '--json']);
    expect(query).toHaveLength(1);
    const table = await dtx(['status', '--data', b.data]);
    expectOk(table);
    expect(table.stdout).toContain('Lab A');
    expect(table.stdout).toContain('connected');
  });

  it('peer remove on a running node takes effect at once, and removing twice is NOT_FOUND', async () => {
    expectOk(await dtx(['peer', 'remove', '--data', b.data, a.nodeId]));
    expect(await dtxJson<unknown[]>(['peer', 'list', '--data', b.data, '--json'])).toEqual([]);
    expectDtxError(await dtx(['peer', 'remove', '--data', b.data, a.nodeId]), 'NOT_FOUND');
    await stopNodeCleanly(nodeA);
    await stopNodeCleanly(nodeB);
    nodeA = nodeB = undefined;
  });

  it('status of a stopped node shows what its database holds, every peer "stopped"', async () => {
    const r = await dtx(['status', '--data', a.data, '--json']);
    expectOk(r);
    expect(r.stderr).toContain('not running');
    const status = JSON.parse(r.stdout) as StatusJson;
    expect(status.nodeId).toBe(a.nodeId);
    expect(status.heads[a.nodeId]).toMatchObject({ epoch: 1, seq: 1 });
    expect(status.peers).toEqual([expect.objectContaining({ id: b.nodeId, name: 'Lab B', state: 'stopped' })]);
    expect(status.halted).toEqual([]);
  });

  it('peer lift-halt names what is wrong: an origin that is not halted, a malformed id', async () => {
    expectDtxError(await dtx(['peer', 'lift-halt', '--data', a.data, b.nodeId]), 'NOT_FOUND', 'origin');
    expectDtxError(await dtx(['peer', 'lift-halt', '--data', a.data, 'dtxnotanid']), 'INVALID_ARGUMENT', 'origin');
    const help = await dtx(['peer', 'lift-halt', '--help']);
    expectOk(help);
    expect(help.stdout).toContain('halted after a fork');
  });

  it('dtx demo shows a campaign crossing two hops and a tampering relay caught, and cleans up', async () => {
    const r = await dtx(['demo']);
    expectOk(r);
    expect(r.stdout).toMatch(/Lab C after [\d.]+ ms \(2 hops/);
    expect(r.stdout).toMatch(/Lab A counts 1 corroborating lab after [\d.]+ ms/);
    expect(r.stdout).toMatch(/Lab C caught it: MALFORMED_ENTRY/);
    expect(r.stdout).toContain('removed their data');
  });
});
