/**
 * Propagation: publish at A, visible two hops away. Three fresh node processes, A -> B -> C
 * (B subscribes to A, C to B; all trust each other). The bench subscribes as a member node to
 * C, and also to A and B to see where along the chain the time goes, and notes when each of
 * A's entries arrives. A gets Publish calls of 10 entries every 10 ms (1,000 entries/s, open
 * loop). Latency = arrival on the bench's stream minus the time the entry's Publish call was
 * issued, both on this process's clock; the entry header's timestamp (A's wall clock when it
 * signed the entry) gives a cross-check.
 */
import { percentile, type Results } from './metrics.js';
import type { BenchOptions } from './options.js';
import { Budget, fmt, progress } from './progress.js';
import { latencies, publishPaced, type PacedRun } from './sync-pacer.js';
import { pollUntil, startFreshNode, stopNodes, subscribe, trust, type SyncNode } from './sync-nodes.js';
import { BenchSubscriber, newMemberIdentity } from './sync-subscriber.js';

const RATE = 1_000;
/** Single-entry calls (one signed, fsynced commit each unless grouped) fall short of 1,000/s here. */
const PER_CALL = 10;
/**
 * Not measured: the same paced publishing first, until each node's code paths are compiled. The
 * first second of a cold run holds most of its slowest entries (p99 177 ms with a single
 * 200-entry warm-up call, 64 - 72 ms after this one, on the same machine).
 */
const WARMUP_MS = 1_500;
const MAX_IN_FLIGHT = 64;

/** Arrival minus entry header timestamp, wall clock, for the run's seqs that arrived. */
function headerLags(run: PacedRun, subscriber: BenchSubscriber, firstSeq: number): number[] {
  const out: number[] = [];
  for (const seq of run.issuedAt.keys()) if (subscriber.arrivals[seq - firstSeq]! > 0) out.push(subscriber.headerLagMs[seq - firstSeq]!);
  return out;
}

export async function runSyncPropagation(options: BenchOptions, results: Results): Promise<void> {
  const durationMs = options.quick ? 3_000 : 10_000;
  const member = newMemberIdentity();
  let nodes: SyncNode[] = [];
  const streams: BenchSubscriber[] = [];
  try {
    progress('sync propagation: starting nodes A, B, C');
    nodes = await Promise.all(['prop-a', 'prop-b', 'prop-c'].map((label) => startFreshNode(label)));
    const [a, b, c] = nodes as [SyncNode, SyncNode, SyncNode];
    // Members trust each other's origins; only the chain's links dial. The bench is a member of all three.
    await trust(a, b);
    await trust(a, c);
    await trust(b, c);
    await trust(c, a);
    for (const node of nodes) await trust(node, { nodeId: member.nodeId, name: 'bench' });
    await subscribe(b, a);
    await subscribe(c, b);

    // Seqs from 1: the warm-up's entries arrive on the same streams but are not measured.
    const firstSeq = 1;
    const capacity = (RATE * (WARMUP_MS + durationMs)) / 1000 + 1_000;
    for (const node of [a, b, c]) streams.push(new BenchSubscriber({ address: node.process.address, tlsRoots: node.process.tlsRoots, serverNodeId: node.nodeId, member, origin: a.originKey, firstSeq, capacity }));
    for (const s of streams) await s.open();
    const [atA, atB, atC] = streams as [BenchSubscriber, BenchSubscriber, BenchSubscriber];
    const failed = () => streams.find((s) => s.error !== undefined)?.error;

    // Warm-up: connections up and code paths hot before the clock runs.
    const warmup = await publishPaced(a.admin, { label: 'sync propagation warm-up', rate: RATE, perCall: PER_CALL, durationMs: WARMUP_MS, maxInFlight: MAX_IN_FLIGHT, seed: 0x3a71 });
    const warm = await pollUntil(() => failed() !== undefined || atC.lastSeq >= warmup.lastSeq, new Budget('sync propagation warm-up', 30_000), 10);
    if (failed()) throw failed();
    if (!warm) throw new Error(`the warm-up entries did not reach C (the bench saw seq ${atC.lastSeq} of ${warmup.lastSeq})`);

    const run = await publishPaced(a.admin, { label: 'sync propagation', rate: RATE, perCall: PER_CALL, durationMs, maxInFlight: MAX_IN_FLIGHT, seed: 0x9a7e });
    const drained = await pollUntil(() => failed() !== undefined || atC.lastSeq >= run.lastSeq, new Budget('sync propagation drain', 20_000), 10);
    if (failed()) throw failed();
    const { ms, missing } = latencies(run, atC.arrivals, firstSeq);
    const hop0 = latencies(run, atA.arrivals, firstSeq).ms;
    const hop1 = latencies(run, atB.arrivals, firstSeq).ms;
    progress(`sync propagation: p50 ${percentile(hop0, 50).toFixed(1)} ms at A's stream, ${percentile(hop1, 50).toFixed(1)} ms at B's, ${percentile(ms, 50).toFixed(1)} ms at C's (p99 ${percentile(ms, 99).toFixed(1)} ms)`);
    if (!drained || missing > 0) results.note(`sync propagation: ${fmt(missing)} of ${fmt(run.published)} published entries never reached the bench's stream from C`);
    const disorder = streams.reduce((sum, s) => sum + s.disorder, 0);
    if (disorder > 0) throw new Error(`a stream delivered A's entries out of order or twice (${disorder} times)`);

    const pacing = `${PER_CALL} entries per Publish call every ${(PER_CALL * 1000) / RATE} ms, ${fmt(run.published / run.seconds)} entries/s achieved`;
    results.add({ name: 'sync-propagation-p50', value: percentile(ms, 50), unit: 'ms', target: { kind: 'max', value: 5 }, note: `A -> B -> C; ${pacing}` });
    results.add({ name: 'sync-propagation-p99', value: percentile(ms, 99), unit: 'ms', target: { kind: 'max', value: 20 }, note: 'Publish call issued at A until the entry arrives on a Subscribe stream from C' });
    results.add({ name: 'sync-propagation-max', value: Math.max(...ms), unit: 'ms', note: `${fmt(ms.length)} entries measured, ${fmt(missing)} missing` });
    results.add({ name: 'sync-propagation-hop0-p50', value: percentile(hop0, 50), unit: 'ms', note: `the same on a stream from A itself (p99 ${percentile(hop0, 99).toFixed(1)} ms)` });
    results.add({ name: 'sync-propagation-hop1-p50', value: percentile(hop1, 50), unit: 'ms', note: `on a stream from B (p99 ${percentile(hop1, 99).toFixed(1)} ms)` });
    results.add({
      name: 'sync-propagation-header-p50',
      value: percentile(headerLags(run, atC, firstSeq), 50),
      unit: 'ms',
      note: "cross-check at C: arrival wall clock minus the entry header's timestamp (set when A signs; ms resolution)",
    });
    results.add({ name: 'sync-propagation-publish-call-p50', value: run.callP50Ms, unit: 'ms', note: `Publish call at A, issued until answered; p99 ${run.callP99Ms.toFixed(1)} ms` });
  } finally {
    for (const s of streams) s.close();
    await stopNodes(nodes);
  }
}
