/**
 * Reads files once so that the OS page cache holds them. This VM reclaims idle page cache, so
 * without it lookup and startup figures would swing between warm and cold disk reads from run
 * to run; the bench reports the warm case, the steady state of a serving node.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { dataPath } from '../server/config/data-dir.js';
import { fmt, progress } from './progress.js';

const CHUNK = 8 * 1024 * 1024;

function readThrough(path: string, buffer: Buffer): number {
  const fd = openSync(path, 'r');
  try {
    let total = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) return total;
      total += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Pulls a data directory's database files into the OS page cache. */
export function warmDatabaseFiles(dir: string, label: string): void {
  const database = dataPath(dir, 'database');
  const buffer = Buffer.allocUnsafe(CHUNK);
  const t0 = performance.now();
  let bytes = 0;
  for (const path of [database, `${database}-wal`]) if (existsSync(path)) bytes += readThrough(path, buffer);
  progress(`${label}: read ${fmt(bytes / 1_048_576)} MiB of database into the OS file cache in ${fmt(performance.now() - t0)} ms`);
}
