/**
 * The node's federation status as plain data: heads per origin, each peer's state, error and
 * lag, halted origins with their evidence. One shape for the admin API and a stopped node.
 */
import type { NodeContext } from '../context.js';
import type { PeerStatusView } from './federation.js';

export interface HaltView {
  origin: string;
  reason: string;
  sinceMs: number;
  epoch: number;
  seq: number;
  via: string;
  evidence?: { headerA: Uint8Array; signatureA: Uint8Array; headerB: Uint8Array; signatureB: Uint8Array };
}

export interface NodeStatus {
  nodeId: string;
  heads: Record<string, { epoch: number; seq: number; hash: string }>;
  peers: PeerStatusView[];
  halted: HaltView[];
  quarantined: number;
}

export function nodeStatus(node: Pick<NodeContext, 'nodeId' | 'federation'>): NodeStatus {
  const heads: NodeStatus['heads'] = {};
  for (const h of node.federation.outbox.heads()) heads[h.origin] = { epoch: h.epoch, seq: h.seq, hash: Buffer.from(h.hash).toString('hex') };
  return {
    nodeId: node.nodeId,
    heads,
    peers: node.federation.peerStatus(),
    halted: node.federation.halts().map((h) => ({
      origin: h.originId,
      reason: h.reason,
      sinceMs: h.since,
      epoch: h.epoch,
      seq: h.seq,
      via: h.via,
      evidence:
        h.headerA && h.signatureA && h.headerB && h.signatureB ? { headerA: h.headerA, signatureA: h.signatureA, headerB: h.headerB, signatureB: h.signatureB } : undefined,
    })),
    quarantined: node.federation.quarantine.count(),
  };
}
