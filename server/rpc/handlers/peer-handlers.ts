import { PeerService } from '../../../shared/gen/dtx/v1/peer_service_pb.js';
import type { PeerRow } from '../../db/peer-store.js';
import type { NodeContext } from '../../context.js';
import { nodeStatus } from '../../sync/status.js';
import type { MethodsOf, ServiceHandlers, ServicePolicy } from '../register.js';

type Methods = MethodsOf<typeof PeerService>;

export const peerPolicy: ServicePolicy<Methods> = {
  addPeer: ['admin'],
  removePeer: ['admin'],
  listPeers: ['admin'],
  getStatus: ['admin'],
};

const peerMessage = (p: PeerRow) => ({ id: p.nodeId, url: p.url, name: p.name, subscribe: p.subscribe, addedAtMs: BigInt(p.addedAt) });

export function peerHandlers(node: NodeContext): ServiceHandlers<Methods> {
  const roster = node.federation.roster;
  return {
    addPeer: (request) => {
      const { peer, created } = roster.add({ id: request.id, url: request.url, name: request.name, subscribe: !request.noSubscribe });
      node.logger.info({ peer: peer.nodeId, url: peer.url, subscribe: peer.subscribe, created }, 'peer added');
      return { peer: peerMessage(peer), created };
    },
    removePeer: (request) => {
      roster.remove(request.id);
      node.logger.info({ peer: request.id }, 'peer removed');
      return {};
    },
    listPeers: () => ({ peers: roster.peers().map(peerMessage) }),
    getStatus: () => {
      const s = nodeStatus(node);
      return {
        nodeId: s.nodeId,
        heads: Object.entries(s.heads).map(([origin, h]) => ({ origin, epoch: h.epoch, seq: BigInt(h.seq), hash: Buffer.from(h.hash, 'hex') })),
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
        halted: s.halted.map((h) => ({
          origin: h.origin,
          reason: h.reason,
          sinceMs: BigInt(h.sinceMs),
          epoch: h.epoch,
          seq: BigInt(h.seq),
          headerA: h.evidence?.headerA,
          signatureA: h.evidence?.signatureA,
          headerB: h.evidence?.headerB,
          signatureB: h.evidence?.signatureB,
          via: h.via,
        })),
        quarantined: BigInt(s.quarantined),
      };
    },
  };
}

export { PeerService };
