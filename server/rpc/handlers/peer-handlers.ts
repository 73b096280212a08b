import { PeerService } from '../../../shared/gen/dtx/v1/peer_service_pb.js';
import type { PeerRow } from '../../db/peer-store.js';
import type { NodeContext } from '../../context.js';
import { listQuarantine } from '../../sync/quarantine-listing.js';
import { haltMessage, nodeStatus, statusMessage } from '../../sync/status.js';
import type { MethodsOf, ServiceHandlers, ServicePolicy } from '../register.js';

type Methods = MethodsOf<typeof PeerService>;

export const peerPolicy: ServicePolicy<Methods> = {
  addPeer: ['admin'],
  removePeer: ['admin'],
  listPeers: ['admin'],
  getStatus: ['admin'],
  liftHalt: ['admin'],
  listQuarantine: ['admin'],
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
    getStatus: () => statusMessage(nodeStatus(node)),
    liftHalt: (request) => ({ lifted: haltMessage(node.federation.liftHalt(request.origin)) }),
    listQuarantine: (request) => listQuarantine(node.federation.quarantine, request),
  };
}

export { PeerService };
