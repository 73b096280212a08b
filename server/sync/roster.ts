/**
 * The federation roster of this node: who is trusted as an origin, who may subscribe here, and
 * whom this node subscribes to. Kept in the peers table; read from memory on every hot check
 * (each received batch, each Subscribe call), and changes take effect at once.
 */
import { DtxError } from '../../shared/errors.js';
import { publicKeyFromNodeId } from '../../shared/node-id.js';
import { parseDialTarget } from '../../shared/net-address.js';
import type { PeerRow, PeerStore } from '../db/peer-store.js';

export interface NewPeer {
  id: string;
  url: string;
  name?: string;
  subscribe: boolean;
}

export type RosterListener = (change: { kind: 'added' | 'updated' | 'removed'; peer: PeerRow }) => void;

export const MAX_PEER_NAME = 200;

/** Checks a peer before it enters any roster (running node or stopped data directory). */
export function checkNewPeer(peer: NewPeer, ownId: string): void {
  publicKeyFromNodeId(peer.id, 'id');
  if (peer.id === ownId) throw new DtxError('INVALID_ARGUMENT', 'id: that is this node itself', { details: { field: 'id' } });
  parseDialTarget(peer.url, 'url');
  if ((peer.name ?? '').length > MAX_PEER_NAME) throw new DtxError('INVALID_ARGUMENT', `name: at most ${MAX_PEER_NAME} characters`, { details: { field: 'name' } });
}

export class Roster {
  private readonly members = new Map<string, PeerRow>();
  private readonly listeners = new Set<RosterListener>();

  constructor(
    private readonly store: PeerStore,
    readonly ownId: string,
    private readonly clock: () => number = Date.now,
  ) {
    for (const peer of store.peers()) this.members.set(peer.nodeId, peer);
  }

  /** Whether entries of this origin are accepted (this node's own log, and every member's). */
  trusts(originId: string): boolean {
    return originId === this.ownId || this.members.has(originId);
  }

  isMember(nodeId: string): boolean {
    return this.members.has(nodeId);
  }

  peers(): PeerRow[] {
    return [...this.members.values()];
  }

  peer(nodeId: string): PeerRow | undefined {
    return this.members.get(nodeId);
  }

  add(peer: NewPeer): { peer: PeerRow; created: boolean } {
    checkNewPeer(peer, this.ownId);
    const existing = this.members.get(peer.id);
    const row: PeerRow = { nodeId: peer.id, url: peer.url, name: peer.name ?? '', subscribe: peer.subscribe, addedAt: existing?.addedAt ?? this.clock() };
    const created = this.store.put(row);
    this.members.set(row.nodeId, row);
    this.emit({ kind: created ? 'added' : 'updated', peer: row });
    return { peer: row, created };
  }

  remove(nodeId: string): void {
    const existing = this.members.get(nodeId);
    if (!existing) throw new DtxError('NOT_FOUND', `no peer ${nodeId} in the roster`, { details: { field: 'id' } });
    this.store.remove(nodeId);
    this.members.delete(nodeId);
    this.emit({ kind: 'removed', peer: existing });
  }

  onChange(listener: RosterListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: Parameters<RosterListener>[0]): void {
    for (const listener of this.listeners) listener(change);
  }
}
