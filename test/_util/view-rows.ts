/**
 * Rows of the indicator view written straight through the stores, on a real SQLite file, for
 * tests of the lookup index and its filter: indicator n has id n and, unless told otherwise,
 * the value valueOf(n).
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { openDatabase, type Db } from '../../server/db/database.js';
import type { IndicatorStore, NewIndicatorRow } from '../../server/db/indicator-store.js';
import { LogStore } from '../../server/db/log-store.js';
import { lookupKey } from '../../server/indicators/lookup-key.js';
import { makeTempDir, removeDir } from './test-node.js';

export const KIND = 3;
const FILTER = { includeRetracted: false, includeExpired: false, nowMs: 0 };

export const valueOf = (n: number) => `198.51.${n >> 8}.${n & 255}`;

export function idOf(n: number): Buffer {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(n, 12);
  return id;
}

/** Match fields of a view row other than the defaults (action 1, confidence 50, valid far ahead). */
export type MatchFields = Partial<Pick<NewIndicatorRow, 'action' | 'confidence' | 'validUntil'>>;

/** A database in a temp directory with one origin, and a writer of view rows for it. */
export class ViewRows {
  readonly dir = makeTempDir('view-rows');
  readonly db: Db = openDatabase(join(this.dir, 'dtx.db'));
  private readonly logs = new LogStore(this.db);
  private readonly origin = this.logs.ensureOrigin(Buffer.alloc(32, 9)).idx;
  private seq = 0;

  /**
   * Stores version `version` of indicator n with `value`, as the view does: entry, then row. The
   * payload starts with the id, as a real indicator payload carries it (lookups read it there),
   * unless the entry's bytes are given.
   */
  put(store: IndicatorStore, n: number, value = valueOf(n), version = 1, bytes?: { header: Buffer; payload: Buffer }, fields: MatchFields = {}): void {
    const payload = bytes?.payload ?? Buffer.concat([idOf(n), Buffer.from(value)]);
    this.logged(payload, bytes?.header, (entry) => {
      const row: NewIndicatorRow = { id: idOf(n), origin: this.origin, version, entry, lookupKey: lookupKey(KIND, value), kind: KIND, value, action: 1, confidence: 50, validUntil: 9e15, ...fields };
      const existing = store.key(row.id, this.origin);
      store.put(row, existing);
      return existing ? 0 : 1;
    });
  }

  /** Retracts indicator n, as the view does on a retraction entry. */
  retract(store: IndicatorStore, n: number, reason: number): void {
    this.logged(idOf(n), undefined, (entry) => {
      store.markRetracted(idOf(n), this.origin, reason, entry);
      return 0;
    });
  }

  /**
   * Appends the next entry of the origin (with a made-up header unless one is given), lets
   * `apply` update the view for it, and moves the head on by the indicators `apply` added.
   */
  private logged(payload: Buffer, header: Buffer | undefined, apply: (entry: number) => number): void {
    this.seq++;
    const entry = this.logs.appendEntry(this.origin, 1, this.seq, header ?? Buffer.from(`header ${this.seq}`), Buffer.alloc(64), payload);
    const added = apply(entry);
    this.logs.setHead(this.origin, { epoch: 1, seq: this.seq, hash: Buffer.alloc(32, this.seq & 255) }, 1, added);
  }

  close(): void {
    if (this.db.open) this.db.close();
    removeDir(this.dir);
  }
}

/** Indicator numbers found for each value, by single lookups and by one batch lookup. */
export function findAll(store: IndicatorStore, values: readonly string[]): { single: number[][]; batch: number[][] } {
  const queries = values.map((value) => ({ kind: KIND, value, lookupKey: lookupKey(KIND, value) }));
  const single = queries.map((q) => store.lookup(q, FILTER).map((r) => r.entry.readUInt32BE(r.headerBytes + 12)));
  const batch = values.map(() => [] as number[]);
  for (const m of store.lookupMatchesMany(queries, FILTER)) batch[m.queryIndex]!.push(Number.parseInt(m.idHex.slice(24), 16));
  return { single, batch };
}

/** Indicators 0 to count - 1 are each found exactly once, under their own value. */
export function expectEachFoundOnce(store: IndicatorStore, count: number): void {
  const values = Array.from({ length: count }, (_, n) => valueOf(n));
  const expected = values.map((_, n) => [n]);
  const { single, batch } = findAll(store, values);
  expect(single).toEqual(expected);
  expect(batch).toEqual(expected);
}
