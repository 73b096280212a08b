/**
 * The lookup index of the indicator view: rows keyed by (lookup_key, id, origin) in two tables,
 * as a two-level LSM tree (schema migration 4). Keys are hashes, so every new indicator lands its
 * key on a random page; in one big index that dirtied a page per new indicator per commit (about
 * 4 KB of log written per indicator at 1M stored, most of a catch-up's and a publish's SQLite
 * time). New keys now go into lookup_keys_new, small enough that its pages stay cached and few;
 * once it holds RECENT_LIMIT rows, the node moves them into lookup_keys slice by slice in key
 * order, which rewrites each page of the big table once per merge. A lookup probes both.
 *
 * Rows of the merged table also carry what a match returns (schema migration 5): kind and value,
 * to compare with the query, and the match fields. A match lookup reads them in key order
 * instead of probing the indicators table at a random id, which was most of a hit's cost at 1M
 * indicators. Recent rows stay (lookup_key, id, origin): a commit rewrites every page of
 * lookup_keys_new it touches, so a wider row there costs every write; a lookup joins the few
 * recent hits to the indicators table, and the merge copies their fields in when it moves them.
 * The indicator store keeps the copies equal to the indicators table (refresh, retract).
 */
import type { Db } from './database.js';

/** Rows in lookup_keys_new that start a merge: about 2 MB of cached pages. */
export const RECENT_LIMIT = 65_536;
/**
 * Rows moved per merge step at the start of a merge. A step is one short write transaction, so
 * lookups and publishes interleave with a merge instead of waiting for all of it; the merger
 * (lookup-merger.ts) then resizes slices to keep each step near a time target, since a step's
 * cost grows with the merged table (at 1M stored, 2,048 rows took 34 ms at the median).
 */
export const SLICE_ROWS = 2_048;
/** How far the merger may resize slices from their starting width, either way. */
const SLICE_RESIZE_LIMIT = 16;
/** Lookup keys are 48-bit (server/indicators/lookup-key.ts). */
const KEY_SPACE = 2 ** 48;

export interface LookupKeyOptions {
  /** Rows in lookup_keys_new that start a merge. */
  recentLimit: number;
  /** Rows moved per merge step (on average: slices are ranges of the key space). */
  sliceRows: number;
}

export const DEFAULT_LOOKUP_KEY_OPTIONS: LookupKeyOptions = { recentLimit: RECENT_LIMIT, sliceRows: SLICE_ROWS };

/** What the lookup index needs of the node's Bloom filter (lookup-key-filter.ts, key-filter.ts). */
export interface KeyFilterLike {
  add(key: number): void;
  mightContain(key: number): boolean;
}

/** What a merged index row holds: its key, and what a match returns. */
export interface LookupRowFields {
  lookupKey: number;
  id: Uint8Array;
  origin: number;
  kind: number;
  value: string;
  version: number;
  action: number;
  confidence: number;
  validUntil: number;
}

/** The merged table's columns, in the order the merge writes them. */
const MERGED_COLUMNS = 'lookup_key, id, origin, kind, value, version, action, confidence, valid_until, retract_reason';
const IS_ROW = 'lookup_key = ? AND id = ? AND origin = ?';

export class LookupKeyStore {
  /**
   * Told of every key added, before its transaction commits, and asked before a lookup probes
   * the tables; none means every lookup probes them.
   */
  filter: KeyFilterLike | undefined;
  private readonly insertRecent;
  private readonly deleteRecent;
  private readonly deleteMerged;
  private readonly refreshMerged;
  private readonly retractMerged;
  private readonly moveSlice;
  private readonly deleteSlice;
  /**
   * Rows in lookup_keys_new, counted once at open and kept here. It only decides when to merge:
   * a rolled-back write can leave it a little high until the next merge counts what it moves.
   */
  private recent: number;
  /**
   * The merge in progress: the start of its next slice, the slice width, and the width it
   * started with; none when undefined.
   */
  private merge: { next: number; width: number; initial: number } | undefined;

  constructor(
    db: Db,
    private readonly options: LookupKeyOptions = DEFAULT_LOOKUP_KEY_OPTIONS,
  ) {
    this.insertRecent = db.prepare('INSERT OR IGNORE INTO lookup_keys_new (lookup_key, id, origin) VALUES (?, ?, ?)');
    this.deleteRecent = db.prepare(`DELETE FROM lookup_keys_new WHERE ${IS_ROW}`);
    this.deleteMerged = db.prepare(`DELETE FROM lookup_keys WHERE ${IS_ROW}`);
    this.refreshMerged = db.prepare(`UPDATE lookup_keys SET kind = ?, value = ?, version = ?, action = ?, confidence = ?, valid_until = ? WHERE ${IS_ROW}`);
    this.retractMerged = db.prepare(`UPDATE lookup_keys SET retract_reason = ? WHERE ${IS_ROW}`);
    // Scanned in key order, so the merged table's pages are visited front to back. The fields
    // come from the indicators table as it is now; recent ids are recent UUIDv7s, whose rows sit
    // together at the end of that table. REPLACE: should a row be merged twice, the later copy is current.
    this.moveSlice = db.prepare(`INSERT OR REPLACE INTO lookup_keys (${MERGED_COLUMNS})
      SELECT n.lookup_key, n.id, n.origin, i.kind, i.value, i.version, i.action, i.confidence, i.valid_until, i.retract_reason
      FROM lookup_keys_new n JOIN indicators i ON i.id = n.id AND i.origin = n.origin
      WHERE n.lookup_key >= ? AND n.lookup_key < ?`);
    this.deleteSlice = db.prepare('DELETE FROM lookup_keys_new WHERE lookup_key >= ? AND lookup_key < ?');
    this.recent = db.prepare('SELECT count(*) FROM lookup_keys_new').pluck().get() as number;
  }

  add(lookupKey: number, id: Uint8Array, origin: number): void {
    this.filter?.add(lookupKey);
    this.recent += this.insertRecent.run(lookupKey, id, origin).changes;
  }

  /**
   * A new version under the same key: the match fields of its merged row. A recent row has
   * none to change: its lookups and its merge read the indicators table.
   */
  refresh(row: LookupRowFields): void {
    this.refreshMerged.run(row.kind, row.value, row.version, row.action, row.confidence, row.validUntil, row.lookupKey, row.id, row.origin);
  }

  /** Marks a merged row retracted (a recent one reads the indicators table, which already is). */
  retract(lookupKey: number, id: Uint8Array, origin: number, reason: number): void {
    this.retractMerged.run(reason, lookupKey, id, origin);
  }

  /** False only when no row has this key (the filter says so). */
  mightContain(lookupKey: number): boolean {
    return this.filter?.mightContain(lookupKey) ?? true;
  }

  /** Removes the row wherever it is (an indicator whose new version has another value). */
  remove(lookupKey: number, id: Uint8Array, origin: number): void {
    this.recent -= this.deleteRecent.run(lookupKey, id, origin).changes;
    this.deleteMerged.run(lookupKey, id, origin);
  }

  /** Rows waiting in lookup_keys_new. */
  get recentRows(): number {
    return this.recent;
  }

  /** Whether the recent table holds twice the rows that start a merge: merges fall behind. */
  get mergeBehind(): boolean {
    return this.recent >= 2 * this.options.recentLimit;
  }

  /** Whether a merge is under way or due. */
  get mergeDue(): boolean {
    return this.merge !== undefined || this.recent >= this.options.recentLimit;
  }

  /**
   * Moves the next slice of lookup_keys_new into lookup_keys; call inside a write transaction.
   * A merge covers the whole key space in slices sized to move about sliceRows rows each. Keys
   * added meanwhile wait for the next merge wherever the merge has already passed. Returns the
   * rows moved. Safe to repeat or cut short at any step: a row is always in one table or the other.
   */
  mergeStep(): number {
    if (!this.merge) {
      if (this.recent < this.options.recentLimit) return 0;
      const slices = Math.max(1, Math.ceil(this.recent / this.options.sliceRows));
      const width = Math.ceil(KEY_SPACE / slices);
      this.merge = { next: 0, width, initial: width };
    }
    const lo = this.merge.next;
    const hi = Math.min(KEY_SPACE, lo + this.merge.width);
    this.moveSlice.run(lo, hi);
    const moved = this.deleteSlice.run(lo, hi).changes;
    this.recent -= moved;
    this.merge = hi >= KEY_SPACE ? undefined : { ...this.merge, next: hi };
    return moved;
  }

  /**
   * Scales the slices of the merge in progress by `factor`, within SLICE_RESIZE_LIMIT of their
   * starting width (and never below one key); the next merge starts from sliceRows again.
   */
  resizeSlices(factor: number): void {
    if (!this.merge) return;
    const { initial } = this.merge;
    const width = Math.round(this.merge.width * factor);
    this.merge.width = Math.max(1, Math.ceil(initial / SLICE_RESIZE_LIMIT), Math.min(initial * SLICE_RESIZE_LIMIT, width));
  }
}
