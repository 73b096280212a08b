/**
 * Durability: a restart keeps everything and the chain continues; an acknowledged publish
 * survives kill -9 of a node process; one data directory is served by one node at a time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DtxClient, verifyNodeLog } from '../../client/index.js';
import { FILES, readAdminToken } from '../../server/config/data-dir.js';
import { DtxNode } from '../../server/node.js';
import { RetractReason } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { silentLogger } from '../../shared/logger.js';
import { expectDtxError } from '../_util/errors.js';
import { cidrInput, emailBatch, emailInput, hex64, sampleInputs } from '../_util/samples.js';
import { initTempDataDir, LOOPBACK_ANY_PORT, removeDir, spawnNode, startNodeOn, type RunningTestNode, type SpawnedNode } from '../_util/test-node.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  // Last in, first out: nodes stop before their directories go.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const { dir } = await initTempDataDir({ label: 'durable' });
  cleanups.push(() => removeDir(dir));
  return dir;
}

async function start(dir: string): Promise<RunningTestNode> {
  const running = await startNodeOn(dir);
  cleanups.push(() => running.stop());
  return running;
}

async function spawn(dir: string): Promise<SpawnedNode> {
  const spawned = await spawnNode(dir);
  cleanups.push(async () => {
    await spawned.kill('SIGKILL');
  });
  return spawned;
}

function clientFor(address: string, dir: string): DtxClient {
  const client = new DtxClient({ address, token: readAdminToken(dir) });
  cleanups.push(() => client.close());
  return client;
}

async function view(client: DtxClient, ids: string[], queries: { kind: string; value: string }[]) {
  const info = await client.nodeInfo();
  return {
    heads: await client.listHeads(),
    info: { nodeId: info.nodeId, name: info.name, ownEntries: info.ownEntries, indicators: info.indicators },
    indicators: await Promise.all(ids.map((id) => client.getIndicator(id))),
    lookups: await client.lookup(queries, { includeRetracted: true, includeExpired: true }),
    plainLookups: await client.lookup(queries),
  };
}

describe('restart', () => {
  it('keeps heads, indicators and lookups, and new publishes continue the chain', async () => {
    const dir = await tempDir();
    const first = await start(dir);
    const inputs = [...sampleInputs('restart'), ...emailBatch('restart', 50)];
    const published = await first.client.publish(inputs);
    await first.client.retract(published[1]!.id, RetractReason.FALSE_POSITIVE);
    await first.client.publish([cidrInput('192.0.2.0/24', { id: published[3]!.id })]); // version 2, new value
    const ids = published.map((p) => p.id);
    const queries = [...inputs.map((i) => ({ kind: i.kind!, value: i.value! })), { kind: 'network.cidr', value: '192.0.2.0/24' }];

    const before = await view(first.client, ids, queries);
    expect(before.heads[0]!.seq).toBe(BigInt(inputs.length + 2));
    await first.stop();
    expect(existsSync(join(dir, FILES.runtime))).toBe(false);

    const second = await start(dir);
    expect(second.node.nodeId).toBe(first.node.nodeId);
    const after = await view(second.client, ids, queries);
    expect(after).toEqual(before);

    const headSeq = Number(before.heads[0]!.seq);
    const more = await second.client.publish(emailBatch('after-restart', 3));
    expect(more.map((p) => Number(p.seq))).toEqual([headSeq + 1, headSeq + 2, headSeq + 3]);
    const retractSeq = await second.client.retract(more[0]!.id, RetractReason.SUPERSEDED);
    expect(retractSeq).toBe(headSeq + 4);

    const audits = await verifyNodeLog(second.client);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ origin: second.node.nodeId, entries: headSeq + 4, problems: [], head: { seq: headSeq + 4 } });
  });

  it('survives several restarts in a row with a clean chain', async () => {
    const dir = await tempDir();
    let expected = 0;
    for (let round = 0; round < 3; round++) {
      const running = await start(dir);
      const out = await running.client.publish(emailBatch(`round-${round}`, 10));
      expect(Number(out[0]!.seq)).toBe(expected + 1);
      expected += 10;
      await running.stop();
    }
    const last = await start(dir);
    const [audit] = await verifyNodeLog(last.client);
    expect(audit).toMatchObject({ entries: expected, problems: [] });
  });
});

describe('kill -9', () => {
  it('every acknowledged publish survives SIGKILL of the node process, and no batch is half stored', async () => {
    const dir = await tempDir();
    const child = await spawn(dir);
    const client = clientFor(child.grpc, dir);

    const BATCHES = 20;
    const PER_BATCH = 200;
    const KILL_AFTER = 12; // acknowledgement index after which the process is killed
    const batchInputs = (b: number) => emailBatch(`kill/${b}`, PER_BATCH);
    const acked = new Map<string, string>(); // id -> value
    const record = (b: number, items: { id: string }[]) => items.forEach((item, i) => acked.set(item.id, hex64(`email:kill/${b}/${i}`)));

    // Two publishes in flight, so the kill lands while the next batch is being written.
    let inFlight = client.publish(batchInputs(0));
    let pending: Promise<{ id: string }[]> | undefined;
    let pendingBatch = -1;
    for (let b = 0; b < BATCHES; b++) {
      const next = b + 1 < BATCHES ? client.publish(batchInputs(b + 1)) : undefined;
      next?.catch(() => undefined);
      record(b, await inFlight);
      if (b === KILL_AFTER) {
        child.child.kill('SIGKILL');
        pending = next;
        pendingBatch = b + 1;
        break;
      }
      if (!next) break;
      inFlight = next;
    }
    const exit = await child.exited;
    expect(exit.signal).toBe('SIGKILL');
    // The batch in flight may or may not have been acknowledged before the kill.
    if (pending) {
      const outcome = await pending.then(
        (items) => ({ ok: true as const, items }),
        (err: unknown) => ({ ok: false as const, err }),
      );
      if (outcome.ok) record(pendingBatch, outcome.items);
    }
    expect(acked.size).toBeGreaterThanOrEqual((KILL_AFTER + 1) * PER_BATCH);
    // The killed process left its node.json behind; a new node must not be fooled by it.
    expect(existsSync(join(dir, FILES.runtime))).toBe(true);

    const restarted = await start(dir);
    const info = await restarted.client.nodeInfo();
    expect(Number(info.ownEntries) % PER_BATCH).toBe(0); // whole batches only
    expect(Number(info.ownEntries)).toBeGreaterThanOrEqual(acked.size);

    const entries = [...acked.entries()];
    const results = await restarted.client.lookup(entries.map(([, value]) => ({ kind: 'account.email', value })));
    expect(results).toHaveLength(entries.length);
    for (const r of results) expect(r.matches.map((m) => m.id)).toEqual([entries[r.queryIndex]![0]]);
    for (const [id] of entries.slice(0, 5)) expect((await restarted.client.getIndicator(id)).id).toBe(id);

    const [audit] = await verifyNodeLog(restarted.client);
    expect(audit).toMatchObject({ entries: Number(info.ownEntries), problems: [] });
    // And the log goes on from where it stopped.
    const [after] = await restarted.client.publish([emailInput('after-kill')]);
    expect(Number(after!.seq)).toBe(Number(info.ownEntries) + 1);
  });
});

describe('one node per data directory', () => {
  it('a node in this process refuses a directory a node process is serving (NODE_RUNNING)', async () => {
    const dir = await tempDir();
    const child = await spawn(dir);
    const runtimeBefore = readFileSync(join(dir, FILES.runtime));

    await expectDtxError(DtxNode.start(dir, { logger: silentLogger(), overrides: { ...LOOPBACK_ANY_PORT } }), 'NODE_RUNNING');
    // The running node is untouched and still serves.
    expect(readFileSync(join(dir, FILES.runtime))).toEqual(runtimeBefore);
    const client = clientFor(child.grpc, dir);
    expect((await client.nodeInfo()).nodeId).toBe(child.nodeId);
    await client.publish([emailInput('still-serving')]);

    // SIGTERM stops it cleanly; then the directory is free again.
    const exit = await child.kill('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dir, FILES.runtime))).toBe(false);
    const next = await start(dir);
    expect((await next.client.nodeInfo()).ownEntries).toBe(1n);
  });

  it('a second node in the same process on the same directory is refused (NODE_RUNNING)', async () => {
    const dir = await tempDir();
    const first = await start(dir);
    const attempt = DtxNode.start(dir, { logger: silentLogger(), overrides: { ...LOOPBACK_ANY_PORT } });
    // Should it start anyway, stop it so the test leaves nothing running.
    attempt.then((second) => cleanups.push(() => second.stop())).catch(() => undefined);
    await expectDtxError(attempt, 'NODE_RUNNING');
    expect((await first.client.nodeInfo()).nodeId).toBe(first.node.nodeId);
  });
});
