/**
 * Rows inserted sixteen to a statement (server/db/multi-row-insert.ts) on a real SQLite file:
 * every row goes in once, in order, whatever the count, with or without a result callback; and
 * the rowids LogStore.appendEntries hands back are the rows' own.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../server/db/database.js';
import { LogStore } from '../../server/db/log-store.js';
import { MAX_ROWS, MultiRowInsert } from '../../server/db/multi-row-insert.js';
import { makeTempDir, removeDir } from '../_util/test-node.js';

let dir: string;
let db: Db;

beforeEach(() => {
  dir = makeTempDir('multi-row');
  db = openDatabase(join(dir, 'dtx.db'));
  db.exec('CREATE TABLE t (a INTEGER NOT NULL, b TEXT NOT NULL)');
});

afterEach(() => {
  db.close();
  removeDir(dir);
});

describe('multi-row inserts', () => {
  it.each([0, 1, MAX_ROWS - 1, MAX_ROWS, MAX_ROWS + 1, 3 * MAX_ROWS + 5])('inserts %i rows in order, each once', (rows) => {
    const insert = new MultiRowInsert(db, 'INSERT INTO t (a, b)', 2);
    const seen: [number, number, number][] = [];
    insert.run(
      rows,
      (i, params, at) => {
        params[at] = i;
        params[at + 1] = `row ${i}`;
      },
      (result, first, count) => seen.push([first, count, result.changes]),
    );
    expect(db.prepare('SELECT a, b FROM t ORDER BY rowid').raw(true).all()).toEqual(Array.from({ length: rows }, (_, i) => [i, `row ${i}`]));
    expect(seen.reduce((n, [, count, changes]) => (expect(changes).toBe(count), n + count), 0)).toBe(rows);
    // Without a result callback too (twice: a reused parameter array must not leak old rows).
    insert.run(rows, (i, params, at) => {
      params[at] = -i;
      params[at + 1] = 'again';
    });
    expect(db.prepare("SELECT count(*) FROM t WHERE b = 'again'").pluck().get()).toBe(rows);
  });

  it('appendEntries returns each entry its own rowid', () => {
    const logs = new LogStore(db);
    const origin = logs.ensureOrigin(Buffer.alloc(32, 1)).idx;
    // Rowids that do not start at 1: one entry stored the ordinary way first.
    logs.appendEntry(origin, 1, 1, Buffer.from('h1'), Buffer.alloc(64), Buffer.from('p1'));
    const entries = Array.from({ length: 40 }, (_, i) => ({ seq: i + 2 }));
    const rowids = logs.appendEntries(origin, entries, (e) => ({ epoch: 1, seq: e.seq, header: Buffer.from(`h${e.seq}`), signature: Buffer.alloc(64), payload: Buffer.from(`p${e.seq}`) }));
    expect(rowids).toHaveLength(40);
    rowids.forEach((rowid, i) => expect(Buffer.from(logs.entry(rowid)!.payload).toString()).toBe(`p${i + 2}`));
  });
});
