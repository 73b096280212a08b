/**
 * The current indicator view: one row per (indicator id, origin) pointing at the entry of its
 * latest version. Lookups join to that entry to return the signed payload.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { DEFAULT_LOOKUP_KEY_OPTIONS, LookupKeyStore, type LookupKeyOptions, type LookupRowFields } from './lookup-key-store.js';
import { MultiRowInsert } from './multi-row-insert.js';
import { READ_ROWS, RecentLookupKeys } from './recent-lookup-keys.js';

export interface IndicatorKeyRow {
  id: Buffer;
  origin: number;
  version: number;
  retractReason: number;
  lookupKey: number;
}

/**
 * A view row joined with the entry that carries its latest version. The entry's header and
 * payload come as one BLOB: each BLOB column is a Buffer of its own, with its own ArrayBuffer,
 * and freeing those is part of every young-generation GC pause (the id is in the payload).
 */
export interface IndicatorEntryRow {
  origin: number;
  version: number;
  retractReason: number;
  /** The entry's header followed by its payload. */
  entry: Buffer;
  /** Where the payload starts in `entry`. */
  headerBytes: number;
}

/**
 * The columns of IndicatorEntryRow, from indicators i joined with entries e. `||` makes TEXT of
 * its operands' bytes as they are (the database is UTF-8, and SQLite does not check it); the
 * CAST takes those bytes back as a BLOB, unchanged (a unit test holds it to random bytes).
 */
const ENTRY_ROW = 'i.origin, i.version, i.retract_reason AS retractReason, CAST(e.header || e.payload AS BLOB) AS entry, length(e.header) AS headerBytes';

export interface NewIndicatorRow extends LookupRowFields {
  entry: number;
}

/** A match without its payload: what a gateway needs to decide. */
export interface IndicatorMatchRow {
  /** The id as 32 lower-case hex digits: a string from SQLite costs less than a Buffer per row. */
  idHex: string;
  origin: number;
  version: number;
  action: number;
  confidence: number;
  validUntil: number;
  retractReason: number;
}

/** One (kind, value) to look up, already resolved to its kind code and lookup key. */
export interface LookupKeyQuery {
  kind: number;
  value: string;
  lookupKey: number;
}

export interface LookupFilter {
  includeRetracted: boolean;
  includeExpired: boolean;
  nowMs: number;
}

/** The columns of a new indicators row, in the order put and putManyIfNew bind them. */
const INDICATOR_COLUMNS = 'id, origin, version, entry, lookup_key, kind, value, action, confidence, valid_until';

const JOINED = `SELECT ${ENTRY_ROW} FROM indicators i JOIN entries e ON e.rowid = i.entry`;

/**
 * The (id, origin) under one lookup key: from the merged table, and with `recent` also the
 * recent rows a reader found in memory (recent-lookup-keys.ts), passed as a JSON array of their
 * seqs. UNION: a row is in both tables while its merge is under way, and an indicator can have
 * two recent rows. The caller also requires i.lookup_key to be the key: a recent row may name an
 * indicator that moved on to another.
 */
const candidates = (recent: boolean) =>
  recent
    ? `(SELECT id, origin FROM lookup_keys WHERE lookup_key = ?
      UNION SELECT n.id, n.origin FROM json_each(?) j JOIN lookup_recent n ON n.seq = j.value) k`
    : '(SELECT id, origin FROM lookup_keys WHERE lookup_key = ?) k';

export class IndicatorStore {
  private readonly upsert;
  private readonly insertManyIfNew;
  private readonly selectEntry;
  private readonly retract;
  private readonly selectKey;
  private readonly selectById;
  private readonly selectOrigins;
  private readonly lookups: Map<string, Statement<unknown[]>>;
  private readonly manyMatches: Map<string, Statement<unknown[]>>;
  private readonly readTransaction: (fn: () => unknown) => unknown;
  private readonly putManyAtomically: (rows: readonly NewIndicatorRow[]) => unknown;
  /** The lookup index; the node merges its recent table in the background (LookupMerger). */
  readonly lookupKeys: LookupKeyStore;
  /** This connection's index of the recent lookup keys, loaded at the first lookup. */
  private recentKeys: RecentLookupKeys | undefined;
  /** Set while a snapshot runs: its recent keys were brought up to date when it began. */
  private inSnapshot = false;

  constructor(
    private readonly db: Db,
    lookupKeyOptions: LookupKeyOptions = DEFAULT_LOOKUP_KEY_OPTIONS,
  ) {
    this.lookupKeys = new LookupKeyStore(db, lookupKeyOptions);
    // Positional parameters: binding ten named ones from an object cost about 2 microseconds more per row.
    this.upsert = db.prepare(`INSERT INTO indicators (${INDICATOR_COLUMNS})
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id, origin) DO UPDATE SET version = excluded.version, entry = excluded.entry, lookup_key = excluded.lookup_key,
        kind = excluded.kind, value = excluded.value, action = excluded.action, confidence = excluded.confidence,
        valid_until = excluded.valid_until`);
    this.insertManyIfNew = new MultiRowInsert(db, `INSERT INTO indicators (${INDICATOR_COLUMNS})`, 10, 'ON CONFLICT (id, origin) DO NOTHING');
    this.selectEntry = db.prepare('SELECT entry FROM indicators WHERE id = ? AND origin = ?').pluck();
    this.retract = db.prepare('UPDATE indicators SET retract_reason = ?, retract_entry = ? WHERE id = ? AND origin = ? RETURNING lookup_key').pluck();
    this.selectKey = db.prepare('SELECT id, origin, version, retract_reason AS retractReason, lookup_key AS lookupKey FROM indicators WHERE id = ? AND origin = ?');
    this.selectById = db.prepare(`${JOINED} WHERE i.id = ? ORDER BY i.origin`);
    this.selectOrigins = db.prepare('SELECT origin FROM indicators WHERE id = ? ORDER BY origin').pluck();
    // One prepared statement per view and filter combination: the planner sees plain equality predicates.
    this.lookups = new Map();
    for (const recent of [false, true]) {
      for (const retracted of [false, true]) {
        for (const expired of [false, true]) {
          let sql = `SELECT ${ENTRY_ROW}
            FROM ${candidates(recent)} JOIN indicators i ON i.id = k.id AND i.origin = k.origin JOIN entries e ON e.rowid = i.entry
            WHERE i.lookup_key = ? AND i.kind = ? AND i.value = ?`;
          if (!retracted) sql += ' AND i.retract_reason = 0';
          if (!expired) sql += ' AND i.valid_until > ?';
          sql += ' ORDER BY i.id, i.origin';
          this.lookups.set(`${recent}:${retracted}:${expired}`, db.prepare(sql));
        }
      }
    }
    this.manyMatches = new Map();
    // The keys are sorted in SQLite (a materialized CTE keeps its ORDER BY; a plain subquery
    // would be flattened and lose it), so the index is walked front to back instead of at
    // random: about a third less time for 10,000 keys at 1M indicators. json_each's key is the
    // query's position in the array. Merged index rows carry every field of a match (migration
    // 5); only the few recent ones (found in memory, passed as a JSON array of [position, seq])
    // are joined to the indicators table, unless their indicator moved to another key or their
    // merge has put them in lookup_keys already. DISTINCT: an indicator can have two recent rows
    // under one key.
    const fields = (t: string) =>
      `${t}.kind, ${t}.value, lower(hex(${t}.id)) AS idHex, ${t}.origin, ${t}.version, ${t}.action, ${t}.confidence, ${t}.valid_until AS validUntil, ${t}.retract_reason AS retractReason`;
    const recentPart = `UNION ALL SELECT DISTINCT r.value ->> 0, ${fields('i')} FROM json_each(?) r
      JOIN lookup_recent n ON n.seq = r.value ->> 1 JOIN indicators i ON i.id = n.id AND i.origin = n.origin
      WHERE i.lookup_key = n.lookup_key
        AND NOT EXISTS (SELECT 1 FROM lookup_keys m WHERE m.lookup_key = i.lookup_key AND m.id = i.id AND m.origin = i.origin)`;
    for (const recent of [false, true]) {
      for (const retracted of [false, true]) {
        for (const expired of [false, true]) {
          let sql = `WITH q AS MATERIALIZED (SELECT key, value FROM json_each(?) ORDER BY value)
            SELECT * FROM (SELECT q.key AS queryIndex, ${fields('l')} FROM q JOIN lookup_keys l ON l.lookup_key = q.value
              ${recent ? recentPart : ''}) WHERE 1`;
          if (!retracted) sql += ' AND retractReason = 0';
          if (!expired) sql += ' AND validUntil > ?';
          this.manyMatches.set(`${recent}:${retracted}:${expired}`, db.prepare(sql).raw(true));
        }
      }
    }
    this.readTransaction = db.transaction(<T>(fn: () => T): T => fn());
    this.putManyAtomically = db.transaction((rows: readonly NewIndicatorRow[]) => this.putManyNow(rows));
  }

  /**
   * Inserts a new indicator or moves an existing one to a new version, with its lookup key.
   * `existing` is the row's current key (from `key`), undefined for a new indicator: callers
   * have read it already, and a second read per indicator would cost about 1.5 µs.
   */
  put(row: NewIndicatorRow, existing: Pick<IndicatorKeyRow, 'lookupKey'> | undefined): void {
    this.upsert.run(row.id, row.origin, row.version, row.entry, row.lookupKey, row.kind, row.value, row.action, row.confidence, row.validUntil);
    if (existing?.lookupKey === row.lookupKey) return this.lookupKeys.refresh(row);
    if (existing) this.lookupKeys.remove(existing.lookupKey, row.id, row.origin);
    this.lookupKeys.add(row.lookupKey, row.id, row.origin);
  }

  /**
   * Inserts indicators this view may not hold yet (first versions), with their lookup keys,
   * sixteen rows per statement; returns how many were new. A row whose id and origin the view
   * holds already changes nothing. Where a statement
   * inserted fewer rows than it had (an indicator already held, or twice among the rows), the
   * rows that went in are told by their entry. All or nothing (a savepoint inside the caller's
   * transaction): on an error none of the rows is stored.
   */
  putManyIfNew(rows: readonly NewIndicatorRow[]): number {
    return this.putManyAtomically(rows) as number;
  }

  private putManyNow(rows: readonly NewIndicatorRow[]): number {
    const added: NewIndicatorRow[] = [];
    this.insertManyIfNew.run(
      rows.length,
      (i, params, at) => {
        const r = rows[i]!;
        params[at] = r.id;
        params[at + 1] = r.origin;
        params[at + 2] = r.version;
        params[at + 3] = r.entry;
        params[at + 4] = r.lookupKey;
        params[at + 5] = r.kind;
        params[at + 6] = r.value;
        params[at + 7] = r.action;
        params[at + 8] = r.confidence;
        params[at + 9] = r.validUntil;
      },
      (result, first, count) => {
        for (let i = first; i < first + count; i++) {
          // All went in, or find out which did: an indicator already held keeps its entry.
          const r = rows[i]!;
          if (result.changes === count || this.selectEntry.get(r.id, r.origin) === r.entry) added.push(r);
        }
      },
    );
    this.lookupKeys.addMany(added);
    return added.length;
  }

  markRetracted(id: Uint8Array, origin: number, reason: number, entry: number): void {
    const lookupKey = this.retract.get(reason, entry, id, origin) as number | undefined;
    if (lookupKey !== undefined) this.lookupKeys.retract(lookupKey, id, origin, reason);
  }

  key(id: Uint8Array, origin: number): IndicatorKeyRow | undefined {
    return this.selectKey.get(id, origin) as IndicatorKeyRow | undefined;
  }

  /** The origins (local numbers) holding an indicator with this id: almost always one. */
  originsOf(id: Uint8Array): number[] {
    return this.selectOrigins.all(id) as number[];
  }

  byId(id: Uint8Array): IndicatorEntryRow[] {
    return this.selectById.all(id) as IndicatorEntryRow[];
  }

  lookup(query: LookupKeyQuery, filter: LookupFilter): IndicatorEntryRow[] {
    if (!this.lookupKeys.mightContain(query.lookupKey)) return [];
    return this.run(query, filter) as IndicatorEntryRow[];
  }

  /**
   * Compact matches of many queries in one statement: SQLite walks the keys (json_each) and
   * probes the index in C, instead of one statement call per query from JavaScript. Rows carry
   * the query index; kind and value are compared here, since keys are hashes.
   */
  lookupMatchesMany(queries: readonly LookupKeyQuery[], filter: LookupFilter): (IndicatorMatchRow & { queryIndex: number })[] {
    // Only keys the filter does not rule out go to SQLite: most of a gateway's values are misses.
    const probed: number[] = [];
    const keys: number[] = [];
    for (let i = 0; i < queries.length; i++) {
      if (!this.lookupKeys.mightContain(queries[i]!.lookupKey)) continue;
      probed.push(i);
      keys.push(queries[i]!.lookupKey);
    }
    if (keys.length === 0) return [];
    const recentKeys = this.recent();
    const recent: [number, number][] = [];
    for (let p = 0; p < keys.length; p++) for (const seq of recentKeys.candidates(keys[p]!)) recent.push([p, seq]);
    const statement = this.manyMatches.get(`${recent.length > 0}:${filter.includeRetracted}:${filter.includeExpired}`)!;
    const params: unknown[] = [JSON.stringify(keys)];
    if (recent.length > 0) params.push(JSON.stringify(recent));
    if (!filter.includeExpired) params.push(filter.nowMs);
    // Raw rows (arrays) skip building an object per candidate; most candidates are hits to keep.
    const rows = statement.all(...params) as unknown[][];
    const matches: (IndicatorMatchRow & { queryIndex: number })[] = [];
    for (const r of rows) {
      const queryIndex = probed[r[0] as number]!;
      const q = queries[queryIndex]!;
      if (r[1] !== q.kind || r[2] !== q.value) continue;
      matches.push({
        queryIndex,
        idHex: r[3] as string,
        origin: r[4] as number,
        version: r[5] as number,
        action: r[6] as number,
        confidence: r[7] as number,
        validUntil: r[8] as number,
        retractReason: r[9] as number,
      });
    }
    // Query order, and within a query the order of single lookups (by id, then origin).
    return matches.sort((a, b) => a.queryIndex - b.queryIndex || (a.idHex < b.idHex ? -1 : a.idHex > b.idHex ? 1 : a.origin - b.origin));
  }

  /** Runs fn in one read transaction: a batch of lookups sees one snapshot and pays for one. */
  snapshot<T>(fn: () => T): T {
    return this.readTransaction(() => {
      if (this.inSnapshot) return fn();
      this.recent();
      this.inSnapshot = true;
      try {
        return fn();
      } finally {
        this.inSnapshot = false;
      }
    }) as T;
  }

  /**
   * Reads the next slice of recent lookup keys into this connection's index; true once it is up
   * to date. A node calls it a turn of the event loop at a time after it starts, so its first
   * lookups need not read up to a million rows at once (about 0.4 s).
   */
  warmRecentKeys(): boolean {
    return (this.recentKeys ??= new RecentLookupKeys(this.db)).refresh(READ_ROWS);
  }

  /** The recent lookup keys as of this read: brought up to date unless a snapshot already did. */
  private recent(): RecentLookupKeys {
    const recent = (this.recentKeys ??= new RecentLookupKeys(this.db));
    if (!this.inSnapshot) recent.refresh();
    return recent;
  }

  private run(q: LookupKeyQuery, filter: LookupFilter): unknown[] {
    const key = q.lookupKey;
    const recent = this.recent().candidates(key);
    const statement = this.lookups.get(`${recent.length > 0}:${filter.includeRetracted}:${filter.includeExpired}`)!;
    const params: unknown[] = [key];
    if (recent.length > 0) params.push(JSON.stringify(recent));
    params.push(key, q.kind, q.value);
    if (!filter.includeExpired) params.push(filter.nowMs);
    return statement.all(...params);
  }
}

/** Indexes of `queries` in ascending lookup-key order. */
export function sortedByLookupKey(queries: readonly LookupKeyQuery[]): number[] {
  return queries.map((_, i) => i).sort((a, b) => queries[a]!.lookupKey - queries[b]!.lookupKey);
}
