/**
 * node.lock makes sure one process, and one node within it, serves a data directory: it is
 * created with O_EXCL (so two starting processes cannot both win) and holds the owner's pid,
 * so a lock left by a crashed process is recognised and taken over. node.json is written once
 * the node is serving: its pid and the addresses it actually bound (a config may say port 0),
 * which client commands read to find it.
 */
import { existsSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { DtxError } from '../../shared/errors.js';
import { dataPath } from './data-dir.js';

export interface RuntimeInfo {
  pid: number;
  nodeId: string;
  /** HOST:PORT, or https://HOST:PORT when the gRPC port speaks TLS. */
  grpc: string;
  http: string;
  startedAt: string;
  /**
   * With TLS: the port's certificate, the name it is for, and the roots the node trusts, so that
   * a local command reaching the node on its listen address checks the certificate it serves.
   */
  grpcTls?: { certFile: string; serverName?: string; caFile?: string };
}

/** Directories claimed by nodes of this process (a pid alone cannot tell two of them apart). */
const claimedHere = new Set<string>();

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockPath(dir: string): string {
  return `${dataPath(dir, 'runtime')}.lock`;
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

function lockOwner(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockPath(dir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the directory's lock or throws NODE_RUNNING naming who holds it. */
export function claimRuntime(dirArg: string): void {
  const dir = resolve(dirArg);
  if (claimedHere.has(dir)) throw new DtxError('NODE_RUNNING', `a node in this process is already serving ${dir}`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath(dir), 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      claimedHere.add(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = lockOwner(dir);
      if (owner !== undefined && owner !== process.pid && alive(owner)) {
        const running = readRuntime(dir);
        throw new DtxError('NODE_RUNNING', `a node is already running on ${dir} (pid ${owner}${running ? `, gRPC ${running.grpc}` : ''})`);
      }
      // Left behind by a process that died (or by this process before a restart): take it over.
      rmSync(lockPath(dir), { force: true });
    }
  }
  throw new DtxError('NODE_RUNNING', `could not take the lock on ${dir}; another node may be starting`);
}

export function releaseRuntime(dirArg: string): void {
  const dir = resolve(dirArg);
  rmSync(dataPath(dir, 'runtime'), { force: true });
  if (claimedHere.delete(dir)) rmSync(lockPath(dir), { force: true });
}

export function writeRuntime(dir: string, info: RuntimeInfo): void {
  const path = dataPath(dir, 'runtime');
  // Write then rename: a reader never sees half a file.
  writeFileSync(`${path}.tmp`, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
