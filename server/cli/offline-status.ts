/**
 * `dtx status` of a stopped node: what its database holds (heads, roster, halts, quarantine),
 * in the same shape the admin API gives, every peer in state "stopped". Read-only: the node
 * can start meanwhile.
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

export async function offlineStatus(dir: string): Promise<GetStatusResponse> {
  await initCrypto();
  requireInitialized(dir);
  const nodeId = nodeIdFromPublicKey(loadNodeKey(dir).publicKey);
  const db = openDatabase(dataPath(dir, 'database'), { readonly: true });
  try {
    const logStore = new LogStore(db);
    const peers = new PeerStore(db);
    const quarantine = new QuarantineStore(db);
    const idOf = (idx: number) => nodeIdFromPublicKey(logStore.origin(idx)!.key);
    return create(GetStatusResponseSchema, {
      nodeId,
      heads: logStore
        .origins()
        .filter((o) => o.headSeq > 0 && o.headHash)
        .map((o) => ({ origin: nodeIdFromPublicKey(o.key), epoch: o.headEpoch, seq: BigInt(o.headSeq), hash: o.headHash! })),
      peers: peers.peers().map((p) => ({
        id: p.nodeId,
        url: p.url,
        name: p.name,
        state: 'stopped',
        rejected: quarantine.reasons(p.nodeId).map((r) => ({ reason: r.reason, count: BigInt(r.count) })),
      })),
      halted: peers.halts().map((h) => ({
        origin: idOf(h.origin),
        reason: h.reason,
        sinceMs: BigInt(h.since),
        epoch: h.epoch,
        seq: BigInt(h.seq),
        headerA: h.headerA ?? undefined,
        signatureA: h.signatureA ?? undefined,
        headerB: h.headerB ?? undefined,
        signatureB: h.signatureB ?? undefined,
        via: h.via,
      })),
      quarantined: BigInt(quarantine.count()),
    });
  } finally {
    db.close();
  }
}
