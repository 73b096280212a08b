/**
 * The federation roster (peers) and the origins this node halted. Rows and bytes only; the
 * roster's meaning (trusted origin, allowed subscriber, dialled peer) lives in server/sync.
 */
import type { Db } from './database.js';

export interface PeerRow {
  nodeId: string;
  url: string;
  name: string;
  subscribe: boolean;
  addedAt: number;
}

export interface HaltRow {
  origin: number;
  reason: string;
  since: number;
  epoch: number;
  seq: number;
  headerA: Buffer | null;
  signatureA: Buffer | null;
  headerB: Buffer | null;
  signatureB: Buffer | null;
  via: string;
}

const PEER_COLUMNS = 'node_id AS nodeId, url, name, subscribe, added_at AS addedAt';
const HALT_COLUMNS = `origin, reason, since, epoch, seq, header_a AS headerA, signature_a AS signatureA,
  header_b AS headerB, signature_b AS signatureB, via`;

type RawPeer = Omit<PeerRow, 'subscribe'> & { subscribe: number };
const toPeer = (row: RawPeer): PeerRow => ({ ...row, subscribe: row.subscribe !== 0 });

export class PeerStore {
  private readonly upsertPeer;
  private readonly deletePeer;
  private readonly selectPeer;
  private readonly selectPeers;
  private readonly insertHalt;
  private readonly selectHalts;
  private readonly deleteHalt;

  constructor(db: Db) {
    this.upsertPeer = db.prepare(`INSERT INTO peers (node_id, url, name, subscribe, added_at) VALUES (@nodeId, @url, @name, @subscribe, @addedAt)
      ON CONFLICT (node_id) DO UPDATE SET url = excluded.url, name = excluded.name, subscribe = excluded.subscribe`);
    this.deletePeer = db.prepare('DELETE FROM peers WHERE node_id = ?');
    this.selectPeer = db.prepare(`SELECT ${PEER_COLUMNS} FROM peers WHERE node_id = ?`);
    this.selectPeers = db.prepare(`SELECT ${PEER_COLUMNS} FROM peers ORDER BY added_at, node_id`);
    this.insertHalt = db.prepare(`INSERT OR IGNORE INTO halts (origin, reason, since, epoch, seq, header_a, signature_a, header_b, signature_b, via)
      VALUES (@origin, @reason, @since, @epoch, @seq, @headerA, @signatureA, @headerB, @signatureB, @via)`);
    this.selectHalts = db.prepare(`SELECT ${HALT_COLUMNS} FROM halts ORDER BY since`);
    this.deleteHalt = db.prepare(`DELETE FROM halts WHERE origin = ? RETURNING ${HALT_COLUMNS}`);
  }

  /** Adds or updates a peer; true when it was new. */
  put(peer: PeerRow): boolean {
    const existed = this.peer(peer.nodeId) !== undefined;
    this.upsertPeer.run({ ...peer, subscribe: peer.subscribe ? 1 : 0 });
    return !existed;
  }

  remove(nodeId: string): boolean {
    return this.deletePeer.run(nodeId).changes > 0;
  }

  peer(nodeId: string): PeerRow | undefined {
    const row = this.selectPeer.get(nodeId) as RawPeer | undefined;
    return row && toPeer(row);
  }

  peers(): PeerRow[] {
    return (this.selectPeers.all() as RawPeer[]).map(toPeer);
  }

  /** Records a halt; the first one of an origin stays (it holds the original evidence). */
  halt(row: HaltRow): void {
    this.insertHalt.run(row);
  }

  halts(): HaltRow[] {
    return this.selectHalts.all() as HaltRow[];
  }

  /** Removes an origin's halt and returns it; undefined when the origin was not halted. */
  liftHalt(origin: number): HaltRow | undefined {
    return this.deleteHalt.get(origin) as HaltRow | undefined;
  }
}
