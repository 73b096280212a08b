/**
 * Propagation: publish at A, visible two hops away. Three fresh node processes, A -> B -> C
 * (B subscribes to A, C to B; all trust each other). The bench subscribes to C as a member node
 * and notes when each of A's entries arrives; A gets single-entry Publish calls on a 1 ms
 * schedule (1,000 entries/s, open loop). Latency = arrival at the bench's C stream minus the
 * time the entry's Publish call was issued, both on this process's clock; the entry header's
 * timestamp (A's wall clock when it sequenced the entry) gives a cross-check.
 */
import { percentile, type Results } from './metrics.js';
import type { BenchOptions } from './options.js';
import { Budget, fmt, progress } from './progress.js';
import { latencies, makeBatches, publishPaced } from './sync-pacer.js';
import { pollUntil, startFreshNode, stopNodes, subscribe, trust, type SyncNode } from './sync-nodes.js';
import { BenchSubscriber, newMemberIdentity } from './sync-subscriber.js';

const RATE = 1_000;
const PER_CALL = 1;
const WARMUP_ENTRIES = 200;
const MAX_IN_FLIGHT = 256;

export async function runSyncPropagation(options: BenchOptions, results: Results): Promise<void> {
  const durationMs = options.quick ? 3_000 : 10_000;
  const member = newMemberIdentity();
  let nodes: SyncNode[] = [];
  let subscriber: BenchSubscriber | undefined;
  try {
    progress('sync propagation: starting nodes A, B, C');
    nodes = await Promise.all(['prop-a', 'prop-b', 'prop-c'].map((label) => startFreshNode(label)));
    const [a, b, c] = nodes as [SyncNode, SyncNode, SyncNode];
    // Members trust each other's origins; only the chain's links dial.
    await trust(a, b);
    await trust(a, c);
    await trust(b, c);
    await trust(c, a);
    await trust(c, { nodeId: member.nodeId, name: 'bench' });
    await subscribe(b, a);
    await subscribe(c, b);

    const firstSeq = WARMUP_ENTRIES + 1;
    subscriber = new BenchSubscriber({ address: c.process.address, serverNodeId: c.nodeId, member, origin: a.originKey, firstSeq, capacity: (RATE * durationMs) / 1000 + 1_000 });
    await subscriber.open();
    // Warm-up: connections up and code paths hot before the clock runs.
    await a.admin.publish(makeBatches(1, WARMUP_ENTRIES, 0x3a71)[0]!);
    const warm = await pollUntil(() => subscriber!.error !== undefined || subscriber!.lastSeq >= WARMUP_ENTRIES, new Budget('sync propagation warm-up', 30_000), 10);
    if (subscriber.error) throw subscriber.error;
    if (!warm) throw new Error(`the warm-up entries did not reach C (the bench saw seq ${subscriber.lastSeq} of ${WARMUP_ENTRIES})`);

    const run = await publishPaced(a.admin, { label: 'sync propagation', rate: RATE, perCall: PER_CALL, durationMs, maxInFlight: MAX_IN_FLIGHT, seed: 0x9a7e });
    const drained = await pollUntil(() => subscriber!.error !== undefined || subscriber!.lastSeq >= run.lastSeq, new Budget('sync propagation drain', 20_000), 10);
    if (subscriber.error) throw subscriber.error;
    const { ms, missing } = latencies(run, subscriber.arrivals, firstSeq);
    const arrived = [...run.issuedAt.keys()].map((seq) => seq - firstSeq).filter((slot) => subscriber!.arrivals[slot]! > 0);
    const headerLag = arrived.map((slot) => subscriber!.headerLagMs[slot]!);
    progress(`sync propagation: ${fmt(ms.length)} entries seen at C, p50 ${percentile(ms, 50).toFixed(2)} ms, p99 ${percentile(ms, 99).toFixed(2)} ms`);
    if (!drained || missing > 0) results.note(`sync propagation: ${fmt(missing)} of ${fmt(run.published)} published entries never reached the bench's C stream`);
    if (subscriber.disorder > 0) throw new Error(`C delivered A's entries out of order or twice (${subscriber.disorder} times)`);

    const rate = `${fmt(run.published / run.seconds)} entries/s achieved`;
    const pacing = `${PER_CALL} entry per Publish call every ${(PER_CALL * 1000) / RATE} ms`;
    results.add({ name: 'sync-propagation-p50', value: percentile(ms, 50), unit: 'ms', target: { kind: 'max', value: 5 }, note: `A -> B -> C, ${pacing}, ${rate}` });
    results.add({ name: 'sync-propagation-p99', value: percentile(ms, 99), unit: 'ms', target: { kind: 'max', value: 20 }, note: `publish call issued at A until the entry arrives on a stream from C` });
    results.add({ name: 'sync-propagation-max', value: Math.max(...ms), unit: 'ms', note: `${fmt(ms.length)} entries measured, ${fmt(missing)} missing` });
    results.add({
      name: 'sync-propagation-header-p50',
      value: percentile(headerLag, 50),
      unit: 'ms',
      note: 'cross-check: arrival wall clock minus the entry header timestamp (ms resolution; starts after A signed)',
    });
    results.add({ name: 'sync-propagation-publish-call-p50', value: run.callP50Ms, unit: 'ms', note: `Publish call at A, issue to answer; p99 ${run.callP99Ms.toFixed(1)} ms` });
  } finally {
    subscriber?.close();
    await stopNodes(nodes);
  }
}
