/**
 * Entries a peer sent that this node did not apply, kept as received with the reason, so an
 * operator can see what a peer (or a relay behind it) got wrong.
 */
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

export class QuarantineStore {
  private readonly insert;
  private readonly countByPeer;
  private readonly countAll;
  private readonly selectRecent;
  private readonly countByReason;

  constructor(db: Db) {
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
}
