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
import { IndicatorStore } from '../../server/db/indicator-store.js';
import type { LookupKeyOptions } from '../../server/db/lookup-key-store.js';
import { LookupMerger } from '../../server/db/lookup-merger.js';
import { silentLogger } from '../../shared/logger.js';
import { expectEachFoundOnce, findAll, valueOf, ViewRows } from '../_util/view-rows.js';

const OPTIONS: LookupKeyOptions = { recentLimit: 40, sliceRows: 8 };

let rows: ViewRows;
let db: Db;

beforeEach(() => {
  rows = new ViewRows();
  db = rows.db;
});

afterEach(() => rows.close());

const put = (store: IndicatorStore, n: number, value: string, version = 1) => rows.put(store, n, value, version);

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
    const again = openDatabase(join(rows.dir, 'dtx.db'));
    try {
      const reopened = new IndicatorStore(again, OPTIONS);
      expect(reopened.lookupKeys.recentRows).toBe(25);
      expectEachFoundOnce(reopened, 25);
    } finally {
      again.close();
    }
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
