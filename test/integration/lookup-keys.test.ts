/**
 * The lookup index in two tables (server/db/lookup-key-store.ts) on a real SQLite file: every
 * indicator is found exactly once whether its key waits in the recent table, sits in the merged
 * one, or a merge is half done; a new version with another value moves its key; the count of
 * waiting rows survives a reopen; and the node's merger drains the recent table in the
 * background.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, transactionRunner, type Db } from '../../server/db/database.js';
import { IndicatorStore, type NewIndicatorRow } from '../../server/db/indicator-store.js';
import { LogStore } from '../../server/db/log-store.js';
import type { LookupKeyOptions } from '../../server/db/lookup-key-store.js';
import { LookupMerger } from '../../server/db/lookup-merger.js';
import { lookupKey } from '../../server/indicators/lookup-key.js';
import { silentLogger } from '../../shared/logger.js';
import { makeTempDir, removeDir } from '../_util/test-node.js';

const KIND = 3;
const OPTIONS: LookupKeyOptions = { recentLimit: 40, sliceRows: 8 };
const FILTER = { includeRetracted: false, includeExpired: false, nowMs: 0 };

let dir: string;
let db: Db;
let logs: LogStore;
let origin: number;

beforeEach(() => {
  dir = makeTempDir('lookup-keys');
  db = openDatabase(join(dir, 'dtx.db'));
  logs = new LogStore(db);
  origin = logs.ensureOrigin(Buffer.alloc(32, 9)).idx;
});

afterEach(() => {
  if (db.open) db.close();
  removeDir(dir);
});

function idOf(n: number): Buffer {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(n, 12);
  return id;
}

let seq = 0;

/** Stores version `version` of indicator n with `value`, as the view does: entry, then row. */
function put(store: IndicatorStore, n: number, value: string, version = 1): void {
  seq++;
  const entry = logs.appendEntry(origin, 1, seq, Buffer.from(`header ${seq}`), Buffer.alloc(64), Buffer.from(value));
  const row: NewIndicatorRow = { id: idOf(n), origin, version, entry, lookupKey: lookupKey(KIND, value), kind: KIND, value, action: 1, confidence: 50, validUntil: 9e15 };
  store.put(row, store.key(row.id, origin));
}

const valueOf = (n: number) => `198.51.${n >> 8}.${n & 255}`;

/** Indicator numbers found for each value, by single lookups and by one batch lookup. */
function findAll(store: IndicatorStore, values: readonly string[]): { single: number[][]; batch: number[][] } {
  const queries = values.map((value) => ({ kind: KIND, value, lookupKey: lookupKey(KIND, value) }));
  const single = queries.map((q) => store.lookup(q, FILTER).map((r) => r.id.readUInt32BE(12)));
  const batch = values.map(() => [] as number[]);
  for (const m of store.lookupMatchesMany(queries, FILTER)) batch[m.queryIndex]!.push(Number.parseInt(m.idHex.slice(24), 16));
  return { single, batch };
}

function expectEachFoundOnce(store: IndicatorStore, count: number): void {
  const values = Array.from({ length: count }, (_, n) => valueOf(n));
  const expected = values.map((_, n) => [n]);
  const { single, batch } = findAll(store, values);
  expect(single).toEqual(expected);
  expect(batch).toEqual(expected);
}

const tableRows = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

describe('lookup index in two tables', () => {
  it('finds every indicator exactly once before, during and after a merge, and new keys added mid-merge too', () => {
    const store = new IndicatorStore(db, OPTIONS);
    const write = transactionRunner(db);
    write(() => {
      for (let n = 0; n < 39; n++) put(store, n, valueOf(n));
    });
    expect(store.lookupKeys.recentRows).toBe(39);
    expect(store.lookupKeys.mergeDue).toBe(false);
    expect(store.lookupKeys.mergeStep()).toBe(0);
    write(() => put(store, 39, valueOf(39)));
    expect(store.lookupKeys.mergeDue).toBe(true);
    expectEachFoundOnce(store, 40);

    let steps = 0;
    let moved = 0;
    let added = 40;
    while (store.lookupKeys.mergeDue && steps < 100) {
      write(() => {
        moved += store.lookupKeys.mergeStep();
      });
      steps++;
      // Keys that arrive while the merge is under way, some in ranges it has passed.
      if (steps % 2 === 0) write(() => put(store, added, valueOf(added++)));
      expectEachFoundOnce(store, added);
    }
    expect(steps).toBe(5); // 40 rows in slices of about 8
    // Everything there at the start moved, and keys added ahead of the merge's position too.
    expect(moved).toBeGreaterThanOrEqual(40);
    expect(tableRows('lookup_keys')).toBe(moved);
    expect(tableRows('lookup_keys_new')).toBe(added - moved);
    expect(store.lookupKeys.recentRows).toBe(added - moved);
  });

  it('moves the key of a new version with another value, wherever the old key is', () => {
    const store = new IndicatorStore(db, OPTIONS);
    const write = transactionRunner(db);
    write(() => {
      for (let n = 0; n < 40; n++) put(store, n, valueOf(n));
    });
    while (store.lookupKeys.mergeDue) write(() => store.lookupKeys.mergeStep());
    // Indicator 3's key is in the merged table, indicator 41's in the recent one.
    write(() => put(store, 41, 'recent.example'));
    write(() => {
      put(store, 3, 'moved-from-merged.example', 2);
      put(store, 41, 'moved-from-recent.example', 2);
      put(store, 5, valueOf(5), 2); // same value: the key stays where it is
    });
    const { single, batch } = findAll(store, [valueOf(3), 'recent.example', 'moved-from-merged.example', 'moved-from-recent.example', valueOf(5)]);
    const expected = [[], [], [3], [41], [5]];
    expect(single).toEqual(expected);
    expect(batch).toEqual(expected);
    expect(tableRows('lookup_keys') + tableRows('lookup_keys_new')).toBe(41);
  });

  it('counts the waiting rows again when the database is reopened', () => {
    const store = new IndicatorStore(db, OPTIONS);
    transactionRunner(db)(() => {
      for (let n = 0; n < 25; n++) put(store, n, valueOf(n));
    });
    db.close();
    db = openDatabase(join(dir, 'dtx.db'));
    logs = new LogStore(db);
    const reopened = new IndicatorStore(db, OPTIONS);
    expect(reopened.lookupKeys.recentRows).toBe(25);
    expectEachFoundOnce(reopened, 25);
  });

  it('the merger drains the recent table in the background, between other work', async () => {
    const store = new IndicatorStore(db, OPTIONS);
    const merger = new LookupMerger(db, store.lookupKeys, silentLogger());
    const write = transactionRunner(db);
    for (let n = 0; n < 100; n++) {
      write(() => put(store, n, valueOf(n)));
      merger.poke();
      if (n % 10 === 9) await sleep(0);
    }
    for (let i = 0; i < 100 && store.lookupKeys.mergeDue; i++) await sleep(1);
    expect(store.lookupKeys.mergeDue).toBe(false);
    expect(store.lookupKeys.recentRows).toBeLessThan(OPTIONS.recentLimit);
    expect(tableRows('lookup_keys')).toBeGreaterThan(0);
    expectEachFoundOnce(store, 100);
    merger.stop();
  });
});
