/**
 * The newest entries of each origin, shared by every subscription stream. Live streams all ask
 * for the same few entries right after each append; without this, a node with 100 subscribers
 * read (and copied out of SQLite) every new entry 100 times. Only reads that reach the origin's
 * head are cached, so one subscriber's backfill never evicts the tail the live ones share.
 * Entries never change once stored, so a cached row is never stale.
 */
import type { EntryRow, LogStore, OriginRow } from '../db/log-store.js';

/** Rows kept per origin: a few seconds of a busy origin. */
const TAIL_ROWS = 4096;
/** Rows kept over all origins (about 10 MiB of entries); the least recently grown tail goes first. */
const TOTAL_ROWS = 16_384;

export class TailCache {
  private readonly tails = new Map<number, EntryRow[]>();
  private rows = 0;

  constructor(private readonly logStore: LogStore) {}

  /** Up to `limit` entries of `origin` after `at`, in log order, none past the head in `origin`. */
  read(origin: OriginRow, at: { epoch: number; seq: number }, limit: number): EntryRow[] {
    const tail = this.tails.get(origin.idx);
    if (tail && tail.length > 0) {
      const first = tail[0]!;
      const last = tail[tail.length - 1]!;
      if (at.epoch === first.epoch && last.epoch === first.epoch && at.seq >= first.seq - 1 && at.seq < last.seq) {
        const start = at.seq - first.seq + 1;
        return tail.slice(start, start + limit);
      }
    }
    const rows = this.logStore.readToHead(origin, at.epoch, at.seq, limit);
    const newest = rows[rows.length - 1];
    if (newest && newest.epoch === origin.headEpoch && newest.seq === origin.headSeq) this.keep(origin.idx, tail, rows);
    return rows;
  }

  private keep(origin: number, tail: EntryRow[] | undefined, rows: EntryRow[]): void {
    const last = tail?.[tail.length - 1];
    const contiguous = last !== undefined && rows[0]!.epoch === last.epoch && rows[0]!.seq === last.seq + 1;
    const next = contiguous ? tail!.concat(rows) : rows.slice();
    const kept = next.length > TAIL_ROWS ? next.slice(next.length - TAIL_ROWS) : next;
    this.rows += kept.length - (tail?.length ?? 0);
    // Re-inserting moves the origin to the end of the map's order: the most recently grown.
    this.tails.delete(origin);
    this.tails.set(origin, kept);
    for (const [other, rows] of this.tails) {
      if (this.rows <= TOTAL_ROWS || other === origin) break;
      this.tails.delete(other);
      this.rows -= rows.length;
    }
  }
}
