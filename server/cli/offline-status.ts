/**
 * `dtx status` and `dtx quarantine` of a stopped node: what its database holds, in the shape
 * the admin API gives (server/sync/status.ts, quarantine-listing.ts). Read-only: the node can
 * start meanwhile.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { initCrypto } from '../../shared/crypto.js';
import {
  GetStatusResponseSchema,
  ListQuarantineRequestSchema,
  ListQuarantineResponseSchema,
  type GetStatusResponse,
  type ListQuarantineResponse,
} from '../../shared/gen/dtx/v1/peer_service_pb.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { dataPath, loadNodeKey, requireInitialized } from '../config/data-dir.js';
import { openDatabase, type Db } from '../db/database.js';
import { LogStore } from '../db/log-store.js';
import { PeerStore } from '../db/peer-store.js';
import { QuarantineStore } from '../db/quarantine-store.js';
import { listQuarantine } from '../sync/quarantine-listing.js';
import { statusMessage, storedStatus } from '../sync/status.js';

async function withStoppedDatabase<T>(dir: string, read: (db: Db) => T): Promise<T> {
  await initCrypto();
  requireInitialized(dir);
  const db = openDatabase(dataPath(dir, 'database'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

export function offlineStatus(dir: string): Promise<GetStatusResponse> {
  return withStoppedDatabase(dir, (db) => {
    const nodeId = nodeIdFromPublicKey(loadNodeKey(dir).publicKey);
    return create(GetStatusResponseSchema, statusMessage(storedStatus(nodeId, new LogStore(db), new PeerStore(db), new QuarantineStore(db))));
  });
}

export function offlineQuarantine(dir: string, request: MessageInitShape<typeof ListQuarantineRequestSchema>): Promise<ListQuarantineResponse> {
  return withStoppedDatabase(dir, (db) => create(ListQuarantineResponseSchema, listQuarantine(new QuarantineStore(db), create(ListQuarantineRequestSchema, request))));
}
