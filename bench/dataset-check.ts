/** Whether a cached dataset is still usable: complete, same schema, not about to expire. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../server/config/data-dir.js';
import { openDatabase } from '../server/db/database.js';
import { LogStore } from '../server/db/log-store.js';
import { SCHEMA_VERSION } from '../server/db/migrations.js';

const MIN_REMAINING_VALIDITY_MS = 7 * 86_400_000;

/** undefined when usable, else why not. */
export function datasetHealth(root: string, size: number): string | undefined {
  const metaPath = join(root, 'meta.json');
  if (!existsSync(metaPath) || !existsSync(join(root, 'samples.json'))) return 'no cached copy';
  let meta: { schema?: number; size?: number; validUntilMs?: number };
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as typeof meta;
  } catch {
    return 'unreadable meta.json';
  }
  if (meta.schema !== SCHEMA_VERSION) return `cached copy has schema ${meta.schema}, now ${SCHEMA_VERSION}`;
  if (meta.size !== size) return 'cached copy has another size';
  if ((meta.validUntilMs ?? 0) < Date.now() + MIN_REMAINING_VALIDITY_MS) return 'cached indicators are about to expire';
  const dbPath = dataPath(join(root, 'node'), 'database');
  if (!existsSync(dbPath)) return 'cached copy has no database';
  try {
    // Read-only: throws when the file's schema version differs from this dtx's.
    const db = openDatabase(dbPath, { readonly: true });
    try {
      const stored = new LogStore(db).totals().indicators;
      if (stored !== size) return `cached database holds ${stored} indicators, expected ${size}`;
    } finally {
      db.close();
    }
  } catch (err) {
    return `cached database unusable: ${(err as Error).message}`;
  }
  return undefined;
}
