import { LogService } from '../../../shared/gen/dtx/v1/log_service_pb.js';
import { DtxError } from '../../../shared/errors.js';
import { nodeIdFromPublicKey, publicKeyFromNodeId } from '../../../shared/node-id.js';
import type { NodeContext } from '../../context.js';
import type { MethodsOf, ServiceHandlers, ServicePolicy } from '../register.js';

type Methods = MethodsOf<typeof LogService>;

/** Entries per streamed message: large messages are what make grpc-js streams fast. */
export const READ_PAGE = 1000;

export const logPolicy: ServicePolicy<Methods> = {
  readLog: ['admin', 'publisher', 'analyst'],
  listHeads: ['admin', 'publisher', 'analyst', 'importer'],
};

export function logHandlers(node: NodeContext): ServiceHandlers<Methods> {
  return {
    readLog: async (request, context, send) => {
      const key = request.origin === '' ? node.key.publicKey : publicKeyFromNodeId(request.origin, 'origin');
      const stored = node.logStore.originByKey(key);
      if (!stored) throw new DtxError('NOT_FOUND', `this node holds no log of origin ${request.origin}`, { details: { field: 'origin' } });
      // This node's own log ends at its durable head for readers too.
      const origin = node.sequencer.servable(stored);
      let epoch = request.afterSeq > 0n && request.afterEpoch === 0 ? 1 : request.afterEpoch;
      let seq = Number(request.afterSeq);
      let remaining = request.limit === 0n ? Infinity : Number(request.limit);
      while (remaining > 0 && !context.signal.aborted) {
        const rows = node.logStore.readToHead(origin, epoch, seq, Math.min(READ_PAGE, remaining));
        if (rows.length === 0) break;
        await send({ entries: rows.map((r) => ({ header: r.header, signature: r.signature, payload: r.payload })) });
        const last = rows[rows.length - 1]!;
        epoch = last.epoch;
        seq = last.seq;
        remaining -= rows.length;
      }
    },
    listHeads: () => ({
      heads: node.logStore
        .origins()
        .map((o) => node.sequencer.servable(o))
        .filter((o) => o.headSeq > 0)
        .map((o) => ({ origin: nodeIdFromPublicKey(o.key), epoch: o.headEpoch, seq: BigInt(o.headSeq), hash: o.headHash ?? new Uint8Array() })),
    }),
  };
}

export { LogService };
