/**
 * The lookup index in two tables (server/db/lookup-key-store.ts) on a real SQLite file: every
 * indicator is found exactly once whether its key waits in the recent table, sits in the merged
 * one, or a merge is half done; a new version with another value moves its key; the count of
 * waiting rows survives a reopen; and the node's merger drains the recent table in the
 * background. The index rows carry each indicator's match fields (migration 5): they stay equal
 * to the indicators table through new versions, retractions and merges.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, transactionRunner, type Db } from '../../server/db/database.js';
import { IndicatorStore, type IndicatorMatchRow } from '../../server/db/indicator-store.js';
import type { LookupKeyOptions } from '../../server/db/lookup-key-store.js';
import { LookupMerger } from '../../server/db/lookup-merger.js';
import { lookupKey } from '../../server/indicators/lookup-key.js';
import { silentLogger } from '../../shared/logger.js';
import { rng } from '../_util/rng.js';
import { expectEachFoundOnce, findAll, KIND, valueOf, ViewRows, type MatchFields } from '../_util/view-rows.js';

const OPTIONS: LookupKeyOptions = { recentLimit: 40, sliceRows: 8 };

let rows: ViewRows;
let db: Db;

beforeEach(() => {
  rows = new ViewRows();
  db = rows.db;
});

afterEach(() => rows.close());

const put = (store: IndicatorStore, n: number, value: string, version = 1, fields: MatchFields = {}) => rows.put(store, n, value, version, undefined, fields);

const tableRows = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

const FIELDS = 'kind, value, version, action, confidence, valid_until, retract_reason';
const prefixed = (t: string) => FIELDS.split(', ').map((f) => `${t}.${f}`).join(', ');

/**
 * Recent rows that count: their indicator still has their key, and no merged row has it yet
 * (a row is in both tables while its merge runs). The others are left for the merge to drop.
 */
const LIVE_RECENT = `(SELECT DISTINCT lookup_key, id, origin FROM lookup_recent) n
  JOIN indicators i ON i.id = n.id AND i.origin = n.origin AND i.lookup_key = n.lookup_key
  WHERE NOT EXISTS (SELECT 1 FROM lookup_keys m WHERE m.lookup_key = n.lookup_key AND m.id = n.id AND m.origin = n.origin)`;

const liveRows = () => tableRows('lookup_keys') + (db.prepare(`SELECT count(*) FROM ${LIVE_RECENT}`).pluck().get() as number);

/**
 * The index holds one row per indicator of the view, under its key; a merged row's copy of the
 * match fields equals the indicators row (a recent row has no copy: it is read through a join).
 */
function expectIndexEqualsView(): void {
  const view = db.prepare(`SELECT lookup_key, hex(id) AS id, origin, ${FIELDS} FROM indicators ORDER BY 2, 3`).all();
  const index = db
    .prepare(
      `SELECT lookup_key, hex(id) AS id, origin, ${FIELDS} FROM lookup_keys
       UNION ALL SELECT n.lookup_key, hex(n.id), n.origin, ${prefixed('i')} FROM ${LIVE_RECENT}
       ORDER BY 2, 3`,
    )
    .all();
  expect(index).toEqual(view);
}

/**
 * Lookups of each of `values` (single and batch, retracted and expired included) return what
 * the indicators table holds under that value, field for field in the batch.
 */
function expectLookupsEqualView(store: IndicatorStore, values: readonly string[]): void {
  const filter = { includeRetracted: true, includeExpired: true, nowMs: 0 };
  const queries = values.map((value) => ({ kind: KIND, value, lookupKey: lookupKey(KIND, value) }));
  const held = db.prepare(`SELECT lower(hex(id)) AS idHex, origin, version, action, confidence, valid_until AS validUntil, retract_reason AS retractReason
    FROM indicators WHERE kind = ? AND value = ? ORDER BY id, origin`);
  const batch = store.lookupMatchesMany(queries, filter);
  queries.forEach((q, queryIndex) => {
    const expected = held.all(q.kind, q.value) as IndicatorMatchRow[];
    expect(batch.filter((m) => m.queryIndex === queryIndex).map(({ queryIndex: _, ...m }) => m)).toEqual(expected);
    const brief = ({ origin, version, retractReason }: Pick<IndicatorMatchRow, 'origin' | 'version' | 'retractReason'>) => ({ origin, version, retractReason });
    expect(store.lookup(q, filter).map(brief)).toEqual(expected.map(brief));
  });
}

/** A store whose indicators 0 to 39 are merged and whose indicator 40 waits in the recent table. */
function mergedAndRecent() {
  const store = new IndicatorStore(db, OPTIONS);
  const write = transactionRunner(db);
  write(() => {
    for (let n = 0; n < 40; n++) put(store, n, valueOf(n));
  });
  while (store.lookupKeys.mergeDue) write(() => store.lookupKeys.mergeStep());
  write(() => put(store, 40, valueOf(40)));
  // Indicator 40, and 39: a merge leaves the newest row it moved (the table is never emptied).
  expect(tableRows('lookup_recent')).toBe(2);
  return { store, write };
}

/** The matches of one value (of kind KIND), with or without retracted ones, at clock 1,000. */
function matchOf(store: IndicatorStore, value: string, includeRetracted = false) {
  const query = { kind: KIND, value, lookupKey: lookupKey(KIND, value) };
  return store.lookupMatchesMany([query], { includeRetracted, includeExpired: false, nowMs: 1_000 });
}

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
    // 40 rows: 2 steps read them (32 rows a step), 5 move them (80 key ranges of about half a
    // row, 16 ranges a step), 2 delete them from the recent table (32 rows a step).
    expect(steps).toBe(9);
    // Everything there at the start moved; keys added meanwhile wait for the next merge.
    expect(moved).toBe(40);
    expect(tableRows('lookup_keys')).toBe(moved);
    // Plus the newest row moved, which a merge leaves behind (it no longer counts as waiting).
    expect(tableRows('lookup_recent')).toBe(added - moved + 1);
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
    expect(liveRows()).toBe(41);
    // The recent row of 41's old key stays, ignored, until a merge drops it with the rest
    // (beside 41's new one, 3's, and the row the first merge left behind).
    expect(tableRows('lookup_recent')).toBe(4);
    write(() => {
      for (let n = 42; n < 79; n++) put(store, n, valueOf(n));
    });
    while (store.lookupKeys.mergeDue) write(() => store.lookupKeys.mergeStep());
    expect(tableRows('lookup_recent')).toBe(1);
    expect(store.lookupKeys.recentRows).toBe(0);
    expect(tableRows('lookup_keys')).toBe(78);
    expect(findAll(store, ['recent.example', 'moved-from-recent.example']).batch).toEqual([[], [41]]);
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

  it('a merge step that fails is rolled back, and the merge starts over: no key is lost', async () => {
    const store = new IndicatorStore(db, OPTIONS);
    const merger = new LookupMerger(db, store.lookupKeys, silentLogger());
    const write = transactionRunner(db);
    write(() => {
      for (let n = 0; n < 40; n++) put(store, n, valueOf(n));
    });
    // Every move into the merged table fails (as a full disk would) until the trigger goes.
    db.exec("CREATE TEMP TRIGGER fail_merge BEFORE INSERT ON main.lookup_keys BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
    for (let i = 0; i < 20; i++) {
      merger.poke();
      await sleep(1);
    }
    expect(tableRows('lookup_keys')).toBe(0);
    expect(store.lookupKeys.recentRows).toBe(40);
    expectEachFoundOnce(store, 40);
    db.exec('DROP TRIGGER fail_merge');
    merger.poke();
    for (let i = 0; i < 100 && store.lookupKeys.mergeDue; i++) await sleep(1);
    merger.stop();
    expect(store.lookupKeys.mergeDue).toBe(false);
    expect(tableRows('lookup_keys')).toBe(40);
    expectEachFoundOnce(store, 40);
    expectIndexEqualsView();
  });

  it('keepUp runs merge steps at once only while the recent table holds twice its limit', () => {
    const store = new IndicatorStore(db, OPTIONS);
    const merger = new LookupMerger(db, store.lookupKeys, silentLogger());
    const write = transactionRunner(db);
    write(() => {
      for (let n = 0; n < 2 * OPTIONS.recentLimit - 1; n++) put(store, n, valueOf(n));
    });
    // Due, but not behind: left to the event loop.
    merger.keepUp();
    expect(store.lookupKeys.merging).toBeUndefined();
    expect(store.lookupKeys.recentRows).toBe(2 * OPTIONS.recentLimit - 1);
    write(() => put(store, 2 * OPTIONS.recentLimit - 1, valueOf(2 * OPTIONS.recentLimit - 1)));
    // Behind: one step now, with no turn of the event loop in between.
    merger.keepUp();
    expect(store.lookupKeys.merging).toBe('load');
    // One step per call (per message applied, in a node) until the merge has dropped what it moved.
    let calls = 1;
    while (store.lookupKeys.mergeBehind && calls < 100) {
      merger.keepUp();
      calls++;
    }
    // 3 steps read the 80 rows, a few move them (the merger widens quick steps), and the first
    // of 3 drop steps takes out 32: no longer behind. The rest is left to the event loop again.
    expect(calls).toBeGreaterThan(3 + 1);
    expect(store.lookupKeys.merging).toBe('drop');
    expect(store.lookupKeys.recentRows).toBe(2 * OPTIONS.recentLimit - 32);
    merger.keepUp();
    expect(store.lookupKeys.recentRows).toBe(2 * OPTIONS.recentLimit - 32);
    merger.stop();
    expectEachFoundOnce(store, 2 * OPTIONS.recentLimit);
  });

  it('a new version under the same value changes the match it returns, in either table', () => {
    // Indicator 7 sits in the merged table, 40 in the recent one.
    const { store, write } = mergedAndRecent();
    write(() => {
      put(store, 7, valueOf(7), 2, { action: 2, confidence: 90, validUntil: 5_000 });
      put(store, 40, valueOf(40), 2, { action: 3, confidence: 10, validUntil: 6_000 });
    });
    expect(matchOf(store, valueOf(7))).toMatchObject([{ version: 2, action: 2, confidence: 90, validUntil: 5_000, retractReason: 0 }]);
    expect(matchOf(store, valueOf(40))).toMatchObject([{ version: 2, action: 3, confidence: 10, validUntil: 6_000, retractReason: 0 }]);
    // Expired at the lookup's clock: gone from the matches like from the indicators table.
    write(() => put(store, 7, valueOf(7), 3, { validUntil: 500 }));
    expect(matchOf(store, valueOf(7))).toEqual([]);
    expectIndexEqualsView();
  });

  it('a retraction leaves the matches, in either table, and outlives a later version', () => {
    const { store, write } = mergedAndRecent();
    write(() => {
      rows.retract(store, 7, 2);
      rows.retract(store, 40, 3);
    });
    expect(matchOf(store, valueOf(7))).toEqual([]);
    expect(matchOf(store, valueOf(40))).toEqual([]);
    expect(matchOf(store, valueOf(7), true)).toMatchObject([{ retractReason: 2 }]);
    expect(matchOf(store, valueOf(40), true)).toMatchObject([{ retractReason: 3 }]);
    // New versions of retracted indicators, one under another value: still retracted.
    write(() => {
      put(store, 7, valueOf(7), 2, { action: 2 });
      put(store, 40, 'elsewhere.example', 2);
    });
    expect(matchOf(store, valueOf(7), true)).toMatchObject([{ version: 2, action: 2, retractReason: 2 }]);
    expect(matchOf(store, 'elsewhere.example')).toEqual([]);
    expect(matchOf(store, 'elsewhere.example', true)).toMatchObject([{ version: 2, retractReason: 3 }]);
    expect(matchOf(store, valueOf(40), true)).toEqual([]);
    expectIndexEqualsView();
  });

  it('stays equal to the indicators table through random new versions, retractions and merges, and so do lookups', () => {
    const store = new IndicatorStore(db, OPTIONS);
    const write = transactionRunner(db);
    const next = rng(0x10c4);
    const pick = (n: number) => Math.floor(next() * n);
    const versions = new Map<number, number>();
    const values = new Set<string>();
    for (let step = 0; step < 300; step++) {
      write(() => {
        for (let op = 0; op < 1 + pick(4); op++) {
          const n = pick(80);
          const version = (versions.get(n) ?? 0) + 1;
          const roll = next();
          if (version > 1 && roll < 0.15) {
            rows.retract(store, n, 1 + pick(3));
          } else {
            // Half the new versions keep their value, half move to another (and so another key).
            const value = version === 1 || roll < 0.55 ? valueOf(n) : `${n}.v${version}.example`;
            values.add(value);
            put(store, n, value, version, { action: 1 + pick(3), confidence: pick(101), validUntil: pick(2_000) });
            versions.set(n, version);
          }
        }
        if (store.lookupKeys.mergeDue) store.lookupKeys.mergeStep();
      });
      if (step % 10 === 0) {
        expectIndexEqualsView();
        expectLookupsEqualView(store, [...values]);
      }
    }
    expectIndexEqualsView();
    expectLookupsEqualView(store, [...values]);
    expect(tableRows('lookup_keys')).toBeGreaterThan(0);
  });

  it('resizes the slices of a merge in progress, within limits, and the next merge starts afresh', () => {
    const store = new IndicatorStore(db, OPTIONS);
    const write = transactionRunner(db);
    const stepsOfMerge = (factor: number) => {
      let steps = 0;
      while (store.lookupKeys.mergeDue && steps < 1_000) {
        write(() => store.lookupKeys.mergeStep());
        store.lookupKeys.resizeSlices(factor);
        steps++;
      }
      return steps;
    };
    let added = 0;
    const fill = () =>
      write(() => {
        for (const end = added + 40; added < end; added++) put(store, added, valueOf(added));
      });
    fill();
    // 40 rows take 2 steps to read, 5 to move at the starting width and 2 to drop (the first
    // test). Halved after each step that moves, the steps shrink to a sixteenth of their first
    // width and stay there: 16 + 8 + 4 + 2 + 1 + ... ranges over 80 ranges is 54 steps.
    const halving = stepsOfMerge(0.5);
    expect(halving).toBe(2 + 54 + 2);
    expectEachFoundOnce(store, added);
    fill();
    // Doubled after each step that moves, from the starting width again: 16 + 32 + 64 covers 80.
    expect(stepsOfMerge(2)).toBe(2 + 3 + 2);
    expectEachFoundOnce(store, added);
  });

  it('the merger shrinks slices whose steps run long and grows those that run short', async () => {
    let next = 0;
    const merged = async (stepMs: number) => {
      const store = new IndicatorStore(db, OPTIONS);
      // Each step reads the clock twice: at its start and at its end.
      let clock = 0;
      const merger = new LookupMerger(db, store.lookupKeys, silentLogger(), () => (clock += stepMs / 2));
      transactionRunner(db)(() => {
        for (const end = next + 40; next < end; next++) put(store, next, valueOf(next));
      });
      merger.poke();
      for (let i = 0; i < 1_000 && store.lookupKeys.mergeDue; i++) await sleep(0);
      merger.stop();
      expect(store.lookupKeys.mergeDue).toBe(false);
      return clock / stepMs;
    };
    // Against a 10 ms target: 40 ms steps halve the moving steps each time, 1 ms steps double
    // them (the previous test's counts).
    expect(await merged(40)).toBe(2 + 54 + 2);
    const rowsSoFar = tableRows('lookup_keys');
    expect(await merged(1)).toBe(2 + 3 + 2);
    expect(tableRows('lookup_keys')).toBe(rowsSoFar + 40);
    expectEachFoundOnce(new IndicatorStore(db, OPTIONS), 80);
  });
});
