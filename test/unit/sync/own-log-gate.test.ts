/**
 * The gate the sequencer asks before it signs: it waits for peers not heard from yet shortly
 * after start, waits and then refuses while a peer holds more of this node's own log, and lets
 * everything through otherwise. Links here are plain objects with the fields the gate reads.
 */
import { describe, expect, it } from 'vitest';
import { DtxError } from '../../../shared/errors.js';
import { silentLogger } from '../../../shared/logger.js';
import { capturingLogger } from '../../_util/logs.js';
import { OwnLogGate, type HeardPeer } from '../../../server/sync/own-log-gate.js';
import type { PeerHead } from '../../../server/sync/peer-link.js';

const OWN = 'dtxOWN';
const logger = silentLogger();
const PEER = 'dtxPEER';

function link(heads: Record<string, PeerHead> = {}): HeardPeer & { hear: () => void; heads: Map<string, PeerHead> } {
  let resolve!: () => void;
  const heard = new Promise<void>((r) => (resolve = r));
  const peer = {
    peer: { nodeId: PEER },
    heads: new Map(Object.entries(heads)),
    heard,
    isHeard: false,
    hear: () => {
      peer.isHeard = true;
      resolve();
    },
  };
  return peer;
}

const head = (seq: number, epoch = 1) => ({ epoch, seq, hash: new Uint8Array(32) });
const peerHead = (seq: number, epoch = 1): PeerHead => ({ epoch, seq, timestampMs: 0 });

/** Whether a promise has settled after the current microtasks ran. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('OwnLogGate', () => {
  it('lets appends through with no peers, and after the wait with peers never heard from', () => {
    let now = 1000;
    const links: HeardPeer[] = [];
    const gate = new OwnLogGate(logger, OWN, () => links, () => 6000, () => now);
    expect(gate.hold(head(5))).toBeUndefined();
    links.push(link());
    now = 6000;
    expect(gate.hold(head(5))).toBeUndefined();
  });

  it('waits for a peer not heard from yet, and goes on once it told heads that are not ahead', async () => {
    const peer = link();
    const gate = new OwnLogGate(logger, OWN, () => [peer], () => Date.now() + 60_000);
    const held = gate.hold(head(5));
    expect(held).toBeInstanceOf(Promise);
    expect(await settled(held as Promise<void>)).toBe(false);
    peer.heads.set(OWN, peerHead(5));
    peer.hear();
    expect(await settled(held as Promise<void>)).toBe(true);
    expect(gate.hold(head(5))).toBeUndefined();
  });

  it('stops waiting for a silent peer when the wait after start is over, and says so once', async () => {
    const { logger: capturing, lines } = capturingLogger();
    const peer = link();
    const until = Date.now() + 30;
    const gate = new OwnLogGate(capturing, OWN, () => [peer], () => until);
    let held = gate.hold(head(5));
    expect(held).toBeInstanceOf(Promise);
    // As the sequencer does: ask again each time the wait ends. A timer may fire a millisecond
    // before Date.now() reaches its mark (monotonic vs wall clock), so a second short wait is fine.
    let waits = 0;
    while (held instanceof Promise && waits < 5) {
      await held;
      waits++;
      held = gate.hold(head(5));
    }
    expect(held).toBeUndefined();
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    expect(gate.hold(head(5))).toBeUndefined();
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([expect.objectContaining({ peers: [PEER] })]);
  });

  it('while a peer holds more of the own log: waits during the start-up wait, then refuses naming the peer and both heads', async () => {
    let now = 1000;
    const peer = link({ [OWN]: peerHead(10) });
    peer.hear();
    await peer.heard;
    const gate = new OwnLogGate(logger, OWN, () => [peer], () => 6000, () => now);
    expect(gate.hold(head(5))).toBeInstanceOf(Promise);
    now = 6000;
    const refused = gate.hold(head(5));
    expect(refused).toBeInstanceOf(DtxError);
    expect((refused as DtxError).code).toBe('UNAVAILABLE');
    expect((refused as DtxError).message).toContain(`peer ${PEER} holds this node's own log up to epoch 1 seq 10, and this node epoch 1 seq 5`);
    // A later epoch is ahead too; so is anything when this node holds nothing of its log.
    peer.heads.set(OWN, peerHead(1, 2));
    expect(gate.hold(head(5))).toBeInstanceOf(DtxError);
    expect((gate.hold(undefined) as DtxError).message).toContain('and this node nothing of it');
    // Once this node holds as much, it signs again.
    peer.heads.set(OWN, peerHead(10));
    expect(gate.hold(head(10))).toBeUndefined();
    expect(gate.hold(head(1, 2))).toBeUndefined();
  });

  it('logs a peer that holds more of the own log once, not on every publish', async () => {
    const { logger: capturing, lines } = capturingLogger();
    const peer = link({ [OWN]: peerHead(10) });
    peer.hear();
    await peer.heard;
    const gate = new OwnLogGate(capturing, OWN, () => [peer], () => 0, () => 1000);
    for (let i = 0; i < 5; i++) expect(gate.hold(head(5))).toBeInstanceOf(DtxError);
    const warnings = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ peer: PEER, theirs: { epoch: 1, seq: 10 }, mine: { epoch: 1, seq: 5 } });
    // Ahead again, further on: logged again.
    peer.heads.set(OWN, peerHead(12));
    gate.hold(head(5));
    expect(lines).toHaveLength(2);
  });

  it("ignores the peer's heads of other origins", async () => {
    const peer = link({ dtxOTHER: peerHead(99) });
    peer.hear();
    await peer.heard;
    const gate = new OwnLogGate(logger, OWN, () => [peer], () => 0, () => 1000);
    expect(gate.hold(head(5))).toBeUndefined();
  });
});
