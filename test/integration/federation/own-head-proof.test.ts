/**
 * A peer's claim that it holds more of a node's own log stops that node from signing
 * (own-log-gate.ts): a restored node must take those entries back first. So the claim counts
 * only with the node's own signature on the claimed head entry. A hostile relay here claims
 * node A's own log far ahead of A, without a valid proof: A must ignore the claim, say so in
 * the relay's status, and go on publishing. (The honest case, a real restore whose peers do hold
 * more, is own-log-recovery.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../../shared/crypto.js';
import { encodeHeader, decodeHeader } from '../../../shared/log/entry-header.js';
import { entryHash, type SignedEntry } from '../../../shared/log/entry.js';
import type { SyncHeadFields } from '../../../shared/wire/subscribe-writer.js';
import { MaliciousRelay } from '../../_util/malicious-relay.js';
import { emailBatch } from '../../_util/samples.js';
import { FAST_SYNC, headsOf, waitFor } from '../../_util/test-network.js';
import { startTestNode, type TestNode } from '../../_util/test-node.js';

const CLAIMED_SEQ = 1000;
const EMPTY = new Uint8Array(0);

let a: TestNode;
let aLog: SignedEntry[];

beforeAll(async () => {
  a = await startTestNode({ name: 'lab-a', overrides: FAST_SYNC });
  await a.client.publish(emailBatch('proof/first', 3));
  aLog = [];
  for await (const batch of a.client.readLog({})) aLog.push(...batch);
  expect(aLog).toHaveLength(3);
});

afterAll(async () => {
  await a?.stop();
});

/** A head of A's own log at CLAIMED_SEQ, with the given proof. */
function claim(proof: { header: Uint8Array; signature: Uint8Array }, hash: Uint8Array = new Uint8Array(32).fill(7)): SyncHeadFields {
  return { origin: a.node.nodeId, epoch: 1, seq: CLAIMED_SEQ, hash, timestampMs: Date.now(), ...proof };
}

/** A's seq 3 header moved to CLAIMED_SEQ: what a forger would need A's key to sign. */
function movedHeader(): Uint8Array {
  return encodeHeader({ ...decodeHeader(aLog[2]!.header), seq: CLAIMED_SEQ });
}

const CASES: { name: string; head: () => SyncHeadFields; doubt: RegExp }[] = [
  { name: 'no signed header', head: () => claim({ header: EMPTY, signature: EMPTY }), doubt: /without the signed header/ },
  {
    name: "A's genuine seq 3 entry offered as seq 1000",
    head: () => claim(aLog[2]!, entryHash(aLog[2]!.header, aLog[2]!.signature)),
    doubt: /with the header of epoch 1 seq 3/,
  },
  {
    name: 'a seq 1000 header signed with another key',
    head: () => {
      const header = movedHeader();
      const signature = generateSigningKey().sign(header);
      return claim({ header, signature }, entryHash(header, signature));
    },
    doubt: /signature that does not verify with this node's key/,
  },
  {
    name: "A's seq 3 signature on a seq 1000 header",
    head: () => claim({ header: movedHeader(), signature: aLog[2]!.signature }),
    doubt: /signature that does not verify with this node's key/,
  },
];

describe("a peer's claim about a node's own log needs the node's signature", () => {
  let relay: MaliciousRelay | undefined;

  afterEach(async () => {
    if (relay) await a.client.removePeer(relay.nodeId);
    await relay?.close();
    relay = undefined;
  });

  it.each(CASES)('$name: ignored, shown on the peer, and the node publishes on', { timeout: 30_000 }, async ({ head, doubt }) => {
    const seqBefore = Number(headsOf(a).get(a.node.nodeId)!.split(':')[1]);
    const heads = [head()];
    relay = await MaliciousRelay.start({ script: () => ({ messages: [], heads }) });
    await a.client.addPeer({ id: relay.nodeId, url: relay.address, name: 'claimer' });
    const relayId = relay.nodeId;
    const relayStatus = async () => (await a.client.status()).peers.find((p) => p.id === relayId)!;
    await waitFor(async () => (await relayStatus()).lastError !== '', "the relay's claim reaching A");
    expect((await relayStatus()).lastError).toMatch(new RegExp(`^claimed this node's own log at epoch 1 seq ${CLAIMED_SEQ} `));
    expect((await relayStatus()).lastError).toMatch(doubt);

    // Believed, the claim would hold A's publishing and then refuse it (UNAVAILABLE).
    const published = await a.client.publish(emailBatch(`proof/after-${seqBefore}`, 2));
    expect(published.map((p) => Number(p.seq))).toEqual([seqBefore + 1, seqBefore + 2]);
    expect(headsOf(a).get(a.node.nodeId)!.split(':')[1]).toBe(String(seqBefore + 2));
  });
});
