/**
 * Bytes on disk per stored indicator: dtx.db plus dtx.db-wal after a WAL checkpoint, divided by
 * N, and where they go (per table and index, from SQLite's dbstat table when it is compiled in).
 */
import { existsSync, statSync } from 'node:fs';
import { dataPath } from '../server/config/data-dir.js';
import { openDatabase } from '../server/db/database.js';
import type { Dataset } from './dataset.js';
import type { Results } from './metrics.js';
import { fmt, progress } from './progress.js';

function fileBytes(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** Folds the WAL into the main file; the content does not change. Needs no node on the directory. */
function checkpoint(dbPath: string): void {
  const db = openDatabase(dbPath);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

function breakdown(dbPath: string): { name: string; bytes: number }[] | undefined {
  const db = openDatabase(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as { name: string; bytes: number }[];
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

export function runStorageBench(dataset: Dataset, results: Results): void {
  const dbPath = dataPath(dataset.dir, 'database');
  checkpoint(dbPath);
  const bytes = fileBytes(dbPath) + fileBytes(`${dbPath}-wal`);
  progress(`storage: ${fmt(bytes / 1_048_576)} MiB for ${fmt(dataset.size)} indicators`);
  results.add({
    name: 'db-bytes-per-indicator',
    value: bytes / dataset.size,
    unit: 'bytes',
    note: `dtx.db + dtx.db-wal after checkpoint, ${fmt(dataset.size)} stored`,
  });
  results.add({ name: 'db-size-mb', value: bytes / 1_048_576, unit: 'MiB' });
  const parts = breakdown(dbPath);
  if (!parts) {
    results.note('storage: dbstat is not available in this SQLite build; no per-table breakdown');
    return;
  }
  for (const part of parts) {
    if (part.bytes / dataset.size < 1) continue;
    results.add({ name: `db-bytes-per-indicator-${part.name.replace(/_/g, '-')}`, value: part.bytes / dataset.size, unit: 'bytes', note: 'pages of this table or index' });
  }
}
