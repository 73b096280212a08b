/**
 * Runs the lookup index's merges (lookup-key-store.ts) on the main thread, one slice per turn of
 * the event loop, each slice its own short transaction. The main thread because the node has
 * one SQLite writer: a merge from another thread would hold the write lock against publishes.
 * Each step holds the main thread, so slices are resized after each step towards
 * STEP_TARGET_MS: a step's cost grows with the merged table, and a fixed row count that takes
 * a few milliseconds at 100,000 indicators took 34 ms (p90 68 ms) at 1M.
 * Slices commit without waiting for fsync: a merge only moves rows between two tables, so a
 * lost slice after a power cut leaves them where they were, and the next synced commit makes
 * everything before it durable.
 */
import type { Logger } from '../../shared/logger.js';
import { unsyncedTransactions, type Db } from './database.js';
import type { LookupKeyStore } from './lookup-key-store.js';

/** What one merge step should take: long enough to amortise its transaction, short enough for a lookup to wait. */
export const STEP_TARGET_MS = 10;
/** Most a slice grows or shrinks after one step: one slow step (a GC, a checkpoint) must not swing it far. */
const MAX_STEP_RESIZE = 2;

export class LookupMerger {
  private scheduled = false;
  private stopped = false;
  private readonly transaction: (fn: () => void) => void;

  constructor(
    private readonly db: Db,
    private readonly store: LookupKeyStore,
    private readonly logger: Logger,
    /** Milliseconds, for timing steps; tests pass their own. */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.transaction = unsyncedTransactions(db);
  }

  /** Call after writes to the view: schedules the next slice when a merge is due. */
  poke(): void {
    if (this.scheduled || this.stopped || !this.store.mergeDue) return;
    this.scheduled = true;
    setImmediate(() => this.step());
  }

  /**
   * Call after a peer's message is applied. In a long catch-up the merger gets a turn of the
   * event loop only every 100 – 200 ms, the recent table grows far past its limit, and every
   * commit then dirties more of its pages. Once it holds twice its limit, a step runs here, one
   * per message, so that merging keeps pace with what arrives.
   */
  keepUp(): void {
    if (!this.stopped && this.store.mergeBehind && this.db.open) this.step();
  }

  stop(): void {
    this.stopped = true;
  }

  private step(): void {
    this.scheduled = false;
    if (this.stopped || !this.db.open) return;
    try {
      const start = this.now();
      this.transaction(() => this.store.mergeStep());
      const took = Math.max(this.now() - start, 0.01);
      this.store.resizeSlices(Math.min(MAX_STEP_RESIZE, Math.max(1 / MAX_STEP_RESIZE, STEP_TARGET_MS / took)));
    } catch (err) {
      // Nothing is lost: the rows stay in the recent table and lookups still find them. The
      // step was rolled back, so the merge starts over at the next write.
      this.store.abandonMerge();
      this.logger.warn({ err }, 'merging recent lookup keys failed; will retry');
      return;
    }
    this.poke();
  }
}
