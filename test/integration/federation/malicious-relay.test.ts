/**
 * A hostile relay in front of a real node D. The relay serves real signed entries of two honest
 * origins, A and B (read from real nodes), in one stream, and tampers with A's. D must reject the
 * tampered entries with the right reason (status counters and the quarantine table), keep
 * exactly A's valid prefix, still take every B entry from the same stream, and leave a database
 * that `dtx verify` finds clean.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyNodeLog } from '../../../client/verify-node-log.js';
import { generateSigningKey, type SigningKey } from '../../../shared/crypto.js';
import type { ErrorCode } from '../../../shared/errors.js';
import { entryHash, type SignedEntry } from '../../../shared/log/entry.js';
import { copyEntry, MaliciousRelay, resignedWith, withAlteredPayload } from '../../_util/malicious-relay.js';
import { emailBatch, emailInput } from '../../_util/samples.js';
import { FAST_SYNC, headsOf, readAll, stopAll, waitFor } from '../../_util/test-network.js';
import { CLI_MAIN, initTempDataDir, removeDir, startNodeOn, startTestNode, type RunningTestNode, type TestNode } from '../../_util/test-node.js';

const A_COUNT = 6;
const B_COUNT = 4;
const C_COUNT = 3;

let a: TestNode;
let b: TestNode;
/** An honest node that D does not know: its entries are of an unknown origin. */
let c: TestNode;
let aLog: SignedEntry[];
let bLog: SignedEntry[];
let cLog: SignedEntry[];
/** Signs where it must not: stands in for anyone but the origin. */
let forger: SigningKey;

beforeAll(async () => {
  [a, b, c] = await Promise.all([startTestNode({ name: 'origin-a' }), startTestNode({ name: 'origin-b' }), startTestNode({ name: 'origin-c' })]);
  await a.client.publish(emailBatch('relay-a', A_COUNT));
  await b.client.publish(emailBatch('relay-b', B_COUNT));
  await c.client.publish(emailBatch('relay-c', C_COUNT));
  [aLog, bLog, cLog] = await Promise.all([readAll(a.client), readAll(b.client), readAll(c.client)]);
  expect([aLog.length, bLog.length, cLog.length]).toEqual([A_COUNT, B_COUNT, C_COUNT]);
  forger = generateSigningKey();
});

afterAll(async () => {
  await stopAll([a, b, c].filter(Boolean));
});

/** The entry of a log at seq (1-based). */
const at = (log: SignedEntry[], seq: number) => log[seq - 1]!;

/**
 * One stream as the relay serves it: B's entries surround A's (tampered) run in the same
 * message, `extra` follows in a second message, and B's last entry closes the stream, so when
 * D holds B's head it has processed everything before it.
 */
function stream(aRun: SignedEntry[], extra: SignedEntry[] = []): SignedEntry[][] {
  return [
    [at(bLog, 1), at(bLog, 2), ...aRun, at(bLog, 3)],
    [...extra, at(bLog, 4)],
  ];
}

interface Scenario {
  name: string;
  /** What the relay streams on its first call. */
  messages: () => SignedEntry[][];
  reason: ErrorCode;
  /** The seqs D must reject, in the order the relay sent them: each quarantined once, with `reason`. */
  rejectedSeqs: number[];
  /** The bytes the relay sent for the first of them (quarantined as received). */
  firstBadEntry: () => SignedEntry;
  /** A's valid prefix (at least one entry): D's head for A afterwards. */
  validA: number;
  /** The origin whose entries are rejected (A unless said otherwise). */
  victim?: () => TestNode;
}

const altered = () => withAlteredPayload(at(aLog, 3), 7);
const forged = () => resignedWith(at(aLog, A_COUNT), forger);
const midForged = () => resignedWith(at(aLog, 3), forger);
const replayed = () => copyEntry(at(aLog, 2));

const SCENARIOS: Scenario[] = [
  {
    name: 'a payload byte altered (seq 3)',
    messages: () => stream([at(aLog, 1), at(aLog, 2), altered(), ...aLog.slice(3)]),
    reason: 'MALFORMED_ENTRY',
    rejectedSeqs: [3, 4, 5, 6],
    firstBadEntry: altered,
    validA: 2,
  },
  {
    name: 'an entry dropped (seq 3)',
    messages: () => stream([at(aLog, 1), at(aLog, 2), ...aLog.slice(3)]),
    reason: 'CHAIN_BROKEN',
    rejectedSeqs: [4, 5, 6],
    firstBadEntry: () => at(aLog, 4),
    validA: 2,
  },
  {
    name: 'two entries swapped (seq 3 and 4)',
    messages: () => stream([at(aLog, 1), at(aLog, 2), at(aLog, 4), at(aLog, 3), ...aLog.slice(4)]),
    reason: 'CHAIN_BROKEN',
    rejectedSeqs: [4, 3, 5, 6],
    firstBadEntry: () => at(aLog, 4),
    validA: 2,
  },
  {
    name: "the run's last header re-signed with another key",
    messages: () => stream([...aLog.slice(0, A_COUNT - 1), forged()]),
    reason: 'BAD_SIGNATURE',
    rejectedSeqs: [6],
    firstBadEntry: forged,
    validA: A_COUNT - 1,
  },
  {
    // The run's last signature is good here, so the forgery shows only when the applier looks
    // further: each rejected entry must still be quarantined once, under the root cause.
    name: 'a header in the middle of the run (seq 3) re-signed with another key',
    messages: () => stream([at(aLog, 1), at(aLog, 2), midForged(), ...aLog.slice(3)]),
    reason: 'BAD_SIGNATURE',
    rejectedSeqs: [3, 4, 5, 6],
    firstBadEntry: midForged,
    validA: 2,
  },
  {
    name: 'an old entry (seq 2) replayed after newer ones',
    messages: () => stream(aLog, [replayed()]),
    reason: 'REPLAY',
    rejectedSeqs: [2],
    firstBadEntry: replayed,
    validA: A_COUNT,
  },
  {
    name: 'entries of an origin not in the roster',
    messages: () => stream(aLog, cLog),
    reason: 'UNKNOWN_ORIGIN',
    rejectedSeqs: [1, 2, 3],
    firstBadEntry: () => at(cLog, 1),
    validA: A_COUNT,
    victim: () => c,
  },
];

/** `dtx verify --offline --json` on a stopped node's directory. */
async function verifyOffline(dir: string): Promise<{ ok: boolean; logs: { origin: string; entries: number; problems: unknown[] }[] }> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI_MAIN, 'verify', '--data', dir, '--offline', '--json'], {
    env: { ...process.env, DTX_LOG_LEVEL: 'silent' },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as { ok: boolean; logs: { origin: string; entries: number; problems: unknown[] }[] };
}

describe.each(['chain', 'every'] as const)('a malicious relay in front of node D (syncVerify %s)', (syncVerify) => {
  let d: RunningTestNode | undefined;
  let dir: string | undefined;
  let relay: MaliciousRelay | undefined;

  afterEach(async () => {
    await relay?.close();
    await d?.stop();
    if (dir) removeDir(dir);
    d = dir = relay = undefined;
  });

  it.each(SCENARIOS)('$name: rejected as $reason; B still arrives in full; A keeps its valid prefix', async (scenario) => {
    ({ dir } = await initTempDataDir({ name: 'downstream' }));
    d = await startNodeOn(dir, { ...FAST_SYNC, syncVerify });
    const node = d.node;
    // D trusts the true origins but dials only the relay.
    await d.client.addPeer({ id: a.node.nodeId, url: a.node.grpcAddress, noSubscribe: true });
    await d.client.addPeer({ id: b.node.nodeId, url: b.node.grpcAddress, noSubscribe: true });
    // Later calls (a reconnect) get heartbeats only, so every count below comes from one stream.
    relay = await MaliciousRelay.start({ script: (_call, index) => ({ messages: index === 0 ? scenario.messages() : [] }) });
    await d.client.addPeer({ id: relay.nodeId, url: relay.address, name: 'relay' });

    const bHead = headsOf(b).get(b.node.nodeId);
    await waitFor(() => headsOf(d!).get(b.node.nodeId) === bHead, "B's head at D");
    expect(relay.calls[0]?.caller).toBe(node.nodeId);
    expect(relay.calls[0]?.cursors).toEqual([]);

    // A: exactly the valid prefix, byte for byte, and nothing of it past that in the view.
    const heads = headsOf(d!);
    const lastValid = at(aLog, scenario.validA);
    expect(heads.get(a.node.nodeId)).toBe(`1:${scenario.validA}:${Buffer.from(entryHash(lastValid.header, lastValid.signature)).toString('hex')}`);
    const heldA = await readAll(d.client, a.node.nodeId);
    expect(heldA.map((e) => Buffer.from(entryHash(e.header, e.signature)).toString('hex'))).toEqual(
      aLog.slice(0, scenario.validA).map((e) => Buffer.from(entryHash(e.header, e.signature)).toString('hex')),
    );
    expect(heldA.map((e) => Buffer.from(e.payload).toString('hex'))).toEqual(aLog.slice(0, scenario.validA).map((e) => Buffer.from(e.payload).toString('hex')));
    const found = await d.client.lookup(Array.from({ length: A_COUNT }, (_, i) => ({ kind: 'account.email', value: emailInput(`relay-a/${i}`).value! })));
    expect(found.map((r) => r.queryIndex)).toEqual(Array.from({ length: scenario.validA }, (_, i) => i));
    expect(found.every((r) => r.matches.length === 1 && r.matches[0]!.origin === a.node.nodeId)).toBe(true);
    // C is nobody's origin at D: nothing of it is held.
    expect(heads.has(c.node.nodeId)).toBe(false);
    expect([...heads.keys()].sort()).toEqual([a.node.nodeId, b.node.nodeId].sort());

    // The reason, counted once per rejected entry, in the quarantine table and the status
    // (soft, so that the integrity checks below still run and report if these fail).
    const victim = (scenario.victim ?? (() => a))().node.nodeId;
    const rejected = scenario.rejectedSeqs.length;
    expect.soft(node.context.federation.quarantine.reasons(relay.nodeId)).toEqual([{ reason: scenario.reason, count: rejected }]);
    const status = node.context.federation.peerStatus().find((p) => p.id === relay!.nodeId)!;
    expect.soft(status.rejected).toEqual({ [scenario.reason]: rejected });
    expect(status.state).toBe('connected');
    const rows = node.context.federation.quarantine.recent(100).reverse();
    expect.soft(rows.map((r) => [r.seq, r.reason])).toEqual(scenario.rejectedSeqs.map((seq) => [seq, scenario.reason]));
    expect(rows.every((r) => r.peer === relay!.nodeId && r.origin === victim)).toBe(true);
    const first = scenario.firstBadEntry();
    const firstRow = rows.find((r) => r.seq === scenario.rejectedSeqs[0] && r.reason === scenario.reason);
    expect(firstRow).toBeDefined();
    expect(Buffer.from(firstRow!.header).equals(Buffer.from(first.header))).toBe(true);
    expect(Buffer.from(firstRow!.signature).equals(Buffer.from(first.signature))).toBe(true);
    expect(Buffer.from(firstRow!.payload).equals(Buffer.from(first.payload))).toBe(true);

    // Everything D serves verifies end to end, and so does its database once stopped.
    const audit = await verifyNodeLog(d.client);
    expect(audit.flatMap((r) => r.problems)).toEqual([]);
    expect(Object.fromEntries(audit.map((r) => [r.origin, r.entries]))).toEqual({ [a.node.nodeId]: scenario.validA, [b.node.nodeId]: B_COUNT });
    await d.stop();
    const offline = await verifyOffline(dir);
    expect(offline.ok).toBe(true);
    expect(offline.logs.flatMap((l) => l.problems)).toEqual([]);
    // D's own (empty) log is listed too; C never got a row.
    expect(Object.fromEntries(offline.logs.map((l) => [l.origin, l.entries]))).toEqual({
      [node.nodeId]: 0,
      [a.node.nodeId]: scenario.validA,
      [b.node.nodeId]: B_COUNT,
    });
  });
});

describe('a malicious relay sending one large message (hashed on a worker thread as it arrives)', () => {
  const E_COUNT = 400;
  let e: TestNode | undefined;
  let d: RunningTestNode | undefined;
  let dir: string | undefined;
  let relay: MaliciousRelay | undefined;

  afterEach(async () => {
    await relay?.close();
    await d?.stop();
    if (e) await stopAll([e]);
    if (dir) removeDir(dir);
    e = d = dir = relay = undefined;
  });

  it('rejects an altered payload deep in it as MALFORMED_ENTRY, keeps the prefix, and takes the rest of the message', async () => {
    e = await startTestNode({ name: 'origin-e' });
    await e.client.publish(emailBatch('relay-e', E_COUNT));
    const eLog = await readAll(e.client);
    expect(eLog.length).toBe(E_COUNT);
    const bad = withAlteredPayload(at(eLog, 300), 5);
    ({ dir } = await initTempDataDir({ name: 'downstream-large' }));
    d = await startNodeOn(dir, FAST_SYNC);
    const node = d.node;
    await d.client.addPeer({ id: e.node.nodeId, url: e.node.grpcAddress, noSubscribe: true });
    await d.client.addPeer({ id: b.node.nodeId, url: b.node.grpcAddress, noSubscribe: true });
    // One message of 404 entries: B's first two, E's log with seq 300 altered, B's last two.
    const message = [at(bLog, 1), at(bLog, 2), ...eLog.slice(0, 299), bad, ...eLog.slice(300), at(bLog, 3), at(bLog, 4)];
    relay = await MaliciousRelay.start({ script: (_call, index) => ({ messages: index === 0 ? [message] : [] }) });
    await d.client.addPeer({ id: relay.nodeId, url: relay.address, name: 'relay' });

    const bHead = headsOf(b).get(b.node.nodeId);
    await waitFor(() => headsOf(d!).get(b.node.nodeId) === bHead, "B's head at D");
    const lastValid = at(eLog, 299);
    expect(headsOf(d).get(e.node.nodeId)).toBe(`1:299:${Buffer.from(entryHash(lastValid.header, lastValid.signature)).toString('hex')}`);
    expect(node.context.federation.quarantine.reasons(relay.nodeId)).toEqual([{ reason: 'MALFORMED_ENTRY', count: E_COUNT - 299 }]);
    const rows = node.context.federation.quarantine.recent(1_000).reverse();
    expect(rows[0]).toMatchObject({ seq: 300, reason: 'MALFORMED_ENTRY' });
    expect(rows[0]!.detail).toMatch(/payload does not match the payload hash/);
    expect(Buffer.from(rows[0]!.payload).equals(Buffer.from(bad.payload))).toBe(true);
    const audit = await verifyNodeLog(d.client);
    expect(audit.flatMap((r) => r.problems)).toEqual([]);
    expect(Object.fromEntries(audit.map((r) => [r.origin, r.entries]))).toEqual({ [e.node.nodeId]: 299, [b.node.nodeId]: B_COUNT });
  });
});
