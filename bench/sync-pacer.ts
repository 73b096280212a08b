/**
 * Publishing at a steady rate, open loop: calls go out on a schedule (every perCall/rate
 * seconds) whether or not earlier ones have been answered, as independent publishers would
 * send them, up to a bound of calls in flight. Each published seq is stamped with the time its
 * call was issued, the start of its publish-to-visible latency.
 */
import type { DtxClient, IndicatorInputInit } from '../client/index.js';
import { randomIndicator } from './indicator-mix.js';
import { percentile } from './metrics.js';
import { fmt, progress, sleep } from './progress.js';
import { Random } from './random.js';

export interface PaceOptions {
  label: string;
  /** Entries per second. */
  rate: number;
  /** Entries per Publish call. */
  perCall: number;
  durationMs: number;
  maxInFlight: number;
  seed: number;
}

export interface PacedRun {
  /** performance.now() when the call that published each seq was issued. */
  issuedAt: Map<number, number>;
  published: number;
  /** From the first call issued until the last one was answered. */
  seconds: number;
  calls: number;
  callP50Ms: number;
  callP99Ms: number;
  /** Schedule ticks at which a due call waited because maxInFlight calls were unanswered. */
  heldBack: number;
  lastSeq: number;
}

export function makeBatches(count: number, perCall: number, seed: number): IndicatorInputInit[][] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => Array.from({ length: perCall }, () => randomIndicator(random)));
}

export async function publishPaced(client: DtxClient, options: PaceOptions): Promise<PacedRun> {
  const { rate, perCall, durationMs, maxInFlight } = options;
  const intervalMs = (perCall * 1000) / rate;
  // Generated up front so that making indicators never delays a call.
  const batches = makeBatches(Math.ceil(durationMs / intervalMs), perCall, options.seed);
  const issuedAt = new Map<number, number>();
  const callMs: number[] = [];
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  let heldBack = 0;
  let lastSeq = 0;
  let lastAnswer = 0;
  progress(`${options.label}: ${fmt(rate)} entries/s for ${(durationMs / 1000).toFixed(0)} s, ${perCall} per call every ${intervalMs} ms`);

  const issue = (batch: IndicatorInputInit[]) => {
    const t = performance.now();
    const call: Promise<void> = client
      .publish(batch)
      .then((items) => {
        lastAnswer = performance.now();
        callMs.push(lastAnswer - t);
        for (const item of items) {
          const seq = Number(item.seq);
          issuedAt.set(seq, t);
          if (seq > lastSeq) lastSeq = seq;
        }
      })
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => pending.delete(call));
    pending.add(call);
  };

  const t0 = performance.now();
  let next = 0;
  // Bounded by the batch count, and in time: a node that cannot keep up must not stretch the run.
  while (next < batches.length && failure === undefined && performance.now() - t0 < durationMs * 2) {
    const due = Math.min(batches.length, Math.floor((performance.now() - t0) / intervalMs) + 1);
    while (next < due && pending.size < maxInFlight) issue(batches[next++]!);
    if (next < due) heldBack++;
    await sleep(Math.max(1, Math.floor(next * intervalMs - (performance.now() - t0))));
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
  const published = issuedAt.size;
  const seconds = (lastAnswer - t0) / 1000;
  progress(`${options.label}: published ${fmt(published)} in ${seconds.toFixed(1)} s (${fmt(published / seconds)}/s)${heldBack > 0 ? `, ${fmt(heldBack)} ticks held back by ${maxInFlight} calls in flight` : ''}`);
  return { issuedAt, published, seconds, calls: callMs.length, callP50Ms: percentile(callMs, 50), callP99Ms: percentile(callMs, 99), heldBack, lastSeq };
}

/** Latency per published seq: arrival time minus issue time; missing arrivals are counted, not guessed. */
export function latencies(run: PacedRun, arrivals: Float64Array, firstSeq: number): { ms: number[]; missing: number } {
  const ms: number[] = [];
  let missing = 0;
  for (const [seq, issued] of run.issuedAt) {
    const arrived = arrivals[seq - firstSeq] ?? 0;
    if (arrived === 0) missing++;
    else ms.push(arrived - issued);
  }
  return { ms, missing };
}
