/**
 * The lookup index of the indicator view: rows keyed by (lookup_key, id, origin) in two tables,
 * as a two-level LSM tree. Keys are hashes, so every new indicator lands its key on a random page
 * of a key-ordered table; done in one big index, that dirtied a page per new indicator per commit
 * (about 4 KB of log written per indicator at 1M stored). New keys go into lookup_recent instead
 * (schema migration 6): append-only, in arrival order, no index, so a commit dirties only the
 * table's last pages whatever the keys. Readers hold its rows in memory, by key
 * (recent-lookup-keys.ts). Once it holds RECENT_LIMIT rows, the node moves them into lookup_keys
 * in key order, step by step, which rewrites each page of the big table once per merge.
 *
 * Rows of the merged table also carry what a match returns (schema migration 5): kind and value,
 * to compare with the query, and the match fields. A match lookup reads them in key order
 * instead of probing the indicators table at a random id, which was most of a hit's cost at 1M
 * indicators. Recent rows stay (lookup_key, id, origin): a lookup joins the few recent hits to
 * the indicators table, and the merge copies their fields in when it moves them. The indicator
 * store keeps the copies equal to the indicators table (refresh, retract).
 */
import type { Db } from './database.js';
import { MultiRowInsert } from './multi-row-insert.js';

/**
 * Rows in lookup_recent that start a merge. A merge rewrites about every page of the merged table
 * (keys are hashes), so the rarer merges are, the less each key costs: a 1M catch-up took 15.5 s
 * with 131,072, 13.4 s with 262,144 and 11.4 s with 524,288. Every reader holds the recent rows
 * in memory (recent-lookup-keys.ts), 28 to 56 bytes each, up to twice this many while merges
 * catch up: 15 to 60 MB per reader thread, which bounds it.
 */
export const RECENT_LIMIT = 524_288;
/**
 * Rows moved per merge step at the start of a merge. A step is one short write transaction, so
 * lookups and publishes interleave with a merge instead of waiting for all of it; the merger
 * (lookup-merger.ts) then resizes steps to keep each near a time target, since a step's cost
 * grows with the merged table.
 */
export const SLICE_ROWS = 2_048;
/** How far the merger may resize steps from their starting width, either way. */
const SLICE_RESIZE_LIMIT = 16;
/** Lookup keys are 48-bit (server/indicators/lookup-key.ts). */
const KEY_SPACE = 2 ** 48;

export interface LookupKeyOptions {
  /** Rows in lookup_recent that start a merge. */
  recentLimit: number;
  /** Rows moved per merge step to start with (on average: steps move ranges of the key space). */
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

/**
 * A merge in progress. It covers the recent rows up to seq `through` (those there when it
 * started): first reading their keys and seqs ('load'), then moving them key range after key
 * range into the merged table in key order ('move'), then deleting them from the recent table
 * ('drop'). Typed arrays: a merge can cover a million rows, 20 bytes each here.
 */
interface Merge {
  phase: 'load' | 'move' | 'drop';
  through: number;
  /** The seq before its first row, and the last seq read (load) or deleted (drop). */
  from: number;
  done: number;
  /** Rows read: keys[i] and seqs[i] for i < count. */
  keys: Float64Array;
  seqs: Float64Array;
  count: number;
  /** Row indexes grouped by key range (after the load); range r is order[starts[r]..starts[r + 1]). */
  order: Int32Array;
  starts: Int32Array;
  ranges: number;
  next: number;
  /** Ranges per move step, and the width the merge started with. */
  width: number;
  initial: number;
}

export class LookupKeyStore {
  /**
   * Told of every key added, before its transaction commits, and asked before a lookup probes
   * the tables; none means every lookup probes them.
   */
  filter: KeyFilterLike | undefined;
  private readonly insertRecent;
  private readonly insertRecentRows;
  private readonly deleteMerged;
  private readonly refreshMerged;
  private readonly retractMerged;
  private readonly lastRecent;
  private readonly readSeqs;
  private readonly readKeys;
  private readonly moveRows;
  private readonly dropRecent;
  /**
   * Rows in lookup_recent waiting for a merge (not the one a merge leaves behind), counted once
   * at open and kept here. It only decides when to merge: a rolled-back write, or the row left
   * behind when counted at open, leaves it a little high until the next merge.
   */
  private recent: number;
  private merge: Merge | undefined;
  /** Whether the last step moved rows: only those steps' times say how wide a step should be. */
  private moved = false;

  constructor(
    db: Db,
    private readonly options: LookupKeyOptions = DEFAULT_LOOKUP_KEY_OPTIONS,
  ) {
    this.insertRecent = db.prepare('INSERT INTO lookup_recent (lookup_key, id, origin) VALUES (?, ?, ?)');
    this.insertRecentRows = new MultiRowInsert(db, 'INSERT INTO lookup_recent (lookup_key, id, origin)', 3);
    this.deleteMerged = db.prepare(`DELETE FROM lookup_keys WHERE ${IS_ROW}`);
    this.refreshMerged = db.prepare(`UPDATE lookup_keys SET kind = ?, value = ?, version = ?, action = ?, confidence = ?, valid_until = ? WHERE ${IS_ROW}`);
    this.retractMerged = db.prepare(`UPDATE lookup_keys SET retract_reason = ? WHERE ${IS_ROW}`);
    // Subqueries: min() and max() together in one SELECT would scan the table (recent-lookup-keys.ts).
    this.lastRecent = db.prepare('SELECT (SELECT min(seq) FROM lookup_recent) - 1 AS before, (SELECT max(seq) FROM lookup_recent) AS through');
    // Two plain columns read apart: a flat array of numbers costs a fraction of an array per row.
    this.readSeqs = db.prepare('SELECT seq FROM lookup_recent WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?').pluck();
    this.readKeys = db.prepare('SELECT lookup_key FROM lookup_recent WHERE seq > ? AND seq <= ? ORDER BY seq').pluck();
    // Recent rows by seq, given in key order (the caller sorts them: reading only key and seq
    // into JavaScript costs about a third of reading the ids too), so the merged table's pages
    // are visited front to back. The fields come from the indicators table as it is now, and
    // only while the indicator still has this key: a recent row of an indicator that moved to
    // another key is dropped. REPLACE: should a row be merged twice, the later copy is current.
    this.moveRows = db.prepare(`INSERT OR REPLACE INTO lookup_keys (${MERGED_COLUMNS})
      SELECT i.lookup_key, i.id, i.origin, i.kind, i.value, i.version, i.action, i.confidence, i.valid_until, i.retract_reason
      FROM json_each(?) r JOIN lookup_recent n ON n.seq = r.value JOIN indicators i ON i.id = n.id AND i.origin = n.origin
      WHERE i.lookup_key = n.lookup_key`);
    this.dropRecent = db.prepare('DELETE FROM lookup_recent WHERE seq <= ?');
    this.recent = db.prepare('SELECT count(*) FROM lookup_recent').pluck().get() as number;
  }

  add(lookupKey: number, id: Uint8Array, origin: number): void {
    this.filter?.add(lookupKey);
    this.insertRecent.run(lookupKey, id, origin);
    this.recent++;
  }

  /** add() for many rows, in few statements. */
  addMany(rows: readonly { lookupKey: number; id: Uint8Array; origin: number }[]): void {
    for (const r of rows) this.filter?.add(r.lookupKey);
    this.insertRecentRows.run(rows.length, (i, params, at) => {
      const r = rows[i]!;
      params[at] = r.lookupKey;
      params[at + 1] = r.id;
      params[at + 2] = r.origin;
    });
    this.recent += rows.length;
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

  /**
   * An indicator whose new version has another value leaves its old key. A merged row is
   * deleted; a recent row stays until its merge drops it, and is ignored meanwhile: lookups and
   * merges only take a recent row whose indicator still has its key (finding it would cost a
   * scan, the table having no index on the key).
   */
  remove(lookupKey: number, id: Uint8Array, origin: number): void {
    this.deleteMerged.run(lookupKey, id, origin);
  }

  /** Rows waiting in lookup_recent. */
  get recentRows(): number {
    return this.recent;
  }

  /** Whether the recent table holds twice the rows that start a merge: merges fall behind. */
  get mergeBehind(): boolean {
    return this.recent >= 2 * this.options.recentLimit;
  }

  /** The phase of the merge under way, if one is. */
  get merging(): Merge['phase'] | undefined {
    return this.merge?.phase;
  }

  /** Whether a merge is under way or due. */
  get mergeDue(): boolean {
    return this.merge !== undefined || this.recent >= this.options.recentLimit;
  }

  /**
   * Runs the next step of a merge of lookup_recent into lookup_keys; call inside a write
   * transaction. Returns the rows this step moved into lookup_keys. Safe to repeat or cut short
   * at any step: until the drop, every row is still in the recent table, and the merged table
   * takes a row moved twice once. The newest row moved stays in the recent table as well.
   */
  mergeStep(): number {
    const merge = this.merge ?? this.startMerge();
    this.moved = merge?.phase === 'move';
    if (!merge) return 0;
    const batch = Math.max(1, this.options.sliceRows) * 4;
    if (merge.phase === 'load') {
      const seqs = this.readSeqs.all(merge.done, merge.through, batch) as number[];
      if (seqs.length > 0) {
        const keys = this.readKeys.all(merge.done, seqs[seqs.length - 1]) as number[];
        merge.seqs.set(seqs, merge.count);
        merge.keys.set(keys, merge.count);
        merge.count += seqs.length;
        merge.done = seqs[seqs.length - 1]!;
      }
      if (seqs.length < batch) {
        groupByRange(merge);
        merge.phase = 'move';
        merge.done = merge.from;
      }
      return 0;
    }
    if (merge.phase === 'move') {
      const end = Math.min(merge.ranges, merge.next + merge.width);
      const { keys, seqs: rowSeqs } = merge;
      const rows = Array.from(merge.order.subarray(merge.starts[merge.next], merge.starts[end]));
      rows.sort((a, b) => keys[a]! - keys[b]! || rowSeqs[a]! - rowSeqs[b]!);
      merge.next = end;
      if (end >= merge.ranges) merge.phase = 'drop';
      return rows.length === 0 ? 0 : this.moveRows.run(JSON.stringify(rows.map((i) => rowSeqs[i]))).changes;
    }
    // Drop: the merged rows leave the recent table as a prefix of seq, which readers rely on,
    // all but the newest: a table never emptied never hands out a seq again (migration 6).
    const upTo = Math.min(merge.through - 1, merge.done + batch);
    let dropped = this.dropRecent.run(upTo).changes;
    merge.done = upTo;
    if (upTo >= merge.through - 1) {
      this.merge = undefined;
      dropped++; // the row left behind waits no longer: it is merged
    }
    this.recent = Math.max(0, this.recent - dropped);
    return 0;
  }

  /**
   * Scales the steps of the merge in progress by `factor` (after a step that moved rows; the
   * steps that read and delete recent rows are sized by rows), within SLICE_RESIZE_LIMIT of their
   * starting width (and never below one range); the next merge starts from sliceRows again.
   */
  resizeSlices(factor: number): void {
    if (!this.merge || !this.moved) return;
    const { initial } = this.merge;
    const width = Math.round(this.merge.width * factor);
    this.merge.width = Math.max(1, Math.ceil(initial / SLICE_RESIZE_LIMIT), Math.min(initial * SLICE_RESIZE_LIMIT, width));
  }

  /**
   * Gives up the merge under way, after a step failed: the step's transaction was rolled back,
   * but this merge's account of what it did (ranges moved, rows dropped) had moved on. Nothing
   * is lost: until a merge's drop, every row it covers is still in the recent table, and the
   * next merge takes them all.
   */
  abandonMerge(): void {
    this.merge = undefined;
  }

  private startMerge(): Merge | undefined {
    if (this.recent < this.options.recentLimit) return undefined;
    const { before, through } = this.lastRecent.get() as { before: number | null; through: number | null };
    if (before === null || through === null) {
      this.recent = 0;
      return undefined;
    }
    // Key ranges of about sliceRows / SLICE_RESIZE_LIMIT rows each, SLICE_RESIZE_LIMIT of them per
    // step to start with: steps can then shrink to one range or grow sixteen-fold. Seqs are
    // unique, so there are through - before rows at most (exactly, unless rows were deleted).
    const initial = SLICE_RESIZE_LIMIT;
    const ranges = Math.max(1, Math.ceil(this.recent / Math.max(1, this.options.sliceRows))) * initial;
    const rows = through - before;
    this.merge = {
      phase: 'load',
      through,
      from: before,
      done: before,
      keys: new Float64Array(rows),
      seqs: new Float64Array(rows),
      count: 0,
      order: new Int32Array(0),
      starts: new Int32Array(0),
      ranges,
      next: 0,
      width: initial,
      initial,
    };
    return this.merge;
  }
}

/** Groups the rows a merge read by key range (a counting sort: one pass to count, one to place). */
function groupByRange(merge: Merge): void {
  const range = (key: number) => Math.min(merge.ranges - 1, Math.floor((key / KEY_SPACE) * merge.ranges));
  const starts = new Int32Array(merge.ranges + 1);
  for (let i = 0; i < merge.count; i++) starts[range(merge.keys[i]!) + 1]!++;
  for (let r = 0; r < merge.ranges; r++) starts[r + 1]! += starts[r]!;
  const fill = starts.slice(0, merge.ranges);
  const order = new Int32Array(merge.count);
  for (let i = 0; i < merge.count; i++) order[fill[range(merge.keys[i]!)]!++] = i;
  merge.order = order;
  merge.starts = starts;
}
