/**
 * Background checkpoints (server/db/checkpointer.ts) on a real SQLite file: what the main
 * connection writes reaches the database file through the worker while the main connection's
 * own automatic checkpoint is far away, and stopping lets the main connection close cleanly
 * (log checkpointed and removed).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKSTOP_PAGES, Checkpointer } from '../../server/db/checkpointer.js';
import { openDatabase, type Db } from '../../server/db/database.js';
import { silentLogger } from '../../shared/logger.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openTemp(): { db: Db; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dtx-checkpoint-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'dtx.db');
  const db = openDatabase(path);
  cleanups.push(() => {
    if (db.open) db.close();
  });
  db.exec('CREATE TABLE t (v BLOB NOT NULL)');
  return { db, path };
}

/** About `pages` pages of new data, in transactions of 100 rows of 4 KiB. */
function write(db: Db, pages: number): void {
  const insert = db.prepare('INSERT INTO t VALUES (randomblob(4000))');
  const batch = db.transaction(() => {
    for (let i = 0; i < 100; i++) insert.run();
  });
  for (let done = 0; done < pages; done += 100) batch();
}

describe('Checkpointer', () => {
  it('copies the log into the database file off the main connection', async () => {
    const { db, path } = openTemp();
    const checkpointer = new Checkpointer(db, silentLogger(), 20);
    cleanups.push(() => checkpointer.stop());
    checkpointer.start();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    const before = statSync(path).size;
    write(db, 2_000);
    // Well below the backstop: only the worker can have moved these pages into the file.
    const deadline = Date.now() + 10_000;
    while (statSync(path).size < before + 2_000 * 4_000 && Date.now() < deadline) await sleep(20);
    expect(statSync(path).size).toBeGreaterThanOrEqual(before + 2_000 * 4_000);
    expect((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(2_000);
  });

  it('stops, and the main connection then closes with the log checkpointed and removed', async () => {
    const { db, path } = openTemp();
    const checkpointer = new Checkpointer(db, silentLogger(), 20);
    checkpointer.start();
    write(db, 300);
    await checkpointer.stop();
    await checkpointer.stop(); // idempotent
    write(db, 100);
    db.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = openDatabase(path, { readonly: true });
    try {
      expect((reopened.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(400);
    } finally {
      reopened.close();
    }
  });

  it('stops when it was never started, leaving the connection as it was', async () => {
    const { db } = openTemp();
    const checkpointer = new Checkpointer(db, silentLogger(), 20);
    await checkpointer.stop();
    checkpointer.start(); // after stop: stays stopped
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
  });
});
