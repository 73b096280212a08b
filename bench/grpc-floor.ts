/**
 * What any unary gRPC call costs on this machine, measured without DTX: a bare grpc-js server
 * in its own process and a bare grpc-js client here, 5-byte messages, one call at a time. The
 * DTX lookup figures are read against it: the node cannot answer faster than this. Measured
 * twice: back to back, and with 10 ms of idleness before each call, as a publisher at 1,000
 * entries/s in batches of 10 sends them (the propagation target): waking idle processes is
 * part of every call then.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolve } from 'node:path';
import { Client, credentials } from '@grpc/grpc-js';
import { ECHO_SERVICE } from './echo-service.js';
import { percentile, type Results } from './metrics.js';
import { PROJECT_ROOT } from './paths.js';
import { Budget, fmt, progress } from './progress.js';

const SERVER = resolve(PROJECT_ROOT, 'dist', 'bench', 'echo-server.js');
/** The gap between calls of a publisher at 1,000 entries/s in batches of 10. */
const IDLE_GAP_MS = 10;

export async function measureGrpcFloor(warmup: number, count: number, results: Results): Promise<void> {
  const child = spawn(process.execPath, [SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await Promise.race([
      once(child.stdout, 'data'),
      once(child, 'exit').then(() => {
        throw new Error('the bare echo server exited before listening');
      }),
    ])) as [Buffer];
    const port = Number(line.toString().trim());
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.enable_channelz': 0 });
    const method = ECHO_SERVICE.echo!;
    const payload = Buffer.from('hello');
    const call = () =>
      new Promise<void>((done, fail) => {
        client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, payload, (err) => (err ? fail(err) : done()));
      });
    try {
      progress(`lookup: ${fmt(count)} calls to a bare grpc-js echo server, one at a time (the machine's floor)`);
      const budget = new Budget('bare gRPC echo', 30_000);
      // Warmed up like the DTX node: V8 optimises the call path over thousands of calls.
      for (let i = 0; i < warmup && !budget.expired; i++) await call();
      const timed = async (calls: number, gapMs: number): Promise<number[]> => {
        const latencies: number[] = [];
        for (let i = 0; i < calls && !budget.expired; i++) {
          if (gapMs > 0) await sleep(gapMs);
          const t0 = performance.now();
          await call();
          latencies.push(performance.now() - t0);
        }
        return latencies;
      };
      const busy = await timed(count, 0);
      const note = `bare grpc-js server and client, no DTX code, ${fmt(busy.length)} calls back to back: any unary call's floor here`;
      results.add({ name: 'rpc-bare-echo-p50', value: percentile(busy, 50), unit: 'ms', note });
      results.add({ name: 'rpc-bare-echo-p99', value: percentile(busy, 99), unit: 'ms' });
      const idle = await timed(Math.ceil(count / 6), IDLE_GAP_MS);
      const idleNote = `the same, ${fmt(idle.length)} calls each after ${IDLE_GAP_MS} ms idle (p99 ${percentile(idle, 99).toFixed(2)} ms)`;
      results.add({ name: 'rpc-bare-echo-idle-p50', value: percentile(idle, 50), unit: 'ms', note: idleNote });
    } finally {
      client.close();
    }
  } finally {
    child.kill('SIGTERM');
  }
}
