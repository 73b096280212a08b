/**
 * The outbox's shared tail cache on a real SQLite file: reads through it equal reads from the
 * database, only reads that reach an origin's head are kept, and the total stays bounded (seen
 * by deleting rows from the database after caching: what is still returned came from the cache).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../server/db/database.js';
import { LogStore, type OriginRow } from '../../../server/db/log-store.js';
import { TailCache } from '../../../server/sync/tail-cache.js';

describe('TailCache', () => {
  let dir: string;
  let db: Db;
  let log: LogStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dtx-tail-'));
    db = openDatabase(join(dir, 'dtx.db'), { durability: 'normal' });
    log = new LogStore(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An origin with `count` entries (bytes are placeholders: the cache never looks inside). */
  function origin(keyByte: number, count: number): OriginRow {
    const row = log.ensureOrigin(new Uint8Array(32).fill(keyByte));
    db.transaction(() => {
      for (let seq = 1; seq <= count; seq++) log.appendEntry(row.idx, 1, seq, Buffer.from([seq & 255]), Buffer.alloc(1), Buffer.from(`payload ${seq}`));
      log.setHead(row.idx, { epoch: 1, seq: count, hash: new Uint8Array(32) }, count, 0);
    })();
    return log.origin(row.idx)!;
  }

  const seqs = (rows: { seq: number }[]) => rows.map((r) => r.seq);
  const forget = (o: OriginRow) => db.prepare('DELETE FROM entries WHERE origin = ?').run(o.idx);

  it('answers every position exactly as the database does', () => {
    const o = origin(1, 300);
    const cache = new TailCache(log);
    expect(seqs(cache.read(o, { epoch: 1, seq: 100 }, 1000))).toEqual(seqs(log.readAfter(o.idx, 1, 100, 1000)));
    for (const after of [100, 101, 150, 299, 300]) {
      for (const limit of [1, 7, 1000]) {
        expect(seqs(cache.read(o, { epoch: 1, seq: after }, limit)), `after ${after} limit ${limit}`).toEqual(seqs(log.readAfter(o.idx, 1, after, limit)));
      }
    }
  });

  it('keeps only reads that reach the head, so a backfill never evicts the live tail', () => {
    const o = origin(2, 500);
    const cache = new TailCache(log);
    cache.read(o, { epoch: 1, seq: 0 }, 100); // a backfill page, far from the head
    cache.read(o, { epoch: 1, seq: 450 }, 1000); // the live tail
    forget(o);
    expect(seqs(cache.read(o, { epoch: 1, seq: 480 }, 5))).toEqual([481, 482, 483, 484, 485]);
    expect(cache.read(o, { epoch: 1, seq: 10 }, 5)).toEqual([]);
  });

  it('stays bounded over all origins: the least recently grown tail goes first', () => {
    const origins = [3, 4, 5, 6, 7].map((k) => origin(k, 4096));
    const cache = new TailCache(log);
    for (const o of origins) cache.read(o, { epoch: 1, seq: 0 }, 5000);
    for (const o of origins) forget(o);
    // 5 x 4,096 rows exceed the 16,384-row bound: the first origin's tail was dropped.
    expect(cache.read(origins[0]!, { epoch: 1, seq: 4000 }, 10)).toEqual([]);
    for (const o of origins.slice(1)) expect(seqs(cache.read(o, { epoch: 1, seq: 4090 }, 10))).toEqual([4091, 4092, 4093, 4094, 4095, 4096]);
  });
});
