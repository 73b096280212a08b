/**
 * The node's federation status: heads per origin, each peer's state, error and lag, halted
 * origins with their evidence. One shape, built from the running federation or (for a stopped
 * node) from the stores alone, and one mapping to the GetStatus message.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { GetStatusResponseSchema, HaltedOriginSchema } from '../../shared/gen/dtx/v1/peer_service_pb.js';
import type { LogStore } from '../db/log-store.js';
import type { PeerStore } from '../db/peer-store.js';
import type { QuarantineStore } from '../db/quarantine-store.js';
import type { Federation, PeerStatusView } from './federation.js';
import { storedHalts, storedHeads, type HaltView, type HeadView } from './stored-state.js';

export interface NodeStatus {
  nodeId: string;
  heads: HeadView[];
  peers: PeerStatusView[];
  halted: HaltView[];
  quarantined: number;
}

export function nodeStatus(node: { nodeId: string; logStore: LogStore; federation: Federation }): NodeStatus {
  return {
    nodeId: node.nodeId,
    heads: storedHeads(node.logStore),
    peers: node.federation.peerStatus(),
    halted: node.federation.halts(),
    quarantined: node.federation.quarantine.count(),
  };
}

/** A stopped node's status: what its database holds, every peer "stopped". */
export function storedStatus(nodeId: string, logStore: LogStore, peerStore: PeerStore, quarantine: QuarantineStore): NodeStatus {
  return {
    nodeId,
    heads: storedHeads(logStore),
    peers: peerStore.peers().map((p) => ({
      id: p.nodeId,
      url: p.url,
      name: p.name,
      state: 'stopped',
      lastError: '',
      lag: {},
      applied: 0,
      duplicates: 0,
      rejected: Object.fromEntries(quarantine.reasons(p.nodeId).map((r) => [r.reason, r.count])),
      connectedSinceMs: 0,
    })),
    halted: storedHalts(peerStore, logStore),
    quarantined: quarantine.count(),
  };
}

export function statusMessage(s: NodeStatus): MessageInitShape<typeof GetStatusResponseSchema> {
  return {
    nodeId: s.nodeId,
    heads: s.heads.map((h) => ({ origin: h.origin, epoch: h.epoch, seq: BigInt(h.seq), hash: h.hash })),
    peers: s.peers.map((p) => ({
      id: p.id,
      url: p.url,
      name: p.name,
      state: p.state,
      lastError: p.lastError,
      lag: Object.entries(p.lag).map(([origin, l]) => ({ origin, entries: BigInt(l.entries), seconds: l.seconds })),
      applied: BigInt(p.applied),
      duplicates: BigInt(p.duplicates),
      rejected: Object.entries(p.rejected).map(([reason, count]) => ({ reason, count: BigInt(count) })),
      connectedSinceMs: BigInt(p.connectedSinceMs),
    })),
    halted: s.halted.map(haltMessage),
    quarantined: BigInt(s.quarantined),
  };
}

/** A halt as the HaltedOrigin message (GetStatus, LiftHalt). */
export function haltMessage(h: HaltView): MessageInitShape<typeof HaltedOriginSchema> {
  return {
    origin: h.originId,
    reason: h.reason,
    sinceMs: BigInt(h.since),
    epoch: h.epoch,
    seq: BigInt(h.seq),
    headerA: h.headerA ?? undefined,
    signatureA: h.signatureA ?? undefined,
    headerB: h.headerB ?? undefined,
    signatureB: h.signatureB ?? undefined,
    via: h.via,
  };
}
