/**
 * A reader's in-memory index of the recent lookup keys (server/db/recent-lookup-keys.ts) on a
 * real SQLite file: after every refresh it answers exactly what the table holds under each key,
 * through appends, merges that delete a prefix of seq, keys that collide in its hash table and
 * growth past its first size; and it only sees what its snapshot sees.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../server/db/database.js';
import { READ_ROWS, RecentLookupKeys } from '../../server/db/recent-lookup-keys.js';
import { rng } from '../_util/rng.js';
import { makeTempDir, removeDir } from '../_util/test-node.js';

let dir: string;
let db: Db;

beforeEach(() => {
  dir = makeTempDir('recent-keys');
  db = openDatabase(join(dir, 'dtx.db'));
});

afterEach(() => {
  if (db.open) db.close();
  removeDir(dir);
});

const append = (keys: readonly number[]) => {
  const insert = db.prepare('INSERT INTO lookup_recent (lookup_key, id, origin) VALUES (?, ?, 1)');
  db.transaction(() => {
    for (const key of keys) insert.run(key, Buffer.alloc(16));
  })();
};

/** What the table holds under each key, newest seq first. */
function tableIndex(): Map<number, number[]> {
  const index = new Map<number, number[]>();
  for (const [seq, key] of db.prepare('SELECT seq, lookup_key FROM lookup_recent ORDER BY seq DESC').raw(true).all() as [number, number][]) {
    index.set(key, [...(index.get(key) ?? []), seq]);
  }
  return index;
}

function expectMatchesTable(recent: RecentLookupKeys, probes: Iterable<number>): void {
  const index = tableIndex();
  for (const key of probes) expect(recent.candidates(key)).toEqual(index.get(key) ?? []);
  expect(recent.size).toBe(db.prepare('SELECT count(*) FROM lookup_recent').pluck().get());
}

describe('in-memory index of recent lookup keys', () => {
  it('finds every row under its key through appends, prefix deletes, collisions and growth', () => {
    const recent = new RecentLookupKeys(db);
    const next = rng(0x5eed);
    // 300 distinct 48-bit keys, and 40 more whose low 32 bits equal the first ones' (the hash
    // table uses those bits: they collide), so chains and probing both get exercised.
    const keys = Array.from({ length: 300 }, () => Math.floor(next() * 2 ** 48));
    for (let i = 0; i < 40; i++) keys.push(keys[i]! + 2 ** 32 * (1 + (i % 7)));
    const probes = new Set([...keys, 12_345, 2 ** 47]);
    for (let round = 0; round < 60; round++) {
      // Appends of 1 to 400 rows (repeating keys), then now and then a merge's delete of a prefix.
      append(Array.from({ length: 1 + Math.floor(next() * 400) }, () => keys[Math.floor(next() * keys.length)]!));
      if (round % 4 === 3) {
        const seqs = db.prepare('SELECT seq FROM lookup_recent ORDER BY seq').pluck().all() as number[];
        const upTo = seqs[Math.floor(next() * seqs.length)]!;
        db.prepare('DELETE FROM lookup_recent WHERE seq <= ?').run(upTo);
      }
      recent.refresh();
      expectMatchesTable(recent, probes);
    }
  });

  it('keeps up across merges that leave only their newest row, and seqs carry on after it', () => {
    const recent = new RecentLookupKeys(db);
    append([1, 2, 3, 1]);
    recent.refresh();
    expect(recent.candidates(1)).toEqual([4, 1]);
    // What a merge does (lookup-key-store.ts): everything but its newest row goes.
    db.prepare('DELETE FROM lookup_recent WHERE seq < 4').run();
    recent.refresh();
    expect(recent.size).toBe(1);
    expect(recent.candidates(1)).toEqual([4]);
    expect(recent.candidates(2)).toEqual([]);
    // The table was never empty, so new rows follow the newest seq a reader has seen.
    append([1, 5]);
    recent.refresh();
    expect(recent.candidates(1)).toEqual([5, 4]);
    expect(recent.candidates(5)).toEqual([6]);
    expectMatchesTable(recent, [1, 2, 3, 5]);
  });

  it('warms in slices: a bounded refresh says whether it is up to date, and a full one finishes', () => {
    const keys = Array.from({ length: 2 * READ_ROWS + 10 }, (_, i) => (i * 7_919) % 50_000);
    append(keys);
    const recent = new RecentLookupKeys(db);
    expect(recent.refresh(READ_ROWS)).toBe(false);
    expect(recent.size).toBe(READ_ROWS);
    expect(recent.refresh(READ_ROWS)).toBe(false);
    expect(recent.size).toBe(2 * READ_ROWS);
    // Meanwhile a merge drops a prefix and more rows arrive: the full refresh takes both in.
    db.prepare('DELETE FROM lookup_recent WHERE seq <= ?').run(1_000);
    append([1, 2, 3]);
    expect(recent.refresh()).toBe(true);
    expectMatchesTable(recent, new Set([...keys.slice(0, 2_000), 1, 2, 3]));
  });

  it('sees what its connection snapshot sees', () => {
    append([7]);
    const reader = openDatabase(join(dir, 'dtx.db'), { readonly: true });
    try {
      const recent = new RecentLookupKeys(reader);
      reader.exec('BEGIN');
      recent.refresh();
      append([7, 8]);
      recent.refresh();
      // Inside the read transaction: still only the first row.
      expect(recent.candidates(7)).toEqual([1]);
      expect(recent.candidates(8)).toEqual([]);
      reader.exec('COMMIT');
      recent.refresh();
      expect(recent.candidates(7)).toEqual([2, 1]);
      expect(recent.candidates(8)).toEqual([3]);
    } finally {
      reader.close();
    }
  });
});
