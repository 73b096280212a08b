/**
 * Entries a peer sent that this node did not apply, kept as received with the reason, so an
 * operator can see what a peer (or a relay behind it) got wrong.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

export interface QuarantineRow {
  peer: string;
  origin: string;
  epoch: number;
  seq: number;
  reason: string;
  detail: string;
  header: Uint8Array;
  signature: Uint8Array;
  payload: Uint8Array;
  receivedAt: number;
}

/** A quarantined row as listed: with its id, which orders rows and pages through them. */
export type ListedQuarantineRow = QuarantineRow & { id: number };

/** What `list` selects; each field narrows the rows, none selects all. */
export interface QuarantineFilter {
  peer?: string;
  origin?: string;
  reason?: string;
  /** Only rows older than this id (the last id of the previous page). */
  beforeId?: number;
}

const FILTER_COLUMNS = [
  ['peer', 'peer = @peer'],
  ['origin', 'origin = @origin'],
  ['reason', 'reason = @reason'],
  ['beforeId', 'id < @beforeId'],
] as const;

export class QuarantineStore {
  /** Prepared list and count statements by the set of filters used (at most 16 of each). */
  private readonly listings = new Map<string, { rows: Statement; count: Statement }>();

  private readonly insert;
  private readonly countByPeer;
  private readonly countAll;
  private readonly selectRecent;
  private readonly countByReason;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(`INSERT INTO quarantine (peer, origin, epoch, seq, reason, detail, header, signature, payload, received_at)
      VALUES (@peer, @origin, @epoch, @seq, @reason, @detail, @header, @signature, @payload, @receivedAt)`);
    this.countByPeer = db.prepare('SELECT count(*) FROM quarantine WHERE peer = ?').pluck();
    this.countAll = db.prepare('SELECT count(*) FROM quarantine').pluck();
    this.countByReason = db.prepare('SELECT reason, count(*) AS count FROM quarantine WHERE peer = ? GROUP BY reason ORDER BY reason');
    this.selectRecent = db.prepare(`SELECT peer, origin, epoch, seq, reason, detail, header, signature, payload, received_at AS receivedAt
      FROM quarantine ORDER BY id DESC LIMIT ?`);
  }

  add(row: QuarantineRow): void {
    this.insert.run(row);
  }

  count(peer?: string): number {
    return (peer === undefined ? this.countAll.get() : this.countByPeer.get(peer)) as number;
  }

  reasons(peer: string): { reason: string; count: number }[] {
    return this.countByReason.all(peer) as { reason: string; count: number }[];
  }

  recent(limit: number): QuarantineRow[] {
    return this.selectRecent.all(limit) as QuarantineRow[];
  }

  /** Rows matching the filter, newest first, at most `limit`; and how many match in all (ignoring beforeId). */
  list(filter: QuarantineFilter, limit: number): { rows: ListedQuarantineRow[]; total: number } {
    const used = FILTER_COLUMNS.filter(([key]) => filter[key] !== undefined);
    const key = used.map(([k]) => k).join(',');
    let statements = this.listings.get(key);
    if (!statements) {
      const where = (columns: typeof used) => (columns.length === 0 ? '' : `WHERE ${columns.map(([, sql]) => sql).join(' AND ')}`);
      statements = {
        rows: this.db.prepare(`SELECT id, peer, origin, epoch, seq, reason, detail, header, signature, payload, received_at AS receivedAt
          FROM quarantine ${where(used)} ORDER BY id DESC LIMIT @limit`),
        count: this.db.prepare(`SELECT count(*) FROM quarantine ${where(used.filter(([k]) => k !== 'beforeId'))}`).pluck(),
      };
      this.listings.set(key, statements);
    }
    const params = Object.fromEntries(used.map(([k]) => [k, filter[k]]));
    const { beforeId: _paging, ...counted } = params;
    return {
      rows: statements.rows.all({ ...params, limit }) as ListedQuarantineRow[],
      total: statements.count.get(counted) as number,
    };
  }
}
