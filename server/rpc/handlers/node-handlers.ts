import { NodeService } from '../../../shared/gen/dtx/v1/node_service_pb.js';
import { VERSION } from '../../../shared/version.js';
import type { NodeContext } from '../../context.js';
import type { MethodsOf, ServiceHandlers, ServicePolicy } from '../register.js';

type Methods = MethodsOf<typeof NodeService>;

export const nodePolicy: ServicePolicy<Methods> = { getNodeInfo: 'public' };

export function nodeInfo(node: NodeContext) {
  // One read of the origins' running counts serves both figures.
  const origins = node.logStore.origins();
  const own = origins.find((o) => o.idx === node.sequencer.originIdx);
  return {
    nodeId: node.nodeId,
    name: node.config.name,
    version: VERSION,
    ownEntries: BigInt(own?.entryCount ?? 0),
    indicators: BigInt(origins.reduce((n, o) => n + o.indicatorCount, 0)),
  };
}

export function nodeHandlers(node: NodeContext): ServiceHandlers<Methods> {
  return { getNodeInfo: () => nodeInfo(node) };
}

export { NodeService };
