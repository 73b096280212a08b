import { SyncService } from '../../../shared/gen/dtx/v1/sync_service_pb.js';
import type { NodeContext } from '../../context.js';
import { checkCursors } from '../../sync/cursor-check.js';
import type { MethodsOf, ServiceHandlers, ServicePolicy } from '../register.js';

type Methods = MethodsOf<typeof SyncService>;

/** Only member nodes, each with a peer token signed by its own key, may subscribe. */
export const syncPolicy: ServicePolicy<Methods> = { subscribe: 'member' };

export function syncHandlers(node: NodeContext): ServiceHandlers<Methods> {
  return {
    subscribe: async (request, context, send) => {
      const peer = context.claims!.subject;
      const cursors = checkCursors(request.cursors);
      const stream = node.federation.openStream(peer, context.signal);
      node.logger.info({ peer, cursors: request.cursors.length }, 'peer subscribed');
      try {
        await node.federation.outbox.serve(cursors, request.maxBatch, send, stream.signal, peer);
        // Cut by this node (the peer was removed), not by the subscriber: say why.
        if (stream.signal.aborted && !context.signal.aborted && stream.signal.reason instanceof Error) throw stream.signal.reason;
      } finally {
        stream.close();
        node.logger.info({ peer }, 'peer subscription ended');
      }
    },
  };
}

export { SyncService };
