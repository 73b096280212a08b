/**
 * The current indicator view: one row per (indicator id, origin) pointing at the entry of its
 * latest version. Lookups join to that entry to return the signed payload.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

export interface IndicatorKeyRow {
  id: Buffer;
  origin: number;
  version: number;
  retractReason: number;
}

/** A view row joined with the entry that carries its latest version. */
export interface IndicatorEntryRow {
  id: Buffer;
  origin: number;
  originKey: Buffer;
  version: number;
  retractReason: number;
  header: Buffer;
  payload: Buffer;
}

export interface NewIndicatorRow {
  id: Uint8Array;
  origin: number;
  version: number;
  entry: number;
  kind: number;
  value: string;
  validUntil: number;
}

export interface LookupFilter {
  includeRetracted: boolean;
  includeExpired: boolean;
  nowMs: number;
}

const JOINED = `SELECT i.id, i.origin, o.key AS originKey, i.version, i.retract_reason AS retractReason, e.header, e.payload
  FROM indicators i JOIN entries e ON e.rowid = i.entry JOIN origins o ON o.idx = i.origin`;

export class IndicatorStore {
  private readonly upsert;
  private readonly retract;
  private readonly selectKey;
  private readonly selectById;
  private readonly lookups: Map<string, Statement<unknown[]>>;

  constructor(db: Db) {
    this.upsert = db.prepare(`INSERT INTO indicators (id, origin, version, entry, kind, value, valid_until)
      VALUES (@id, @origin, @version, @entry, @kind, @value, @validUntil)
      ON CONFLICT (id, origin) DO UPDATE SET version = excluded.version, entry = excluded.entry,
        kind = excluded.kind, value = excluded.value, valid_until = excluded.valid_until`);
    this.retract = db.prepare('UPDATE indicators SET retract_reason = ?, retract_entry = ? WHERE id = ? AND origin = ?');
    this.selectKey = db.prepare('SELECT id, origin, version, retract_reason AS retractReason FROM indicators WHERE id = ? AND origin = ?');
    this.selectById = db.prepare(`${JOINED} WHERE i.id = ? ORDER BY i.origin`);
    // One prepared statement per filter combination: the planner sees plain equality predicates.
    this.lookups = new Map();
    for (const retracted of [false, true]) {
      for (const expired of [false, true]) {
        let sql = `${JOINED} WHERE i.kind = ? AND i.value = ?`;
        if (!retracted) sql += ' AND i.retract_reason = 0';
        if (!expired) sql += ' AND i.valid_until > ?';
        this.lookups.set(`${retracted}:${expired}`, db.prepare(sql));
      }
    }
  }

  /** Inserts a new indicator or moves an existing one to a new version. */
  put(row: NewIndicatorRow): void {
    this.upsert.run(row);
  }

  markRetracted(id: Uint8Array, origin: number, reason: number, entry: number): void {
    this.retract.run(reason, entry, id, origin);
  }

  key(id: Uint8Array, origin: number): IndicatorKeyRow | undefined {
    return this.selectKey.get(id, origin) as IndicatorKeyRow | undefined;
  }

  byId(id: Uint8Array): IndicatorEntryRow[] {
    return this.selectById.all(id) as IndicatorEntryRow[];
  }

  lookup(kind: number, value: string, filter: LookupFilter): IndicatorEntryRow[] {
    const statement = this.lookups.get(`${filter.includeRetracted}:${filter.includeExpired}`)!;
    const rows = filter.includeExpired ? statement.all(kind, value) : statement.all(kind, value, filter.nowMs);
    return rows as IndicatorEntryRow[];
  }
}
