/**
 * `dtx quarantine` as an operator runs it: a lab started with the dtx command subscribes (with
 * `dtx peer add`) to a hostile relay that forges two of a real origin's entries; the command
 * lists them on the running node and, the same, on the stopped one; filters and pages; refuses
 * bad flags with the flag named.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, initCrypto } from '../../shared/crypto.js';
import type { SignedEntry } from '../../shared/log/entry.js';
import { MaliciousRelay, resignedWith } from '../_util/malicious-relay.js';
import { emailBatch } from '../_util/samples.js';
import { startTestNode, type TestNode } from '../_util/test-node.js';
import { dtx, dtxJson, expectDtxError, expectOk, initNode, startNode, tempDirs, type InitOutput, type RunningNode, type TempDirs } from './_cli.js';

interface QuarantineJson {
  total: number;
  next: number | null;
  entries: { id: number; receivedAt: string; peer: string; origin: string; epoch: number; seq: number; reason: string; detail: string; header: string; signature: string; payload: string }[];
}

const A_COUNT = 4;
const FORGED = 2;

describe('dtx quarantine', () => {
  let dirs: TempDirs;
  let lab: InitOutput;
  let node: RunningNode | undefined;
  let origin: TestNode;
  let relay: MaliciousRelay;
  let forged: SignedEntry[];

  beforeAll(async () => {
    await initCrypto();
    dirs = tempDirs();
    lab = await initNode(dirs.path('lab'), ['--name', 'Lab']);
    origin = await startTestNode({ name: 'origin' });
    await origin.client.publish(emailBatch('quarantine-cli', A_COUNT));
    const log: SignedEntry[] = [];
    for await (const batch of origin.client.readLog({})) log.push(...batch);
    forged = log.slice(A_COUNT - FORGED).map((e) => resignedWith(e, generateSigningKey()));
    relay = await MaliciousRelay.start({ script: (_call, index) => ({ messages: index === 0 ? [log.slice(0, A_COUNT - FORGED), forged] : [] }) });
    node = await startNode(lab.data);
    expectOk(await dtx(['peer', 'add', '--data', lab.data, '--id', origin.node.nodeId, '--url', origin.node.grpcAddress, '--no-subscribe']));
    expectOk(await dtx(['peer', 'add', '--data', lab.data, '--id', relay.nodeId, '--url', relay.address, '--name', 'relay']));
  });

  afterAll(async () => {
    await node?.stop();
    await relay?.close();
    await origin?.stop();
    dirs.cleanup();
  });

  it('lists the forged entries on the running node, then the same on the stopped one', async () => {
    // Bounded wait until the relay's stream has been refused.
    let listed = await dtxJson<QuarantineJson>(['quarantine', '--data', lab.data, '--json']);
    for (let i = 0; i < 100 && listed.total < FORGED; i++) {
      await sleep(100);
      listed = await dtxJson<QuarantineJson>(['quarantine', '--data', lab.data, '--json']);
    }
    expect(listed.total).toBe(FORGED);
    expect(listed.next).toBeNull();
    expect(listed.entries.map((e) => [e.seq, e.reason, e.origin, e.peer])).toEqual([
      [A_COUNT, 'BAD_SIGNATURE', origin.node.nodeId, relay.nodeId],
      [A_COUNT - 1, 'BAD_SIGNATURE', origin.node.nodeId, relay.nodeId],
    ]);
    // The bytes as the relay sent them, newest first.
    expect(listed.entries.map((e) => e.signature)).toEqual([...forged].reverse().map((e) => Buffer.from(e.signature).toString('hex')));
    expect(listed.entries.map((e) => e.payload)).toEqual([...forged].reverse().map((e) => Buffer.from(e.payload).toString('hex')));

    const table = await dtx(['quarantine', '--data', lab.data]);
    expectOk(table);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+RECEIVED\s+PEER\s+ORIGIN\s+AT\s+REASON\s+DETAIL$/);
    expect(table.stdout.match(/BAD_SIGNATURE/g)).toHaveLength(FORGED);
    expect(table.stderr).toContain(`${FORGED} of ${FORGED} quarantined`);

    await node!.stop();
    node = undefined;
    const stopped = await dtx(['quarantine', '--data', lab.data, '--json']);
    expectOk(stopped);
    expect(stopped.stderr).toContain('not running');
    expect(JSON.parse(stopped.stdout)).toEqual(listed);
  });

  it('filters and pages: --reason, --origin, --limit with --before', async () => {
    expect((await dtxJson<QuarantineJson>(['quarantine', '--data', lab.data, '--json', '--reason', 'FORK'])).total).toBe(0);
    expect((await dtxJson<QuarantineJson>(['quarantine', '--data', lab.data, '--json', '--origin', origin.node.nodeId])).total).toBe(FORGED);
    const first = await dtxJson<QuarantineJson>(['quarantine', '--data', lab.data, '--json', '--limit', '1']);
    expect(first.entries).toHaveLength(1);
    expect(first.next).toBe(first.entries[0]!.id);
    const second = await dtxJson<QuarantineJson>(['quarantine', '--data', lab.data, '--json', '--limit', '1', '--before', String(first.next)]);
    expect(second.entries.map((e) => e.seq)).toEqual([A_COUNT - 1]);
    const empty = await dtx(['quarantine', '--data', lab.data, '--reason', 'REPLAY']);
    expectOk(empty);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toContain('nothing quarantined that matches');
  });

  it('refuses bad flags, naming them', async () => {
    expectDtxError(await dtx(['quarantine', '--data', lab.data, '--limit', '0']), 'INVALID_ARGUMENT', /--limit/);
    expectDtxError(await dtx(['quarantine', '--data', lab.data, '--limit', '5000']), 'INVALID_ARGUMENT', 'limit');
    expectDtxError(await dtx(['quarantine', '--data', lab.data, '--before', 'soon']), 'INVALID_ARGUMENT', /--before/);
    expectDtxError(await dtx(['quarantine', '--data', lab.data, '--peer', 'dtxnope']), 'INVALID_ARGUMENT', 'peer');
    expectDtxError(await dtx(['quarantine', '--data', lab.data, '--reason', 'bad reason']), 'INVALID_ARGUMENT', 'reason');
  });
});
