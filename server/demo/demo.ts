/**
 * `dtx demo`: three labs on loopback with temporary data, linked in a chain A - B - C. Lab A
 * publishes a sample campaign; it arrives at C through B, verified at every hop; then a
 * tampering relay offers C an altered copy of A's log and C refuses it. Everything runs in
 * this process on real nodes (gRPC, SQLite, signatures) and is removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DtxClient } from '../../client/index.js';
import { silentLogger } from '../../shared/logger.js';
import { SightingType } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { initDataDir, readAdminToken } from '../config/data-dir.js';
import { DtxNode } from '../node.js';
import { DEMO_CAMPAIGN, demoCampaign, demoFollowUp } from './demo-campaign.js';
import { startTamperingRelay } from './tampering-relay.js';

export interface DemoOptions {
  keep: boolean;
  say: (line: string) => void;
}

interface Lab {
  name: string;
  node: DtxNode;
  client: DtxClient;
}

const TIMEOUT_MS = 30_000;

/** Resolves with the time (performance.now) at which `lab` holds `origin` up to `seq`. */
function arrival(lab: Lab, originIdx: (lab: Lab) => number | undefined, seq: number): Promise<number> {
  const reached = () => {
    const idx = originIdx(lab);
    return idx !== undefined && (lab.node.context.logStore.origin(idx)?.headSeq ?? 0) >= seq;
  };
  return new Promise((resolve, reject) => {
    if (reached()) return resolve(performance.now());
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${lab.name} did not receive the campaign within ${TIMEOUT_MS / 1000} s`));
    }, TIMEOUT_MS);
    const off = lab.node.context.hub.onAppended(() => {
      if (!reached()) return;
      clearTimeout(timer);
      off();
      resolve(performance.now());
    });
  });
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const { say } = options;
  const root = mkdtempSync(join(tmpdir(), 'dtx-demo-'));
  const labs: Lab[] = [];
  const cleanups: (() => void)[] = [];
  try {
    say(`dtx demo: three labs on loopback, temporary data in ${root}`);
    for (const name of ['Lab A', 'Lab B', 'Lab C']) {
      const dir = join(root, name.replace(' ', '-').toLowerCase());
      await initDataDir(dir, { name, grpc: '127.0.0.1:0', http: '127.0.0.1:0' });
      const node = await DtxNode.start(dir, { logger: silentLogger(), overrides: { syncHeartbeatMs: 500, durability: 'normal' } });
      labs.push({ name, node, client: new DtxClient({ address: node.grpcAddress, token: readAdminToken(dir) }) });
      say(`  ${name}  ${node.nodeId}  gRPC ${node.grpcAddress}`);
    }
    const [a, b, c] = labs as [Lab, Lab, Lab];

    // Every lab is a member (trusted origin) of the others; only neighbours subscribe. Trust
    // comes first: a subscription dialled before the other side trusts the dialler is refused
    // and retried only after a back-off, which would show up as seconds in the timings below.
    for (const subscribe of [false, true]) {
      for (const from of labs) {
        for (const to of labs) {
          const neighbour = Math.abs(labs.indexOf(from) - labs.indexOf(to)) === 1;
          if (from === to || (subscribe && !neighbour)) continue;
          await from.client.addPeer({ id: to.node.nodeId, url: to.node.grpcAddress, name: to.name, noSubscribe: !subscribe });
        }
      }
    }
    say('linked in a chain: Lab A <-> Lab B <-> Lab C (each trusts all three; neighbours subscribe)');
    say('');

    const campaign = demoCampaign();
    const originOfA = (lab: Lab) => lab.node.context.logStore.originByKey(a.node.context.key.publicKey)?.idx;
    const atB = arrival(b, originOfA, campaign.length);
    const atC = arrival(c, originOfA, campaign.length);
    const t0 = performance.now();
    await a.client.publish(campaign);
    const published = performance.now();
    say(`1. Lab A publishes campaign ${DEMO_CAMPAIGN}: ${campaign.length} indicators, signed, chained and committed in ${(published - t0).toFixed(1)} ms`);
    const [tb, tc] = await Promise.all([atB, atC]);
    say(`2. from the publish call: Lab B holds them after ${(tb - t0).toFixed(1)} ms (1 hop), Lab C after ${(tc - t0).toFixed(1)} ms (2 hops, relayed by B, verified at each)`);
    const [hit] = await c.client.lookup([{ kind: 'network.ip', value: '198.51.100.23' }]);
    const match = hit?.matches[0];
    say(`3. Lab C looks up 198.51.100.23: ${match ? `match from ${match.origin === a.node.nodeId ? 'Lab A' : match.origin}, confidence ${match.confidence}, campaign ${match.campaign}` : 'no match (unexpected)'}`);
    if (match) {
      // Corroboration flows back: C's sighting is an entry of C's log, relayed to A by B.
      const t1 = performance.now();
      await c.client.reportSightings([{ id: match.id, type: SightingType.SEEN, comment: 'same proxy range here' }]);
      const sightedAt = Date.now() + TIMEOUT_MS;
      let seenBy = 0;
      while ((seenBy = (await a.client.getIndicator(match.id)).seenBy) === 0 && Date.now() < sightedAt) await new Promise((r) => setTimeout(r, 10));
      if (seenBy === 0) throw new Error("Lab C's sighting did not reach Lab A in time");
      say(`   Lab C reports it seen in its own traffic: Lab A counts ${seenBy} corroborating lab after ${(performance.now() - t1).toFixed(1)} ms`);
    }
    say('');

    const originIdx = a.node.context.logStore.originByKey(a.node.context.key.publicKey)!.idx;
    const tamperSeq = campaign.length + 2;
    const relay = await startTamperingRelay(a.node.context.logStore, originIdx, tamperSeq, silentLogger());
    cleanups.push(() => relay.stop());
    await c.client.addPeer({ id: relay.nodeId, url: relay.address, name: 'Relay X' });
    const followUp = demoFollowUp();
    const atC2 = arrival(c, originOfA, campaign.length + followUp.length);
    await a.client.publish(followUp);
    say(`4. Lab C also subscribes to Relay X, which relays Lab A's next ${followUp.length} entries with one payload byte flipped (seq ${tamperSeq})`);
    await atC2;
    const deadline = Date.now() + TIMEOUT_MS;
    let caught: { reason: string; detail: string } | undefined;
    while (!caught && Date.now() < deadline) {
      const row = c.node.context.federation.quarantine.recent(10).reverse().find((q) => q.peer === relay.nodeId);
      if (row) caught = { reason: row.reason, detail: row.detail };
      else await new Promise((r) => setTimeout(r, 20));
    }
    if (!caught) throw new Error('Lab C did not report the tampered entry in time');
    const after = c.node.context.logStore.originByKey(a.node.context.key.publicKey)!;
    const own = a.node.context.logStore.origin(originIdx)!;
    const matchesA = after.headSeq === own.headSeq && Buffer.compare(after.headHash!, own.headHash!) === 0;
    say(`   Lab C caught it: ${caught.reason}: ${caught.detail}`);
    say(`   quarantined, not applied; Lab C took the genuine entry from Lab B instead (head seq ${after.headSeq}, hash ${matchesA ? 'equal to' : 'DIFFERENT from (unexpected)'} Lab A's)`);
    say('');
    const status = await c.client.status();
    say("5. dtx status at Lab C:");
    for (const p of status.peers) {
      const rejected = p.rejected.map((r) => `${r.reason}:${r.count}`).join(' ') || 'none';
      say(`   ${p.name.padEnd(8)} ${p.state.padEnd(12)} applied ${String(p.applied).padStart(3)}  rejected ${rejected}`);
    }
  } finally {
    for (const cleanup of cleanups) cleanup();
    for (const lab of labs) lab.client.close();
    await Promise.all(labs.map((lab) => lab.node.stop()));
    if (options.keep) say(`kept the data in ${root}`);
    else {
      rmSync(root, { recursive: true, force: true });
      say('stopped the three labs and removed their data');
    }
  }
}
