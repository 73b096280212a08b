/**
 * A receiver killed with SIGKILL in the middle of catching up 100,000 entries: on restart it
 * resubscribes from the heads in its database (the roster persists there too), converges on the
 * source's head, holds every entry and indicator exactly once, quarantined nothing, and an
 * offline `dtx verify` of its data directory finds every chain and signature intact.
 * The source runs in this process and stays up at one address; the receiver is `dtx start`
 * in a child process, so the kill is a real kill -9 of a real node.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DtxClient } from '../../../client/index.js';
import { dataPath, readAdminToken } from '../../../server/config/data-dir.js';
import { openDatabase } from '../../../server/db/database.js';
import { publicKeyFromNodeId } from '../../../shared/node-id.js';
import { emailBatch } from '../../_util/samples.js';
import { FAST_SYNC, waitFor } from '../../_util/test-network.js';
import { CLI_MAIN, initTempDataDir, removeDir, spawnNode, startTestNode, type SpawnedNode, type TestNode } from '../../_util/test-node.js';

const TOTAL = 100_000;
const BATCH = 10_000;
/** Kill once the receiver holds more than this many entries (and fewer than all). */
const KILL_AFTER = 5_000;

interface OriginCounts {
  entries: number;
  distinctPositions: number;
  minSeq: number;
  maxSeq: number;
  indicators: number;
  recordedEntries: number;
  recordedIndicators: number;
}

/** Counts one origin's rows straight from a node's SQLite file (read-only, so a running node is fine). */
function countOrigin(dir: string, nodeId: string): OriginCounts & { quarantined: number } {
  const db = openDatabase(dataPath(dir, 'database'), { readonly: true });
  try {
    const origin = db.prepare('SELECT idx, entry_count, indicator_count FROM origins WHERE key = ?').get(Buffer.from(publicKeyFromNodeId(nodeId))) as
      | { idx: number; entry_count: number; indicator_count: number }
      | undefined;
    const quarantined = (db.prepare('SELECT count(*) AS n FROM quarantine').get() as { n: number }).n;
    if (!origin) return { entries: 0, distinctPositions: 0, minSeq: 0, maxSeq: 0, indicators: 0, recordedEntries: 0, recordedIndicators: 0, quarantined };
    const entries = db.prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM entries WHERE origin = ?').get(origin.idx) as { n: number; lo: number; hi: number };
    // The unique index forbids duplicate positions; counting distinct ones checks it independently.
    const distinct = db.prepare('SELECT count(*) AS n FROM (SELECT DISTINCT epoch, seq FROM entries WHERE origin = ?)').get(origin.idx) as { n: number };
    const indicators = db.prepare('SELECT count(*) AS n FROM indicators WHERE origin = ?').get(origin.idx) as { n: number };
    return {
      entries: entries.n,
      distinctPositions: distinct.n,
      minSeq: entries.lo,
      maxSeq: entries.hi,
      indicators: indicators.n,
      recordedEntries: origin.entry_count,
      recordedIndicators: origin.indicator_count,
      quarantined,
    };
  } finally {
    db.close();
  }
}

/** Runs the built CLI; resolves with the exit code and output (never rejects on a non-zero exit). */
function runCli(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_MAIN, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, DTX_LOG_LEVEL: 'silent' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The receiver's head seq for `origin`, as its admin API reports it (0 if none). */
async function headSeq(client: DtxClient, origin: string): Promise<{ seq: number; hash: string }> {
  const head = (await client.listHeads()).find((h) => h.origin === origin);
  return head ? { seq: Number(head.seq), hash: Buffer.from(head.hash).toString('hex') } : { seq: 0, hash: '' };
}

describe('a receiver killed during catch-up', () => {
  let source: TestNode | undefined;
  let receiver: SpawnedNode | undefined;
  let receiverDir: string | undefined;
  const clients: DtxClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await receiver?.kill('SIGKILL');
    receiver = undefined;
    await source?.stop();
    source = undefined;
    if (receiverDir) removeDir(receiverDir);
    receiverDir = undefined;
  });

  it('resumes after kill -9 and restart: converges, every entry and indicator once, verify clean', { timeout: 150_000 }, async () => {
    // The source's own durability does not matter here (it is never killed); 'normal' saves fsyncs.
    source = await startTestNode({ name: 'source', overrides: { ...FAST_SYNC, durability: 'normal' } });
    const sourceId = source.node.nodeId;
    for (let b = 0; b < TOTAL / BATCH; b++) await source.client.publish(emailBatch(`crash-resume/${b}`, BATCH));
    const sourceHead = await headSeq(source.client, sourceId);
    expect(sourceHead.seq).toBe(TOTAL);

    // The receiver keeps the default durability ('full'): surviving kill -9 is what is under test.
    const init = await initTempDataDir({ name: 'receiver', label: 'receiver' });
    receiverDir = init.dir;
    const configPath = dataPath(receiverDir, 'config');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, `${JSON.stringify({ ...config, syncHeartbeatMs: FAST_SYNC.syncHeartbeatMs }, null, 2)}\n`);
    const token = readAdminToken(receiverDir);

    receiver = await spawnNode(receiverDir);
    const receiverId = receiver.nodeId;
    expect(receiverId).toBe(init.nodeId);
    // The source must know the receiver before it lets it subscribe; it never dials it.
    await source.client.addPeer({ id: receiverId, url: receiver.grpc, name: 'receiver', noSubscribe: true });
    let rClient = new DtxClient({ address: receiver.grpc, token });
    clients.push(rClient);
    await rClient.addPeer({ id: sourceId, url: source.node.grpcAddress, name: 'source' });

    let beforeKill = { seq: 0, hash: '' };
    await waitFor(
      async () => {
        beforeKill = await headSeq(rClient, sourceId);
        if (beforeKill.seq >= TOTAL) throw new Error(`the receiver caught up (${beforeKill.seq}) before it could be killed mid-way`);
        return beforeKill.seq > KILL_AFTER;
      },
      `the receiver holding more than ${KILL_AFTER} of the source's entries`,
      60_000,
    );
    const killed = await receiver.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    rClient.close();

    // What the kill left on disk is consistent: whole transactions only (entries, indicator view and
    // head move together), and at least what the node had reported before it died.
    const survived = countOrigin(receiverDir, sourceId);
    expect(survived.entries).toBeGreaterThanOrEqual(beforeKill.seq);
    expect(survived.entries).toBeLessThan(TOTAL);
    expect(survived).toEqual({
      entries: survived.entries,
      distinctPositions: survived.entries,
      minSeq: 1,
      maxSeq: survived.entries,
      indicators: survived.entries,
      recordedEntries: survived.entries,
      recordedIndicators: survived.entries,
      quarantined: 0,
    });

    // Same data directory, new process (new ports): the roster and heads come from the database.
    receiver = await spawnNode(receiverDir);
    rClient = new DtxClient({ address: receiver.grpc, token });
    clients.push(rClient);
    const peers = await rClient.listPeers();
    expect(peers.map((p) => ({ id: p.id, subscribe: p.subscribe }))).toEqual([{ id: sourceId, subscribe: true }]);
    expect((await headSeq(rClient, sourceId)).seq).toBeGreaterThanOrEqual(survived.entries);

    await waitFor(
      async () => {
        const head = await headSeq(rClient, sourceId);
        return head.seq === sourceHead.seq && head.hash === sourceHead.hash;
      },
      `the restarted receiver reaching the source's head (seq ${sourceHead.seq})`,
      60_000,
    );
    const status = await rClient.status();
    const sourcePeer = status.peers.find((p) => p.id === sourceId);
    expect(sourcePeer?.state).toBe('connected');
    // The resumed stream started right after the surviving head: nothing sent twice, nothing skipped.
    expect(sourcePeer?.applied).toBe(BigInt(TOTAL - survived.entries));
    expect(sourcePeer?.duplicates).toBe(0n);
    // A crash and resume must never look like tampering.
    expect(sourcePeer?.rejected).toEqual([]);
    expect(status.quarantined).toBe(0n);
    expect(status.halted).toEqual([]);

    rClient.close();
    const stopped = await receiver.kill('SIGTERM');
    expect(stopped).toEqual({ code: 0, signal: null });
    receiver = undefined;

    const held = countOrigin(receiverDir, sourceId);
    const original = countOrigin(source.dir, sourceId);
    expect(original.entries).toBe(TOTAL);
    expect(held).toEqual({ ...original, quarantined: 0 });
    expect(held).toMatchObject({ entries: TOTAL, distinctPositions: TOTAL, minSeq: 1, maxSeq: TOTAL, indicators: TOTAL, recordedEntries: TOTAL, recordedIndicators: TOTAL });

    const verify = await runCli(['verify', '--data', receiverDir, '--offline', '--json'], 90_000);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout) as { ok: boolean; logs: { origin: string; entries: number; problems: unknown[] }[] };
    expect(report.ok).toBe(true);
    // Every log it holds is intact (its own is empty); the source's is complete.
    expect(report.logs.flatMap((l) => l.problems)).toEqual([]);
    expect(report.logs.find((l) => l.origin === sourceId)?.entries).toBe(TOTAL);
  });
});
