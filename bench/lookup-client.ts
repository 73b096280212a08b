/**
 * Single calls timed from a client process of its own: GetNodeInfo and one-pair lookups, one at
 * a time, against a running node. The lookup group's own timings run in the bench's process,
 * whose heap holds whatever the earlier groups left; these show how much of the tail is that
 * process rather than the node. Run as a child by lookup-bench.ts with a JSON job on stdin;
 * prints one JSON line of latencies (ms).
 */
import { DtxClient } from '../client/index.js';
import type { LookupPair } from './indicator-mix.js';

export interface LookupClientJob {
  address: string;
  token: string;
  warmup: number;
  count: number;
  /** Stored pairs to look up, used in turn. */
  pairs: LookupPair[];
  /** Stop timing after this long, whatever the count. */
  budgetMs: number;
}

export interface LookupClientResult {
  nodeInfo: number[];
  lookup: number[];
}

async function run(job: LookupClientJob): Promise<LookupClientResult> {
  const client = new DtxClient({ address: job.address, token: job.token, timeoutMs: 30_000 });
  try {
    await client.ready(10_000);
    const deadline = performance.now() + job.budgetMs;
    const pair = (i: number) => job.pairs[i % job.pairs.length]!;
    // Both paths warmed: lookups go over the lookup stream, GetNodeInfo is a unary call.
    for (let i = 0; i < job.warmup && performance.now() < deadline; i++) await client.lookup([pair(i)]);
    for (let i = 0; i < job.count && performance.now() < deadline; i++) await client.nodeInfo();
    const time = async (call: (i: number) => Promise<unknown>): Promise<number[]> => {
      const latencies: number[] = [];
      for (let i = 0; i < job.count && performance.now() < deadline; i++) {
        const t0 = performance.now();
        await call(i);
        latencies.push(performance.now() - t0);
      }
      return latencies;
    };
    const nodeInfo = await time(() => client.nodeInfo());
    const lookup = await time(async (i) => {
      if ((await client.lookup([pair(i)])).length !== 1) throw new Error(`a stored pair was not found: ${pair(i).kind} ${pair(i).value}`);
    });
    return { nodeInfo, lookup };
  } finally {
    client.close();
  }
}

let input = '';
process.stdin.setEncoding('utf8').on('data', (chunk: string) => (input += chunk));
process.stdin.on('end', () => {
  run(JSON.parse(input) as LookupClientJob).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: unknown) => {
      process.stderr.write(`lookup client: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
});
