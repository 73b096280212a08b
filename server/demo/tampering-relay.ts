/**
 * The villain of `dtx demo`: a relay that serves a real origin's signed entries over Subscribe,
 * but flips one byte in one payload on the way. Receivers must catch it (the payload hash in the
 * signed header no longer matches) and quarantine the entry instead of applying it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { generateSigningKey } from '../../shared/crypto.js';
import { SyncService } from '../../shared/gen/dtx/v1/sync_service_pb.js';
import type { Logger } from '../../shared/logger.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { writeSubscribeResponse } from '../../shared/wire/subscribe-writer.js';
import type { LogStore } from '../db/log-store.js';
import { startStandaloneServer, type StandaloneServer } from '../rpc/standalone-server.js';

function flipLastByte(payload: Uint8Array): Buffer {
  const altered = Buffer.from(payload);
  altered[altered.length - 1] = altered[altered.length - 1]! ^ 0x01;
  return altered;
}

export interface TamperingRelay extends StandaloneServer {
  nodeId: string;
}

/** Serves the entries of `origin` (a local origin index in `logStore`), with entry `tamperSeq`'s payload altered. */
export async function startTamperingRelay(logStore: LogStore, origin: number, tamperSeq: number, logger: Logger): Promise<TamperingRelay> {
  const key = generateSigningKey();
  const nodeId = nodeIdFromPublicKey(key.publicKey);
  const server = await startStandaloneServer(
    SyncService,
    {
      subscribe: async (request, context, send) => {
        // Like an honest relay, it starts after the subscriber's cursor and follows the log.
        const originId = nodeIdFromPublicKey(logStore.origin(origin)!.key);
        let after = Number(request.cursors.find((c) => c.origin === originId)?.seq ?? 0n);
        while (!context.signal.aborted) {
          const rows = logStore.readAfter(origin, after > 0 ? 1 : 0, after, 1000);
          if (rows.length > 0) {
            after = rows[rows.length - 1]!.seq;
            await send(writeSubscribeResponse(rows.map((row) => (row.seq === tamperSeq ? { ...row, payload: flipLastByte(row.payload) } : row))));
          } else {
            await send(writeSubscribeResponse([], [], true));
            await sleep(50);
          }
        }
      },
    },
    { subscribe: 'public' },
    { publicKey: key.publicKeyObject, nodeId },
    logger,
  );
  return { ...server, nodeId };
}
