/**
 * node.json marks a running node: its pid and the addresses it actually bound (a config may say
 * port 0). It doubles as a lock, so two processes never serve one data directory.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { DtxError } from '../../shared/errors.js';
import { dataPath } from './data-dir.js';

export interface RuntimeInfo {
  pid: number;
  nodeId: string;
  grpc: string;
  http: string;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running node's info, or undefined when none runs (a stale file from a crash is ignored). */
export function readRuntime(dir: string): RuntimeInfo | undefined {
  const path = dataPath(dir, 'runtime');
  if (!existsSync(path)) return undefined;
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as RuntimeInfo;
    return typeof info.pid === 'number' && alive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export function claimRuntime(dir: string): void {
  const running = readRuntime(dir);
  if (running && running.pid !== process.pid) {
    throw new DtxError('NODE_RUNNING', `a node is already running on ${dir} (pid ${running.pid}, gRPC ${running.grpc})`);
  }
}

export function writeRuntime(dir: string, info: RuntimeInfo): void {
  const path = dataPath(dir, 'runtime');
  // Write then rename: a reader never sees half a file.
  writeFileSync(`${path}.tmp`, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

export function removeRuntime(dir: string): void {
  rmSync(dataPath(dir, 'runtime'), { force: true });
}
