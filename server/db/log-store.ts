/**
 * Rows of the signed logs: origins with their heads, and entries exactly as signed.
 * Deals in rows and bytes only; callers own transactions.
 */
import { DtxError } from '../../shared/errors.js';
import type { Db } from './database.js';
import { MultiRowInsert } from './multi-row-insert.js';

export interface OriginRow {
  idx: number;
  key: Buffer;
  headEpoch: number;
  headSeq: number;
  headHash: Buffer | null;
  entryCount: number;
  indicatorCount: number;
}

export interface EntryRow {
  rowid: number;
  origin: number;
  epoch: number;
  seq: number;
  header: Buffer;
  signature: Buffer;
  payload: Buffer;
}

/**
 * A range read returns each entry as one blob (header, signature and payload concatenated in
 * SQLite) cut into views here: better-sqlite3 copies every blob into a new Buffer, about 1.5 –
 * 2.5 µs each, so one blob instead of three makes a long read about 40 % cheaper per entry (a
 * catch-up serves a million). `||` yields text; CAST back to BLOB keeps the bytes as they are.
 */
const RANGE_COLUMNS = `rowid, origin, epoch, seq, length(header), length(signature), CAST(header || signature || payload AS BLOB)`;

function entryFromRange(row: unknown[]): EntryRow {
  const headerLength = row[4] as number;
  const signatureEnd = headerLength + (row[5] as number);
  const bytes = row[6] as Buffer;
  return {
    rowid: row[0] as number,
    origin: row[1] as number,
    epoch: row[2] as number,
    seq: row[3] as number,
    header: bytes.subarray(0, headerLength),
    signature: bytes.subarray(headerLength, signatureEnd),
    payload: bytes.subarray(signatureEnd),
  };
}

const ORIGIN_COLUMNS = `idx, key, head_epoch AS headEpoch, head_seq AS headSeq, head_hash AS headHash,
  entry_count AS entryCount, indicator_count AS indicatorCount`;

export class LogStore {
  private readonly insertOrigin;
  private readonly selectOriginByKey;
  private readonly selectOrigin;
  private readonly selectOrigins;
  private readonly insertEntry;
  private readonly insertEntries;
  private readonly updateHead;
  private readonly selectRange;
  private readonly selectEntry;
  private readonly selectAt;

  constructor(private readonly db: Db) {
    this.insertOrigin = db.prepare('INSERT INTO origins (key) VALUES (?)');
    this.selectOriginByKey = db.prepare(`SELECT ${ORIGIN_COLUMNS} FROM origins WHERE key = ?`);
    this.selectOrigin = db.prepare(`SELECT ${ORIGIN_COLUMNS} FROM origins WHERE idx = ?`);
    this.selectOrigins = db.prepare(`SELECT ${ORIGIN_COLUMNS} FROM origins ORDER BY idx`);
    this.insertEntry = db.prepare('INSERT INTO entries (origin, epoch, seq, header, signature, payload) VALUES (?, ?, ?, ?, ?, ?)');
    this.insertEntries = new MultiRowInsert(db, 'INSERT INTO entries (origin, epoch, seq, header, signature, payload)', 6);
    this.updateHead = db.prepare(`UPDATE origins SET head_epoch = ?, head_seq = ?, head_hash = ?,
      entry_count = entry_count + ?, indicator_count = indicator_count + ? WHERE idx = ?`);
    this.selectRange = db.prepare(`SELECT ${RANGE_COLUMNS} FROM entries
      WHERE origin = ? AND (epoch, seq) > (?, ?) ORDER BY epoch, seq LIMIT ?`).raw(true);
    this.selectEntry = db.prepare('SELECT rowid, origin, epoch, seq, header, signature, payload FROM entries WHERE rowid = ?');
    this.selectAt = db.prepare('SELECT rowid, origin, epoch, seq, header, signature, payload FROM entries WHERE origin = ? AND epoch = ? AND seq = ?');
  }

  originByKey(key: Uint8Array): OriginRow | undefined {
    return this.selectOriginByKey.get(key) as OriginRow | undefined;
  }

  origin(idx: number): OriginRow | undefined {
    return this.selectOrigin.get(idx) as OriginRow | undefined;
  }

  /** The public key of an origin that stored rows refer to: its absence is a broken database. */
  originKey(idx: number): Buffer {
    const key = this.origin(idx)?.key;
    if (!key) throw new DtxError('INTERNAL', `stored rows refer to unknown origin ${idx}`);
    return key;
  }

  /** The origin's row, created (with an empty log) when this node has never seen it. */
  ensureOrigin(key: Uint8Array): OriginRow {
    const existing = this.originByKey(key);
    if (existing) return existing;
    this.insertOrigin.run(key);
    return this.originByKey(key)!;
  }

  origins(): OriginRow[] {
    return this.selectOrigins.all() as OriginRow[];
  }

  appendEntry(origin: number, epoch: number, seq: number, header: Uint8Array, signature: Uint8Array, payload: Uint8Array): number {
    return Number(this.insertEntry.run(origin, epoch, seq, header, signature, payload).lastInsertRowid);
  }

  /**
   * Appends entries of one origin, in order (`fields` reads each one's columns); returns their
   * rowids. Rows inserted by one statement get consecutive rowids (each one more than the
   * largest in the table), so a statement's last rowid gives all of its rows'.
   */
  appendEntries<T>(origin: number, entries: readonly T[], fields: (entry: T) => { epoch: number; seq: number; header: Uint8Array; signature: Uint8Array; payload: Uint8Array }): number[] {
    const rowids = new Array<number>(entries.length);
    this.insertEntries.run(
      entries.length,
      (i, params, at) => {
        const e = fields(entries[i]!);
        params[at] = origin;
        params[at + 1] = e.epoch;
        params[at + 2] = e.seq;
        params[at + 3] = e.header;
        params[at + 4] = e.signature;
        params[at + 5] = e.payload;
      },
      (result, first, count) => {
        const last = Number(result.lastInsertRowid);
        for (let i = 0; i < count; i++) rowids[first + i] = last - count + 1 + i;
      },
    );
    return rowids;
  }

  setHead(origin: number, head: { epoch: number; seq: number; hash: Uint8Array }, addedEntries: number, addedIndicators: number): void {
    this.updateHead.run(head.epoch, head.seq, head.hash, addedEntries, addedIndicators, origin);
  }

  /** Entries of one origin after (epoch, seq), in log order. */
  readAfter(origin: number, afterEpoch: number, afterSeq: number, limit: number): EntryRow[] {
    return (this.selectRange.all(origin, afterEpoch, afterSeq, limit) as unknown[][]).map(entryFromRange);
  }

  /**
   * Entries of an origin after (epoch, seq), in log order, none past the head in `origin`: a row
   * whose head may end before the stored one (this node's own log, at its durable head).
   */
  readToHead(origin: OriginRow, afterEpoch: number, afterSeq: number, limit: number): EntryRow[] {
    const rows = this.readAfter(origin.idx, afterEpoch, afterSeq, limit);
    let n = rows.length;
    while (n > 0 && (rows[n - 1]!.epoch > origin.headEpoch || (rows[n - 1]!.epoch === origin.headEpoch && rows[n - 1]!.seq > origin.headSeq))) n--;
    return n === rows.length ? rows : rows.slice(0, n);
  }

  /** The entry of an origin at (epoch, seq), if stored. */
  entryAt(origin: number, epoch: number, seq: number): EntryRow | undefined {
    return this.selectAt.get(origin, epoch, seq) as EntryRow | undefined;
  }

  entry(rowid: number): EntryRow | undefined {
    return this.selectEntry.get(rowid) as EntryRow | undefined;
  }

  /** Whole-database counts for node info; origins hold running totals so this never scans. */
  totals(): { entries: number; indicators: number } {
    let entries = 0;
    let indicators = 0;
    for (const o of this.origins()) {
      entries += o.entryCount;
      indicators += o.indicatorCount;
    }
    return { entries, indicators };
  }

  get database(): Db {
    return this.db;
  }
}
