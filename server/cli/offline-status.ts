/**
 * `dtx status` of a stopped node: what its database holds, in the shape the admin API gives
 * (server/sync/status.ts). Read-only: the node can start meanwhile.
 */
import { create } from '@bufbuild/protobuf';
import { initCrypto } from '../../shared/crypto.js';
import { GetStatusResponseSchema, type GetStatusResponse } from '../../shared/gen/dtx/v1/peer_service_pb.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { dataPath, loadNodeKey, requireInitialized } from '../config/data-dir.js';
import { openDatabase } from '../db/database.js';
import { LogStore } from '../db/log-store.js';
import { PeerStore } from '../db/peer-store.js';
import { QuarantineStore } from '../db/quarantine-store.js';
import { statusMessage, storedStatus } from '../sync/status.js';

export async function offlineStatus(dir: string): Promise<GetStatusResponse> {
  await initCrypto();
  requireInitialized(dir);
  const nodeId = nodeIdFromPublicKey(loadNodeKey(dir).publicKey);
  const db = openDatabase(dataPath(dir, 'database'), { readonly: true });
  try {
    return create(GetStatusResponseSchema, statusMessage(storedStatus(nodeId, new LogStore(db), new PeerStore(db), new QuarantineStore(db))));
  } finally {
    db.close();
  }
}
