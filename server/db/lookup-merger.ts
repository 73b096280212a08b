/**
 * Runs the lookup index's merges (lookup-key-store.ts) on the main thread, one slice per turn of
 * the event loop, each slice its own short transaction. The main thread because the node has
 * one SQLite writer: a merge from another thread would hold the write lock against publishes.
 * Slices commit without waiting for fsync: a merge only moves rows between two tables, so a
 * lost slice after a power cut leaves them where they were, and the next synced commit makes
 * everything before it durable.
 */
import type { Logger } from '../../shared/logger.js';
import { unsyncedTransactions, type Db } from './database.js';
import type { LookupKeyStore } from './lookup-key-store.js';

export class LookupMerger {
  private scheduled = false;
  private stopped = false;
  private readonly transaction: (fn: () => void) => void;

  constructor(
    private readonly db: Db,
    private readonly store: LookupKeyStore,
    private readonly logger: Logger,
  ) {
    this.transaction = unsyncedTransactions(db);
  }

  /** Call after writes to the view: schedules the next slice when a merge is due. */
  poke(): void {
    if (this.scheduled || this.stopped || !this.store.mergeDue) return;
    this.scheduled = true;
    setImmediate(() => this.step());
  }

  stop(): void {
    this.stopped = true;
  }

  private step(): void {
    this.scheduled = false;
    if (this.stopped || !this.db.open) return;
    try {
      this.transaction(() => this.store.mergeStep());
    } catch (err) {
      // Nothing is lost: the rows stay in the recent table and lookups still find them. The
      // next write tries again.
      this.logger.warn({ err }, 'merging recent lookup keys failed; will retry');
      return;
    }
    this.poke();
  }
}
