/**
 * ListQuarantine on a real node D behind a hostile relay: the entries it refused, newest first,
 * byte for byte as the relay sent them, with the reason; filters by peer, origin and reason;
 * pages that cover everything once; bad filters refused with the field named; admin only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../../shared/auth/tokens.js';
import { generateSigningKey } from '../../../shared/crypto.js';
import type { SignedEntry } from '../../../shared/log/entry.js';
import { decodeHeader } from '../../../shared/log/entry-header.js';
import { expectDtxError } from '../../_util/errors.js';
import { MaliciousRelay, resignedWith } from '../../_util/malicious-relay.js';
import { emailBatch } from '../../_util/samples.js';
import { FAST_SYNC, readAll, stopAll, waitFor } from '../../_util/test-network.js';
import { startTestNode, type TestNode } from '../../_util/test-node.js';

const A_COUNT = 5;
const FORGED = 2;
const C_COUNT = 3;

let a: TestNode;
let c: TestNode;
let d: TestNode;
let relay: MaliciousRelay;
/** What the relay sent that D must refuse, in the order sent. */
let refused: SignedEntry[];

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');

beforeAll(async () => {
  [a, c, d] = await Promise.all([
    startTestNode({ name: 'origin-a', overrides: FAST_SYNC }),
    startTestNode({ name: 'stranger-c', overrides: FAST_SYNC }),
    startTestNode({ name: 'downstream-d', overrides: FAST_SYNC }),
  ]);
  await a.client.publish(emailBatch('quarantine-a', A_COUNT));
  await c.client.publish(emailBatch('quarantine-c', C_COUNT));
  const [aLog, cLog] = await Promise.all([readAll(a.client), readAll(c.client)]);
  // A's last two re-signed by someone else (BAD_SIGNATURE), then C's, an origin D does not know.
  const forged = aLog.slice(A_COUNT - FORGED).map((e) => resignedWith(e, generateSigningKey()));
  refused = [...forged, ...cLog];
  relay = await MaliciousRelay.start({ script: (_call, index) => ({ messages: index === 0 ? [aLog.slice(0, A_COUNT - FORGED), forged, cLog] : [] }) });
  await d.client.addPeer({ id: a.node.nodeId, url: a.node.grpcAddress, noSubscribe: true });
  await d.client.addPeer({ id: relay.nodeId, url: relay.address, name: 'relay' });
  await waitFor(() => d.node.context.federation.quarantine.count() === refused.length, 'everything refused at D');
});

afterAll(async () => {
  await relay?.close();
  await stopAll([a, c, d].filter(Boolean));
});

describe('ListQuarantine', () => {
  it('lists every refused entry, newest first, as received, with its reason', async () => {
    const { entries, total } = await d.client.listQuarantine();
    expect(Number(total)).toBe(refused.length);
    const ids = entries.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    // Newest first: the reverse of the order the relay sent them.
    const sent = [...refused].reverse();
    expect(entries.map((e) => hex(e.entry?.header))).toEqual(sent.map((e) => hex(e.header)));
    expect(entries.map((e) => hex(e.entry?.signature))).toEqual(sent.map((e) => hex(e.signature)));
    expect(entries.map((e) => hex(e.entry?.payload))).toEqual(sent.map((e) => hex(e.payload)));
    expect(entries.map((e) => e.reason)).toEqual([...Array<string>(C_COUNT).fill('UNKNOWN_ORIGIN'), ...Array<string>(FORGED).fill('BAD_SIGNATURE')]);
    for (const e of entries) {
      const header = decodeHeader(e.entry!.header);
      expect([e.epoch, Number(e.seq)]).toEqual([header.epoch, header.seq]);
      expect(e.peer).toBe(relay.nodeId);
      expect(e.detail).not.toBe('');
      expect(Number(e.receivedAtMs)).toBeGreaterThan(Date.now() - 120_000);
    }
    expect(entries.filter((e) => e.reason === 'BAD_SIGNATURE').every((e) => e.origin === a.node.nodeId)).toBe(true);
    expect(entries.filter((e) => e.reason === 'UNKNOWN_ORIGIN').every((e) => e.origin === c.node.nodeId)).toBe(true);
  });

  it('filters by reason, origin and peer; total counts what matches', async () => {
    const bad = await d.client.listQuarantine({ reason: 'BAD_SIGNATURE' });
    expect([bad.entries.length, Number(bad.total)]).toEqual([FORGED, FORGED]);
    expect(bad.entries.every((e) => e.reason === 'BAD_SIGNATURE')).toBe(true);

    const ofC = await d.client.listQuarantine({ origin: c.node.nodeId });
    expect([ofC.entries.length, Number(ofC.total)]).toEqual([C_COUNT, C_COUNT]);
    expect((await d.client.listQuarantine({ origin: c.node.nodeId, reason: 'BAD_SIGNATURE' })).entries).toEqual([]);

    expect(Number((await d.client.listQuarantine({ peer: relay.nodeId })).total)).toBe(refused.length);
    const none = await d.client.listQuarantine({ peer: a.node.nodeId });
    expect([none.entries.length, Number(none.total)]).toEqual([0, 0]);
    expect((await d.client.listQuarantine({ reason: 'FORK' })).entries).toEqual([]);
  });

  it('pages with limit and beforeId cover every entry once, in order', async () => {
    const all = (await d.client.listQuarantine()).entries.map((e) => Number(e.id));
    const seen: number[] = [];
    let before: bigint | undefined;
    for (let page = 0; page < 10; page++) {
      const { entries, total } = await d.client.listQuarantine({ limit: 2, beforeId: before });
      expect(Number(total)).toBe(refused.length);
      expect(entries.length).toBeLessThanOrEqual(2);
      seen.push(...entries.map((e) => Number(e.id)));
      if (entries.length < 2) break;
      before = entries.at(-1)!.id;
    }
    expect(seen).toEqual(all);
  });

  it('refuses bad filters with the field named, and changes nothing', async () => {
    await expectDtxError(d.client.listQuarantine({ limit: 1001 }), 'INVALID_ARGUMENT', { field: 'limit' });
    await expectDtxError(d.client.listQuarantine({ peer: 'dtxnotanid' }), 'INVALID_ARGUMENT', { field: 'peer' });
    await expectDtxError(d.client.listQuarantine({ origin: 'x' }), 'INVALID_ARGUMENT', { field: 'origin' });
    await expectDtxError(d.client.listQuarantine({ reason: "x' OR 1=1 --" }), 'INVALID_ARGUMENT', { field: 'reason' });
    expect(d.node.context.federation.quarantine.count()).toBe(refused.length);
  });

  it('is for admins only', async () => {
    const key = d.node.context.key;
    const analyst = await issueToken(key.privateKeyObject, d.node.nodeId, { role: 'analyst', subject: 'analyst-user', ttlSeconds: 600 });
    await expectDtxError(d.clientWith(analyst).listQuarantine(), 'PERMISSION_DENIED');
    await expectDtxError(d.clientWith().listQuarantine(), 'UNAUTHENTICATED');
  });
});
