/**
 * Commits without fsync for relayed entries (server/db/database.ts): on a real SQLite file, the
 * writes commit, the connection's safety level is back to FULL afterwards (also when the
 * transaction throws and rolls back), and a connection configured NORMAL stays NORMAL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, unsyncedTransactions, type Db } from '../../server/db/database.js';

const FULL = 2;
const NORMAL = 1;
const opened: { db: Db; dir: string }[] = [];

afterEach(() => {
  for (const { db, dir } of opened.splice(0)) {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function open(durability: 'full' | 'normal'): Db {
  const dir = mkdtempSync(join(tmpdir(), 'dtx-unsynced-'));
  const db = openDatabase(join(dir, 'dtx.db'), { durability });
  db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
  opened.push({ db, dir });
  return db;
}

const level = (db: Db) => db.pragma('synchronous', { simple: true }) as number;
const values = (db: Db) => (db.prepare('SELECT v FROM t ORDER BY v').all() as { v: number }[]).map((r) => r.v);

describe('unsyncedTransactions', () => {
  it('commits the writes and restores FULL on the connection', () => {
    const db = open('full');
    const run = unsyncedTransactions(db);
    let inside = -1;
    run(() => {
      inside = level(db);
      db.prepare('INSERT INTO t VALUES (1), (2)').run();
    });
    expect(inside).toBe(NORMAL);
    expect(level(db)).toBe(FULL);
    expect(values(db)).toEqual([1, 2]);
    // Readable from a second connection: it was committed, not left open.
    const other = openDatabase(db.name, { readonly: true });
    try {
      expect((other.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(2);
    } finally {
      other.close();
    }
  });

  it('rolls back and still restores FULL when the transaction throws', () => {
    const db = open('full');
    const run = unsyncedTransactions(db);
    expect(() =>
      run(() => {
        db.prepare('INSERT INTO t VALUES (7)').run();
        throw new Error('fails half way');
      }),
    ).toThrow('fails half way');
    expect(level(db)).toBe(FULL);
    expect(values(db)).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it('leaves a NORMAL connection as it is', () => {
    const db = open('normal');
    const run = unsyncedTransactions(db);
    run(() => db.prepare('INSERT INTO t VALUES (3)').run());
    expect(level(db)).toBe(NORMAL);
    expect(values(db)).toEqual([3]);
  });
});
