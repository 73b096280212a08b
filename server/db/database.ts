/**
 * Opens the node's SQLite file (better-sqlite3 is used under server/db and nowhere else),
 * applies pragmas and migrations. WAL lets readers run beside the single writer; synchronous
 * FULL fsyncs the WAL at every commit, so an answered publish survives kill -9 and power loss.
 */
import Database from 'better-sqlite3';
import { DtxError } from '../../shared/errors.js';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';

export type Db = Database.Database;
export type Durability = 'full' | 'normal';

export interface OpenOptions {
  readonly?: boolean;
  durability?: Durability;
  /** Page cache in MiB. The value index is random-access; keeping it in memory keeps inserts fast. */
  cacheMiB?: number;
  /**
   * Told before each migration of an existing database runs (not of a new one): some rebuild
   * tables, and take seconds at 1M indicators.
   */
  onMigration?: (migration: Migration, from: number) => void;
}

/**
 * The page size of a new database: 8 KiB, not SQLite's 4 KiB. Fewer, fuller pages per B-tree
 * and per commit: a 1M catch-up ran 3 – 5 % faster (four runs of each, alternated). A database
 * keeps the page size it was made with (changing it takes a VACUUM), so older ones stay at 4 KiB
 * and work the same.
 */
export const PAGE_BYTES = 8_192;

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  let db: Db;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (err) {
    throw new DtxError('DATA_DIR_MISSING', `cannot open database ${path}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma('busy_timeout = 5000');
  db.pragma(`cache_size = -${(options.cacheMiB ?? 128) * 1024}`);
  db.pragma('temp_store = MEMORY');
  if (!options.readonly) {
    // Before WAL mode: that writes a new file's header, which fixes its page size. A no-op on
    // an existing database.
    db.pragma(`page_size = ${PAGE_BYTES}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    migrate(db, options.onMigration);
  } else {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== SCHEMA_VERSION) {
      db.close();
      throw new DtxError('FAILED_PRECONDITION', `database schema is version ${version}, this dtx needs ${SCHEMA_VERSION}: start the node once to migrate`);
    }
  }
  return db;
}

/** Runs fn in one transaction (BEGIN, fn, COMMIT; ROLLBACK if it throws). */
export function transactionRunner(db: Db): (fn: () => void) => void {
  return db.transaction((fn: () => void) => fn());
}

/**
 * A transaction runner whose commits do not wait for fsync, for writes this node can fetch
 * again (entries relayed from peers: after a power loss the node resumes from its last durable
 * cursor and receives them again). WAL with synchronous NORMAL is still never corrupted, and the
 * next FULL commit (an own publish) makes these frames durable too. Saves one fsync per applied
 * message, which is most of a hop's delay on slow disks. A connection already on NORMAL is left as it is.
 */
export function unsyncedTransactions(db: Db): (fn: () => void) => void {
  const transaction = transactionRunner(db);
  if ((db.pragma('synchronous', { simple: true }) as number) < 2) return transaction;
  // SQLite refuses to change the safety level inside a transaction: set it around BEGIN/COMMIT.
  // exec, not a prepared statement: this pragma takes effect when compiled, not when stepped.
  return (fn) => {
    db.exec('PRAGMA synchronous = NORMAL');
    try {
      transaction(fn);
    } finally {
      db.exec('PRAGMA synchronous = FULL');
    }
  };
}

export function migrate(db: Db, onMigration?: (migration: Migration, from: number) => void): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new DtxError('FAILED_PRECONDITION', `database schema version ${current} is newer than this dtx (${SCHEMA_VERSION}); upgrade dtx`);
  }
  let at = current;
  for (const migration of MIGRATIONS) {
    if (migration.version <= at) continue;
    if (current > 0) onMigration?.(migration, at);
    at = migration.version;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
