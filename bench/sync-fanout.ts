/**
 * Fan-out: one node process serving 100 subscribers at once. 100 member identities go into a
 * fresh node's roster; the bench opens 100 Subscribe streams to it, each on its own channel
 * and TCP connection, and publishes at 1,000 entries/s (10 per call every 10 ms, open loop).
 * Each subscriber notes when each entry arrives; lag = arrival minus the time the entry's
 * Publish call was issued. Reported: the node's peak RSS, the largest per-subscriber p99 lag,
 * and how many subscribers ended at the node's head.
 */
import { readFileSync } from 'node:fs';
import { percentile, type Results } from './metrics.js';
import type { BenchOptions } from './options.js';
import { Budget, fmt, progress } from './progress.js';
import { latencies, makeBatches, publishPaced } from './sync-pacer.js';
import { headSeq, pollUntil, startFreshNode, trust, type SyncNode } from './sync-nodes.js';
import { BenchSubscriber, newMemberIdentity } from './sync-subscriber.js';

const SUBSCRIBERS = 100;
const RATE = 1_000;
const PER_CALL = 10;
const WARMUP_ENTRIES = 100;
const MAX_IN_FLIGHT = 64;

function currentRssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** The fresh node of this benchmark; started early by the caller (node start-up is slow on 2 busy cores). */
export function startFanoutNode(): Promise<SyncNode> {
  return startFreshNode('fanout');
}

/** Runs on `starting` (from startFanoutNode) and stops it. */
export async function runSyncFanout(starting: Promise<SyncNode>, options: BenchOptions, results: Results): Promise<void> {
  const durationMs = options.quick ? 3_000 : 10_000;
  let node: SyncNode | undefined;
  const subscribers: BenchSubscriber[] = [];
  try {
    progress(`sync fan-out: a fresh node, ${SUBSCRIBERS} member identities in its roster`);
    node = await starting;
    const members = Array.from({ length: SUBSCRIBERS }, () => newMemberIdentity());
    await Promise.all(members.map((member, i) => trust(node!, { nodeId: member.nodeId, name: `bench-subscriber-${i}` })));
    await node.admin.publish(makeBatches(1, WARMUP_ENTRIES, 0xfa7)[0]!);
    const idleRssMb = currentRssMb(node.process.pid);

    const firstSeq = WARMUP_ENTRIES + 1;
    const capacity = (RATE * durationMs) / 1000 + 1_000;
    for (const member of members) {
      subscribers.push(new BenchSubscriber({ address: node.process.address, tlsRoots: node.process.tlsRoots, serverNodeId: node.nodeId, member, origin: node.originKey, firstSeq, capacity }));
    }
    const t0 = performance.now();
    await Promise.all(subscribers.map((s) => s.open()));
    const failed = () => subscribers.find((s) => s.error !== undefined)?.error;
    const ready = await pollUntil(() => failed() !== undefined || subscribers.every((s) => s.caughtUp), new Budget('sync fan-out subscribe', 30_000), 20);
    if (failed()) throw failed();
    if (!ready) throw new Error(`only ${subscribers.filter((s) => s.caughtUp).length} of ${SUBSCRIBERS} subscribers caught up with the warm-up entries`);
    progress(`sync fan-out: ${SUBSCRIBERS} streams open and caught up after ${fmt(performance.now() - t0)} ms; node RSS ${idleRssMb.toFixed(0)} MiB before them`);

    const run = await publishPaced(node.admin, { label: 'sync fan-out', rate: RATE, perCall: PER_CALL, durationMs, maxInFlight: MAX_IN_FLIGHT, seed: 0xfa70 });
    const head = await headSeq(node, node.nodeId);
    await pollUntil(() => failed() !== undefined || subscribers.every((s) => s.lastSeq >= head), new Budget('sync fan-out drain', 20_000), 20);
    const rssMb = node.process.peakRssMb();

    const p99s: number[] = [];
    const all: number[] = [];
    let missing = 0;
    for (const s of subscribers) {
      const lag = latencies(run, s.arrivals, firstSeq);
      missing += lag.missing;
      p99s.push(percentile(lag.ms, 99));
      for (const ms of lag.ms) all.push(ms);
    }
    const atHead = subscribers.filter((s) => s.error === undefined && s.lastSeq === head && s.disorder === 0).length;
    const errors = subscribers.filter((s) => s.error !== undefined);
    if (errors.length > 0) results.note(`sync fan-out: ${errors.length} subscriptions failed, first: ${errors[0]!.error!.message}`);
    if (missing > 0) results.note(`sync fan-out: ${fmt(missing)} entry arrivals missing over ${SUBSCRIBERS} subscribers`);
    const messages = subscribers.reduce((sum, s) => sum + s.messages, 0);
    const empty = subscribers.reduce((sum, s) => sum + s.emptyMessages, 0);
    const worst = Math.max(...p99s.map((p) => (Number.isNaN(p) ? Infinity : p)));
    progress(`sync fan-out: p99 lag per subscriber ${percentile(p99s, 50).toFixed(1)} ms median, ${worst.toFixed(1)} ms worst; node peak RSS ${rssMb.toFixed(0)} MiB`);

    const pacing = `${PER_CALL} entries per Publish call every ${(PER_CALL * 1000) / RATE} ms, ${fmt(run.published / run.seconds)} entries/s achieved`;
    // The limit is 300 MB, which is 286.1 MiB (VmHWM is reported in KiB).
    results.add({ name: 'sync-fanout-rss-mb', value: rssMb, unit: 'MiB', target: { kind: 'max', value: 300e6 / 2 ** 20 }, note: `VmHWM of the node serving ${SUBSCRIBERS} streams (${idleRssMb.toFixed(0)} MiB RSS before them); the limit, 300 MB, is 286 MiB` });
    results.add({ name: 'sync-fanout-max-lag-ms', value: worst, unit: 'ms', target: { kind: 'max', value: 1_000 }, note: `largest per-subscriber p99, publish issued until arrival; ${pacing}` });
    results.add({ name: 'sync-fanout-lag-p50', value: percentile(all, 50), unit: 'ms', note: `over all ${SUBSCRIBERS} subscribers, ${fmt(all.length)} arrivals; Publish call p50 ${run.callP50Ms.toFixed(1)} ms` });
    results.add({
      name: 'sync-fanout-messages',
      value: messages,
      unit: 'messages',
      note: `Subscribe messages received over all streams, ${fmt(empty)} of them without entries (heads, caught_up)`,
    });
    results.add({ name: 'sync-fanout-at-head', value: atHead, unit: 'subscribers', target: { kind: 'min', value: SUBSCRIBERS }, note: `ended at the node's head (seq ${fmt(head)}), in order` });
  } finally {
    for (const s of subscribers) s.close();
    // Also when the run failed before it took the node over.
    await (node ?? (await starting.catch(() => undefined)))?.stop();
  }
}
