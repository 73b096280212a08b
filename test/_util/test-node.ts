/**
 * Real nodes for integration tests: a fresh data directory under the OS temp dir, a DtxNode
 * on 127.0.0.1 port 0 (gRPC and HTTP) in this process, or `dtx start` in a child process.
 * Nothing is mocked; callers stop what they start (afterEach / afterAll).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { DtxClient } from '../../client/index.js';
import { silentLogger, type Logger } from '../../shared/logger.js';
import type { NodeConfig } from '../../server/config/config.js';
import { FILES, initDataDir, readAdminToken, type InitResult } from '../../server/config/data-dir.js';
import { DtxNode } from '../../server/node.js';

/** Both listeners on loopback, ports chosen by the OS. */
export const LOOPBACK_ANY_PORT = { grpc: '127.0.0.1:0', http: '127.0.0.1:0' } as const;

/** The built CLI (`npm run build`; `npm test` builds first). */
export const CLI_MAIN = fileURLToPath(new URL('../../dist/bundle/main.js', import.meta.url));

/** A new, empty directory under the OS temp dir. */
export function makeTempDir(label = 'node'): string {
  return mkdtempSync(join(tmpdir(), `dtx-it-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A fresh temp dir initialized as a node listening on loopback port 0. */
export async function initTempDataDir(options: { name?: string; label?: string } = {}): Promise<InitResult> {
  const dir = makeTempDir(options.label);
  try {
    return await initDataDir(dir, { name: options.name, ...LOOPBACK_ANY_PORT });
  } catch (err) {
    removeDir(dir);
    throw err;
  }
}

export interface RunningTestNode {
  node: DtxNode;
  dir: string;
  /** The admin token from the data directory. */
  token: string;
  /** A client holding the admin token. */
  client: DtxClient;
  /** A client for this node with another token (or none). */
  clientWith(token?: string): DtxClient;
  /** Closes the clients and stops the node; the data directory stays. Idempotent. */
  stop(): Promise<void>;
}

export interface TestNode extends RunningTestNode {
  /** Stops the node and removes its data directory. Idempotent. */
  stop(): Promise<void>;
}

/** Starts a node in this process on an initialized directory (port 0 unless overridden). */
export async function startNodeOn(dir: string, overrides: Partial<NodeConfig> = {}, logger: Logger = silentLogger()): Promise<RunningTestNode> {
  const node = await DtxNode.start(dir, { logger, overrides: { ...LOOPBACK_ANY_PORT, ...overrides } });
  const token = readAdminToken(dir);
  const clients: DtxClient[] = [];
  const clientWith = (t?: string): DtxClient => {
    // A node serving TLS is dialled at https://, trusting the roots it trusts itself.
    const c = new DtxClient({ address: node.grpcAddress, tlsRoots: node.context.tls.roots, ...(t === undefined ? {} : { token: t }) });
    clients.push(c);
    return c;
  };
  const client = clientWith(token);
  let stopped: Promise<void> | undefined;
  return {
    node,
    dir,
    token,
    client,
    clientWith,
    stop: () =>
      (stopped ??= (async () => {
        for (const c of clients) c.close();
        await node.stop();
      })()),
  };
}

/** Inits a temp data dir and starts a node on it; stop() also removes the directory. */
export async function startTestNode(options: { name?: string; overrides?: Partial<NodeConfig>; logger?: Logger } = {}): Promise<TestNode> {
  const { dir } = await initTempDataDir({ name: options.name });
  let running: RunningTestNode;
  try {
    running = await startNodeOn(dir, options.overrides, options.logger);
  } catch (err) {
    removeDir(dir);
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    ...running,
    stop: () =>
      (stopped ??= (async () => {
        try {
          await running.stop();
        } finally {
          removeDir(dir);
        }
      })()),
  };
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedNode {
  child: ChildProcess;
  pid: number;
  dir: string;
  nodeId: string;
  grpc: string;
  http: string;
  /** Settles when the child has exited (and been reaped). */
  exited: Promise<ChildExit>;
  /** What the child wrote to stderr (first 64 KiB). */
  stderr(): string;
  /** Sends a signal and waits for the exit; SIGKILL after killAfterMs if the child lingers. */
  kill(signal?: NodeJS.Signals, killAfterMs?: number): Promise<ChildExit>;
}

const POLL_MS = 50;

/**
 * Runs `node dist/bundle/main.js start --data DIR` and waits (bounded) until the child has
 * written DIR/node.json with its own pid; the gRPC and HTTP addresses come from that file.
 */
export async function spawnNode(dir: string, options: { timeoutMs?: number } = {}): Promise<SpawnedNode> {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run npm run build first`);
  const child = spawn(
    process.execPath,
    [CLI_MAIN, 'start', '--data', dir, '--grpc', LOOPBACK_ANY_PORT.grpc, '--http', LOOPBACK_ANY_PORT.http],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DTX_LOG_LEVEL: 'silent' } },
  );
  let stderr = '';
  child.stdout?.resume();
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 65_536) stderr += chunk;
  });
  let exit: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  const kill = async (signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 10_000): Promise<ChildExit> => {
    if (exit) return exit;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const pid = child.pid;
  const attempts = Math.ceil((options.timeoutMs ?? 30_000) / POLL_MS);
  const path = join(dir, FILES.runtime);
  for (let i = 0; i < attempts; i++) {
    if (exit) throw new Error(`dtx start exited early (${JSON.stringify(exit)}): ${stderr}`);
    if (pid !== undefined && existsSync(path)) {
      try {
        const info = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; nodeId: string; grpc: string; http: string };
        if (info.pid === pid) {
          return { child, pid, dir, nodeId: info.nodeId, grpc: info.grpc, http: info.http, exited, stderr: () => stderr, kill };
        }
      } catch {
        // Half-written by another writer: try again.
      }
    }
    await sleep(POLL_MS);
  }
  await kill('SIGKILL');
  throw new Error(`dtx start did not write ${path} in time: ${stderr}`);
}
