/**
 * The Bloom filter of lookup keys (server/db/key-filter.ts, lookup-key-filter.ts): never a
 * false negative, whether a key was stored before the build, while it ran (beside merges of the
 * lookup index), or after; few false positives; a larger rebuild once it fills; and the reader
 * threads test the same memory the main thread sets.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, transactionRunner } from '../../server/db/database.js';
import { IndicatorStore } from '../../server/db/indicator-store.js';
import { KeyFilter } from '../../server/db/key-filter.js';
import { LookupKeyFilter } from '../../server/db/lookup-key-filter.js';
import { LookupMerger } from '../../server/db/lookup-merger.js';
import { lookupKey } from '../../server/indicators/lookup-key.js';
import { silentLogger } from '../../shared/logger.js';
import { capturingLogger } from '../_util/logs.js';
import { rng } from '../_util/rng.js';
import { emailBatch, hex64 } from '../_util/samples.js';
import { startTestNode } from '../_util/test-node.js';
import { expectEachFoundOnce, KIND, valueOf, ViewRows } from '../_util/view-rows.js';

/** Random 48-bit keys, as lookupKey makes them. */
function randomKeys(count: number, seed: number): number[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => Math.floor(next() * 2 ** 48));
}

const until = async (done: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !done(); i++) await sleep(5);
  if (!done()) throw new Error(`timed out waiting for ${what}`);
};

describe('key filter', () => {
  it('finds every key added and rules out almost all others, once ready', () => {
    const filter = KeyFilter.create(10_000);
    const present = randomKeys(10_000, 1);
    for (const key of present) filter.add(key);
    const absent = randomKeys(100_000, 2);
    // Building: every answer is "maybe".
    expect(absent.every((key) => filter.mightContain(key))).toBe(true);
    filter.markReady();
    expect(present.every((key) => filter.mightContain(key))).toBe(true);
    const falsePositives = absent.filter((key) => filter.mightContain(key)).length;
    expect(falsePositives / absent.length).toBeLessThan(0.01);
    // Another view of the same memory (a reader thread's) sees the same bits and state.
    const view = KeyFilter.view(filter.memory);
    expect(view.ready).toBe(true);
    expect(present.every((key) => view.mightContain(key))).toBe(true);
    expect(absent.filter((key) => view.mightContain(key)).length).toBe(falsePositives);
  });
});

describe('lookup key filter on a real database', () => {
  let rows: ViewRows;
  beforeEach(() => {
    rows = new ViewRows();
  });
  afterEach(() => rows.close());

  it('holds every key stored before its build, in either table of the lookup index', async () => {
    const store = new IndicatorStore(rows.db, { recentLimit: 50, sliceRows: 10 });
    const filter = new LookupKeyFilter(rows.db, silentLogger());
    store.lookupKeys.filter = filter;
    const write = transactionRunner(rows.db);
    write(() => {
      for (let n = 0; n < 120; n++) rows.put(store, n);
    });
    // A merge cut short: part of the keys moved, the rest only in the recent table.
    for (let i = 0; i < 10 && store.lookupKeys.merging !== 'move'; i++) write(() => store.lookupKeys.mergeStep());
    write(() => store.lookupKeys.mergeStep());
    const merged = rows.db.prepare('SELECT count(*) FROM lookup_keys').pluck();
    // Built on a new filter object, as a restarted node would: only the scan fills it.
    const fresh = new LookupKeyFilter(rows.db, silentLogger());
    store.lookupKeys.filter = fresh;
    fresh.start();
    await until(() => !fresh.rebuilding, 'the build');
    expect(merged.get()).toBeGreaterThan(0);
    expect(merged.get()).toBeLessThan(120);
    expectEachFoundOnce(store, 120);
  });

  it('holds every key stored before, during and after its build, beside merges', async () => {
    const store = new IndicatorStore(rows.db, { recentLimit: 50, sliceRows: 10 });
    const filter = new LookupKeyFilter(rows.db, silentLogger());
    store.lookupKeys.filter = filter;
    const merger = new LookupMerger(rows.db, store.lookupKeys, silentLogger());
    const write = transactionRunner(rows.db);
    let stored = 0;
    write(() => {
      for (; stored < 120; stored++) rows.put(store, stored);
    });
    for (let i = 0; i < 4; i++) write(() => store.lookupKeys.mergeStep());
    filter.start();
    expect(filter.rebuilding).toBe(true);
    // Writes and merge slices interleave with the build's slices.
    while (filter.rebuilding) {
      write(() => rows.put(store, stored++));
      merger.poke();
      await new Promise((resolve) => setImmediate(resolve));
    }
    merger.stop();
    expect(filter.memory).toBeDefined();
    expect(store.lookupKeys.recentRows).toBeGreaterThan(0);
    expectEachFoundOnce(store, stored);
    for (let n = stored; n < stored + 20; n++) rows.put(store, n);
    expectEachFoundOnce(store, stored + 20);
    // Values never stored: the filter answers most of them without SQLite.
    const absent = Array.from({ length: 2_000 }, (_, n) => lookupKey(KIND, valueOf(100_000 + n)));
    expect(absent.filter((key) => filter.mightContain(key)).length).toBeLessThan(40);
  });

  it('builds a larger filter once this one holds more keys than it was sized for, and keeps answering meanwhile', async () => {
    const store = new IndicatorStore(rows.db);
    const filter = new LookupKeyFilter(rows.db, silentLogger());
    store.lookupKeys.filter = filter;
    filter.start();
    await until(() => !filter.rebuilding, 'the first build');
    const first = filter.memory!;
    const capacity = KeyFilter.view(first).sizedFor;
    const write = transactionRunner(rows.db);
    let stored = 0;
    // Past the capacity in writes of 10,000: the rebuild starts on the way.
    while (!filter.rebuilding) {
      write(() => {
        for (let i = 0; i < 10_000; i++) rows.put(store, stored++);
      });
    }
    expect(stored).toBeGreaterThan(capacity);
    expect(filter.memory).toBe(first);
    await until(() => !filter.rebuilding, 'the rebuild');
    expect(filter.memory).not.toBe(first);
    expect(KeyFilter.view(filter.memory!).sizedFor).toBeGreaterThan(capacity);
    const sample = Array.from({ length: 500 }, (_, i) => Math.floor((i * stored) / 500));
    for (const n of sample) expect(filter.mightContain(lookupKey(KIND, valueOf(n)))).toBe(true);
  }, 60_000);
});

describe('lookup key filter that cannot be built', () => {
  it('answers "maybe" for every key, warns once, and tries no more', async () => {
    const { logger, lines } = capturingLogger();
    // An in-memory database: the build's worker cannot open it from its own thread.
    const db = openDatabase(':memory:');
    try {
      const filter = new LookupKeyFilter(db, logger);
      filter.start();
      await until(() => !filter.rebuilding, 'the build to fail');
      expect(filter.memory).toBeUndefined();
      expect(randomKeys(100, 3).every((key) => filter.mightContain(key))).toBe(true);
      filter.start();
      expect(filter.rebuilding).toBe(false);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('building the lookup key filter failed; lookups probe the index for every key');
      await filter.stop();
    } finally {
      db.close();
    }
  });
});

describe('lookup key filter in a node', () => {
  it('is built once the node serves, used by the readers, and nothing stored is missed', async () => {
    const t = await startTestNode({ overrides: { lookupReaders: 2 } });
    try {
      const email = (seed: string) => ({ kind: 'account.email', value: hex64(`email:${seed}`) });
      await t.client.publish(emailBatch('f', 600));
      await until(() => t.node.context.keyFilter.memory !== undefined, 'the node to build its filter');
      await t.client.publish(emailBatch('g', 300));
      const queries = Array.from({ length: 1_800 }, (_, i) => (i % 2 === 0 ? email(i % 4 === 0 ? `f/${(i / 4) % 600}` : `g/${i % 300}`) : email(`none/${i}`)));
      const matches = await t.client.lookupMatches(queries);
      expect(matches.map((m) => m.queryIndex)).toEqual(queries.map((_, i) => i).filter((i) => i % 2 === 0));
      const single = await t.client.lookup([email('g/299'), email('none/1')]);
      expect(single.map((r) => r.queryIndex)).toEqual([0]);
      const { keyFilter } = t.node.context;
      const misses = queries.filter((_, i) => i % 2 === 1).filter((q) => keyFilter.mightContain(lookupKey(1, q.value)));
      expect(misses.length).toBeLessThan(20);
    } finally {
      await t.stop();
    }
  });
});
