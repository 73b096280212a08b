/**
 * A DTX node in its own process: `node dist/bundle/main.js start --data DIR`, listening on
 * 127.0.0.1 with OS-chosen ports. Ready when node.json names the child's pid; its peak RSS is
 * read from /proc/PID/status (VmHWM) before it is stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRuntime } from '../server/config/runtime-file.js';
import { CLI_PATH } from './paths.js';
import { sleep } from './progress.js';

export const LOOPBACK_ANY_PORT = '127.0.0.1:0';

const live = new Set<ChildProcess>();
let profileRoot: string | undefined;
let started = 0;
let tlsArgs: string[] = [];

/** From now on, every node process serves its gRPC port over TLS with this certificate and key, and trusts it. */
export function serveTlsWith(files: { certFile: string; keyFile: string } | undefined): void {
  tlsArgs = files ? ['--tls-cert', files.certFile, '--tls-key', files.keyFile, '--tls-ca', files.certFile] : [];
}

/** From now on, every node process writes V8 CPU profiles into its own folder under `dir`. */
export function profileNodesInto(dir: string): void {
  profileRoot = dir;
}

// Never leave a node running behind the bench, whatever happens to it.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping\n`);
    process.exit(130);
  });
}

export interface NodeProcess {
  readonly pid: number;
  /** HOST:PORT, or https://HOST:PORT with --tls. */
  readonly address: string;
  /** The roots a client trusts for an https:// address. */
  readonly tlsRoots: Uint8Array | undefined;
  /** Milliseconds from spawn until node.json appeared. */
  readonly runtimeFileMs: number;
  /** Peak resident set size so far, MiB (VmHWM). */
  peakRssMb(): number;
  stop(): Promise<void>;
}

export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Spawns the node and resolves once it has written node.json (its gRPC port is bound then). */
export async function startNodeProcess(dir: string, label: string, timeoutMs = 60_000): Promise<NodeProcess> {
  const nodeArgs: string[] = [];
  if (profileRoot !== undefined) {
    const into = join(profileRoot, `${String(++started).padStart(2, '0')}-${label}`);
    mkdirSync(into, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${into}`);
  }
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, CLI_PATH, 'start', '--data', dir, '--grpc', LOOPBACK_ANY_PORT, '--http', LOOPBACK_ANY_PORT, ...tlsArgs], {
    env: { ...process.env, DTX_LOG_LEVEL: 'warn', DTX_NODE: '', DTX_TOKEN: '', DTX_DATA: '', DTX_GRPC: '', DTX_HTTP: '', DTX_TLS_CERT: '', DTX_TLS_KEY: '', DTX_TLS_CA: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let exited: number | string | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? signal;
      live.delete(child);
      resolve();
    }),
  );

  const pid = child.pid!;
  const deadline = performance.now() + timeoutMs;
  let address: string | undefined;
  while (address === undefined) {
    if (exited !== undefined) throw new Error(`the node exited (${exited}) before serving:\n${stderr}`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the node did not write node.json within ${timeoutMs} ms:\n${stderr}`);
    }
    const info = readRuntime(dir);
    if (info?.pid === pid) address = info.grpc;
    else await sleep(2);
  }
  const runtimeFileMs = performance.now() - spawnedAt;
  const caFile = tlsArgs[tlsArgs.indexOf('--tls-ca') + 1];

  return {
    pid,
    address,
    tlsRoots: tlsArgs.length > 0 && caFile ? readFileSync(caFile) : undefined,
    runtimeFileMs,
    peakRssMb: () => peakRssMb(pid),
    stop: async () => {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
      if (exited !== 0) process.stderr.write(`bench: the node ${pid} exited with ${String(exited)} on SIGTERM\n${stderr}`);
    },
  };
}
