/**
 * Time to serve at N stored: from spawning `dtx start` on the cached dataset until a
 * GetNodeInfo call succeeds (node.json polled every 2 ms, then the call retried until it
 * answers). The OS file cache is warm: the dataset was just built or read.
 */
import { DtxClient } from '../client/index.js';
import type { Dataset } from './dataset.js';
import { median, type Results } from './metrics.js';
import { startNodeProcess } from './node-process.js';
import { fmt, progress, sleep } from './progress.js';

const RUNS = 3;
const CALL_TIMEOUT_MS = 30_000;

async function untilServing(address: string): Promise<bigint> {
  const client = new DtxClient({ address, timeoutMs: 2_000 });
  const deadline = performance.now() + CALL_TIMEOUT_MS;
  try {
    for (;;) {
      try {
        return (await client.nodeInfo()).indicators;
      } catch (err) {
        if (performance.now() > deadline) throw err;
        await sleep(2);
      }
    }
  } finally {
    client.close();
  }
}

export async function runStartupBench(dataset: Dataset, results: Results): Promise<void> {
  const total: number[] = [];
  const toRuntimeFile: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const t0 = performance.now();
    const node = await startNodeProcess(dataset.dir, 'startup');
    try {
      const indicators = await untilServing(node.address);
      const ms = performance.now() - t0;
      if (indicators !== BigInt(dataset.size)) throw new Error(`the node reports ${indicators} indicators, expected ${dataset.size}`);
      total.push(ms);
      toRuntimeFile.push(node.runtimeFileMs);
      progress(`startup: run ${run}/${RUNS}: serving after ${ms.toFixed(0)} ms (node.json after ${node.runtimeFileMs.toFixed(0)} ms)`);
    } finally {
      await node.stop();
    }
  }
  results.add({
    name: 'startup-to-serving-ms',
    value: median(total),
    unit: 'ms',
    target: { kind: 'max', value: 1_000 },
    note: `median of ${RUNS}, ${fmt(dataset.size)} stored; spawn to first GetNodeInfo answer`,
  });
  results.add({ name: 'startup-to-node-json-ms', value: median(toRuntimeFile), unit: 'ms', note: 'spawn until node.json is written' });
}
