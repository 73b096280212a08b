/**
 * One reader connection's in-memory index of the lookup index's recent rows (lookup_recent,
 * schema migration 6). That table is append-only, in arrival order, with no index on the key:
 * a new key then costs one row at the end of a table, a page or two per commit, instead of a
 * random insert into a key-ordered B-tree, whose scattered dirty pages every commit wrote to the
 * WAL (about half of a catch-up's time at 1M stored). Readers find recent rows by key here: the
 * seqs of the rows under each key, so a lookup reads those rows by seq (their rowid).
 *
 * `refresh` catches up with the table inside the reader's snapshot: rows after the last one it
 * saw are added, and rows a finished merge deleted (always a prefix of seq: the merge removes
 * every row up to the seq it started from) are dropped. A row may also still be here while its
 * merge is under way, or describe an indicator that has since moved to another key: callers
 * check candidates against the indicators table and the merged table (indicator-store.ts).
 *
 * Typed arrays, not a Map: a node holds up to a million recent rows in each reader (twice the
 * merge limit, while merges catch up): 28 bytes per row of capacity here (at most twice the
 * rows), where a Map took about 80 per row, and nothing for the GC to trace. Rows are kept in seq order; a hash table (open addressing) maps each key to its newest
 * row, and each row links to the previous row of its key, so dropping a prefix only moves
 * `head`: links and slots that point before it are dead.
 */
import type { Db } from './database.js';

const EMPTY = -1;

/** The first and last seq in lookup_recent (null when it is empty). */
interface Ends {
  first: number | null;
  last: number | null;
}
const MIN_ROWS = 1_024;
/** Rows read per statement: a reader's first refresh may read a million. */
export const READ_ROWS = 65_536;

export class RecentLookupKeys {
  private seqs = new Float64Array(MIN_ROWS);
  private keys = new Float64Array(MIN_ROWS);
  /** Per row: the index of the previous row with the same key, or EMPTY. */
  private previous = new Int32Array(MIN_ROWS);
  /** Rows [head, count) are live. */
  private head = 0;
  private count = 0;
  /** Hash table, twice the row capacity (a power of two): a key's newest row, found by its key. */
  private slotRows = new Int32Array(2 * MIN_ROWS).fill(EMPTY);
  private lastSeq = 0;
  private readonly selectSeqs;
  private readonly selectKeys;
  private readonly selectEnds;
  private readonly read: (maxRows: number) => boolean;

  constructor(private readonly db: Db) {
    // Two plain columns read apart: a flat array of numbers costs a fraction of an array per row.
    this.selectSeqs = db.prepare('SELECT seq FROM lookup_recent WHERE seq > ? ORDER BY seq LIMIT ?').pluck();
    this.selectKeys = db.prepare('SELECT lookup_key FROM lookup_recent WHERE seq > ? AND seq <= ? ORDER BY seq').pluck();
    // Two subqueries: SQLite reads min() or max() of a rowid off the B-tree's edge only when it is
    // the query's one aggregate; both in one SELECT would scan the table.
    this.selectEnds = db.prepare('SELECT (SELECT min(seq) FROM lookup_recent) AS first, (SELECT max(seq) FROM lookup_recent) AS last');
    this.read = db.transaction((maxRows: number) => this.readNew(maxRows));
  }

  /**
   * Brings the index up to the connection's current snapshot: call inside the read transaction
   * the lookup uses (outside one, it opens its own, so its reads agree with each other). With
   * `maxRows`, reads at most about that many new rows (a node warms its index in slices after
   * it starts) and says whether it is up to date.
   */
  refresh(maxRows = Infinity): boolean {
    if (this.db.inTransaction) return this.readNew(maxRows);
    // Most lookups find nothing new: one statement says so, without a transaction around it.
    const ends = this.selectEnds.get() as Ends;
    if (this.unchanged(ends)) return true;
    return this.read(maxRows);
  }

  private readNew(maxRows: number): boolean {
    const ends = this.selectEnds.get() as Ends;
    if (this.unchanged(ends)) return true;
    const { first, last } = ends;
    while (this.head < this.count && this.seqs[this.head]! < (first ?? Infinity)) this.head++;
    // Room for every new row at once (seqs are unique: at most last - lastSeq of them), so a first
    // refresh of a million rows sizes its arrays once instead of doubling them twenty times.
    if (last !== null && last > this.lastSeq) this.makeRoom(last - this.lastSeq);
    for (let read = 0; read < maxRows; ) {
      const seqs = this.selectSeqs.all(this.lastSeq, READ_ROWS) as number[];
      if (seqs.length === 0 && this.head < this.count / 2) return true;
      const keys = seqs.length === 0 ? [] : (this.selectKeys.all(this.lastSeq, seqs[seqs.length - 1]) as number[]);
      this.makeRoom(seqs.length);
      for (let i = 0; i < seqs.length; i++) this.add(seqs[i]!, keys[i]!);
      if (seqs.length < READ_ROWS) return true;
      read += seqs.length;
    }
    return false;
  }

  private add(seq: number, key: number): void {
    const row = this.count++;
    this.seqs[row] = seq;
    this.keys[row] = key;
    const slot = this.slotOf(key);
    this.previous[row] = this.slotRows[slot]!;
    this.slotRows[slot] = row;
    this.lastSeq = seq;
  }

  /** Whether the table's ends say there is nothing to add or drop. */
  private unchanged({ first, last }: Ends): boolean {
    const oldest = this.head < this.count ? this.seqs[this.head]! : undefined;
    return (last ?? 0) <= this.lastSeq && (first === null ? oldest === undefined : oldest === undefined || first <= oldest);
  }

  /** Seqs of the recent rows under `key`, newest first (an indicator may have several). */
  candidates(key: number): number[] {
    const found: number[] = [];
    for (let row = this.slotRows[this.slotOf(key)]!; row >= this.head; row = this.previous[row]!) found.push(this.seqs[row]!);
    return found;
  }

  /** Rows held (for tests). */
  get size(): number {
    return this.count - this.head;
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private slotOf(key: number): number {
    const mask = this.slotRows.length - 1;
    // Keys are 48-bit hashes already: their low 32 bits spread well.
    let slot = (key >>> 0) & mask;
    // A slot's key is its row's (rows keep their key until the arrays are rebuilt, dead or not).
    while (this.slotRows[slot] !== EMPTY && this.keys[this.slotRows[slot]!] !== key) slot = (slot + 1) & mask;
    return slot;
  }

  /**
   * Makes room for `more` rows. When the arrays are full, or the table would pass half full, or
   * most rows are dead, the live rows move to the front of arrays sized for them and the table
   * is rebuilt (dead slots go with it).
   */
  private makeRoom(more: number): void {
    const live = this.count - this.head;
    const fits = this.count + more <= this.seqs.length;
    if (fits && this.head <= live) return;
    let capacity = MIN_ROWS;
    while (capacity < live + more) capacity *= 2;
    // Room to grow: no rebuild at the next few refreshes.
    if (capacity < 1.25 * (live + more)) capacity *= 2;
    const seqs = new Float64Array(capacity);
    const keys = new Float64Array(capacity);
    seqs.set(this.seqs.subarray(this.head, this.count));
    keys.set(this.keys.subarray(this.head, this.count));
    this.seqs = seqs;
    this.keys = keys;
    this.previous = new Int32Array(capacity);
    this.slotRows = new Int32Array(2 * capacity).fill(EMPTY);
    this.head = 0;
    this.count = live;
    for (let row = 0; row < live; row++) {
      const slot = this.slotOf(keys[row]!);
      this.previous[row] = this.slotRows[slot]!;
      this.slotRows[slot] = row;
    }
  }
}
