/**
 * Helpers for end-to-end tests of the dtx command: run the built CLI as shipped (dist/bundle/main.js, the bundle `npm start` and the `dtx` bin run)
 * as a real subprocess, create temp data directories, start and stop real nodes.
 * Every wait is bounded; nothing here asserts how long anything takes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'dist', 'bundle', 'main.js');
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);

/** Safety net for a hung subprocess; generous, never asserted. */
const RUN_LIMIT_MS = 45_000;
const START_LIMIT_MS = 30_000;
const STOP_LIMIT_MS = 20_000;
const POLL_MS = 25;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Extra environment variables (DTX_* from the test runner's own environment are never passed on). */
  env?: Record<string, string>;
  /** Defaults to the OS temp directory, so a command missing --data never finds a ./data node by accident. */
  cwd?: string;
  /** Written to the child's stdin, which is then closed (stdin is always closed). */
  input?: string;
  /** Close the read end of stdout at once, as `| head` does once it has its lines. */
  closeStdout?: boolean;
}

/** The runner's environment without any DTX_* variable (nor NODE_OPTIONS), plus silent logs. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('DTX_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, DTX_LOG_LEVEL: 'silent', ...extra };
}

/** Runs `dtx ...args` to completion. */
export function dtx(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? tmpdir(),
      env: cliEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    if (options.closeStdout) child.stdout.destroy();
    else child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // the child may exit before reading all input
    child.stdin.end(options.input ?? '');
  });
}

/** Runs dtx, expects exit 0 and returns stdout parsed as JSON. */
export async function dtxJson<T = unknown>(args: readonly string[], options: RunOptions = {}): Promise<T> {
  const r = await dtx(args, options);
  expectOk(r);
  return JSON.parse(r.stdout) as T;
}

export function expectOk(r: CliResult): void {
  if (r.code !== 0) throw new Error(`dtx exited ${r.code ?? r.signal}; stderr: ${r.stderr}`);
}

/**
 * The CLI's error contract: a non-zero exit (2 for INVALID_ARGUMENT, 1 otherwise), stdout empty,
 * one line on stderr starting "dtx: " that carries "[CODE]" and names the field.
 */
export function expectDtxError(r: CliResult, code: string, field?: string | RegExp): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, `stderr: ${r.stderr}`).toHaveLength(1);
  const line = lines[0]!;
  expect(line.startsWith('dtx: '), line).toBe(true);
  expect(line).toContain(`[${code}]`);
  if (field !== undefined) expect(line).toMatch(field);
  expect(r.code).toBe(code === 'INVALID_ARGUMENT' ? 2 : 1);
  expect(r.stdout).toBe('');
  return line;
}

export interface TempDirs {
  root: string;
  /** A fresh path under the root (not created). */
  path(name: string): string;
  cleanup(): void;
}

export function tempDirs(): TempDirs {
  const root = mkdtempSync(join(tmpdir(), 'dtx-e2e-'));
  return {
    root,
    path: (name: string) => join(root, name),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface InitOutput {
  nodeId: string;
  grpc: string;
  http: string;
  data: string;
}

/** `dtx init --json` on loopback port 0. */
export async function initNode(dir: string, extra: readonly string[] = []): Promise<InitOutput> {
  return dtxJson<InitOutput>(['init', '--data', dir, '--grpc', '127.0.0.1:0', '--http', '127.0.0.1:0', '--json', ...extra]);
}

export interface RuntimeInfo {
  pid: number;
  nodeId: string;
  grpc: string;
  http: string;
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningNode {
  dir: string;
  proc: ChildProcess;
  info: RuntimeInfo;
  token: string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait for the exit (idempotent). */
  stop(): Promise<StopResult>;
}

export function runtimePath(dir: string): string {
  return join(dir, 'node.json');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until check() returns a value (not undefined), or throws after limitMs. */
export async function waitFor<T>(what: string, check: () => T | undefined, limitMs = START_LIMIT_MS): Promise<T> {
  const rounds = Math.ceil(limitMs / POLL_MS);
  for (let i = 0; i < rounds; i++) {
    const value = check();
    if (value !== undefined) return value;
    await sleep(POLL_MS);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function readRuntime(dir: string): RuntimeInfo | undefined {
  const path = runtimePath(dir);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RuntimeInfo;
  } catch {
    return undefined; // being written
  }
}

/**
 * `dtx start --data DIR ...extra` as a long-running child; resolves once DIR/node.json exists and
 * the start banner is on stdout.
 */
export async function startNode(dir: string, extra: readonly string[] = []): Promise<RunningNode> {
  const proc = spawn(process.execPath, [CLI, 'start', '--data', dir, ...extra], {
    cwd: tmpdir(),
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let exited: StopResult | undefined;
  const exit = new Promise<StopResult>((r) =>
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      r(exited);
    }),
  );
  let info: RuntimeInfo;
  try {
    info = await waitFor(`node.json in ${dir}`, () => {
      if (exited) throw new Error(`dtx start exited ${exited.code ?? exited.signal}; stderr: ${stderr}`);
      const runtime = readRuntime(dir);
      // The banner is printed right after node.json is written; wait for its last line.
      return runtime && /Ctrl-C/.test(stdout) ? runtime : undefined;
    });
  } catch (err) {
    if (!exited) proc.kill('SIGKILL'); // never leave a half-started node behind
    throw err;
  }
  let stopping: Promise<StopResult> | undefined;
  return {
    dir,
    proc,
    info,
    token: readFileSync(join(dir, 'admin.token'), 'utf8').trim(),
    stdout: () => stdout,
    stderr: () => stderr,
    stop: () =>
      (stopping ??= (async () => {
        if (exited) return exited;
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_LIMIT_MS);
        const result = await exit;
        clearTimeout(timer);
        return result;
      })()),
  };
}

/** Stops a node and checks a clean shutdown: exit 0 and node.json removed. */
export async function stopNodeCleanly(node: RunningNode | undefined): Promise<void> {
  if (!node) return;
  const result = await node.stop();
  expect(result, `stderr: ${node.stderr()}`).toEqual({ code: 0, signal: null });
  expect(existsSync(runtimePath(node.dir))).toBe(false);
}

/** A log entry as printed by `dtx log --format json|ndjson`. */
export interface LogRow {
  origin: string;
  epoch: number;
  seq: number;
  time: string;
  type: string;
  hash: string;
  summary: string;
  header: string;
  signature: string;
  payload: string;
}

/** An indicator as printed by `dtx get|query --format json`. */
export interface IndicatorRow {
  id: string;
  origin: string;
  version: number;
  kind: string;
  value: string;
  tlp: string;
  confidence: number;
  action: string;
  validFrom: string;
  validUntil: string;
  tags: string[];
  campaign: string;
  techniques: string[];
  description: string;
  epoch: number;
  seq: number;
  retracted: boolean;
  retractReason?: string;
}

export interface PublishedRow {
  id: string;
  version: number;
  seq: number;
}

export async function logLength(dataDir: string): Promise<number> {
  return (await dtxJson<LogRow[]>(['log', '--data', dataDir, '--json'])).length;
}

export async function query(dataDir: string, kind: string, value: string, extra: readonly string[] = []): Promise<IndicatorRow[]> {
  return dtxJson<IndicatorRow[]>(['query', '--data', dataDir, '--kind', kind, '--value', value, '--format', 'json', ...extra]);
}

export interface NodeFixture {
  /** The node's data directory. */
  readonly dir: string;
  /** Scratch files beside it, removed with it. */
  readonly dirs: TempDirs;
  init: InitOutput;
  node: RunningNode | undefined;
}

/**
 * One initialised, running node for a test file: made in beforeAll (then `setup` runs), stopped
 * and removed in afterAll.
 */
export function useNodeFixture(setup?: (fixture: NodeFixture) => Promise<void>): NodeFixture {
  const dirs = tempDirs();
  const fixture = { dir: dirs.path('lab'), dirs, node: undefined } as NodeFixture;
  beforeAll(async () => {
    fixture.init = await initNode(fixture.dir);
    fixture.node = await startNode(fixture.dir);
    await setup?.(fixture);
  });
  afterAll(async () => {
    try {
      await stopNodeCleanly(fixture.node);
    } finally {
      dirs.cleanup();
    }
  });
  return fixture;
}
