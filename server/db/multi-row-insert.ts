/**
 * An INSERT of up to MAX_ROWS rows per statement call: each call of a better-sqlite3 statement
 * costs about half a microsecond besides SQLite's own work, as much as inserting a small row,
 * so a catch-up storing three rows per entry spends far less with rows in sixteens (an entries
 * row: 2.0 µs one by one, 1.4 µs sixteen at a time). One prepared statement per row count.
 */
import type { RunResult, Statement } from 'better-sqlite3';
import type { Db } from './database.js';

export const MAX_ROWS = 16;

export class MultiRowInsert {
  private readonly statements: (Statement<unknown[]> | undefined)[] = [];
  private readonly values: string;
  private full: unknown[] | undefined;

  /**
   * `head`: the INSERT up to VALUES ("INSERT INTO t (a, b)"); `columns` per row; `tail`: what
   * follows the rows (an ON CONFLICT clause).
   */
  constructor(
    private readonly db: Db,
    private readonly head: string,
    private readonly columns: number,
    private readonly tail = '',
  ) {
    this.values = `(${Array(columns).fill('?').join(', ')})`;
  }

  /**
   * Inserts `rows` rows, in statements of up to MAX_ROWS rows: `write(i, params, at)` puts row
   * i's values into params[at], params[at + 1], ... (columns of them). Calls `after` with each
   * statement's result and the index and count of its rows. The parameter array of a full
   * statement is reused: a catch-up makes millions of these calls, and fresh arrays were a
   * visible part of its garbage collection.
   */
  run(rows: number, write: (i: number, params: unknown[], at: number) => void, after?: (result: RunResult, first: number, count: number) => void): void {
    for (let first = 0; first < rows; first += MAX_ROWS) {
      const count = Math.min(MAX_ROWS, rows - first);
      const params = count === MAX_ROWS ? (this.full ??= new Array<unknown>(MAX_ROWS * this.columns)) : new Array<unknown>(count * this.columns);
      for (let i = 0; i < count; i++) write(first + i, params, i * this.columns);
      const statement = (this.statements[count] ??= this.db.prepare(`${this.head} VALUES ${Array(count).fill(this.values).join(', ')} ${this.tail}`));
      // Run first: `after?.(statement.run(...))` would skip the run itself when there is no `after`.
      const result = statement.run(params);
      after?.(result, first, count);
    }
  }
}
