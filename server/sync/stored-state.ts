/**
 * Federation state read straight from the stores: heads (also the cursors a subscription
 * resumes from) and halts with their origin's node id. Shared by the running federation and by
 * the status of a stopped node.
 */
import { DtxError } from '../../shared/errors.js';
import { nodeIdFromPublicKey, publicKeyFromNodeId } from '../../shared/node-id.js';
import type { LogStore } from '../db/log-store.js';
import type { HaltRow, PeerStore } from '../db/peer-store.js';

export interface HeadView {
  origin: string;
  epoch: number;
  seq: number;
  hash: Uint8Array;
}

export type HaltView = HaltRow & { originId: string };

/** Every origin's head as stored (these are also the cursors a subscription resumes from). */
export function storedHeads(logStore: LogStore): HeadView[] {
  return logStore
    .origins()
    .filter((o) => o.headSeq > 0 && o.headHash)
    .map((o) => ({ origin: nodeIdFromPublicKey(o.key), epoch: o.headEpoch, seq: o.headSeq, hash: o.headHash! }));
}

/** Halts with their origin's node id. */
export function storedHalts(peerStore: PeerStore, logStore: LogStore): HaltView[] {
  return peerStore.halts().map((h) => ({ ...h, originId: nodeIdFromPublicKey(logStore.origin(h.origin)!.key) }));
}

/**
 * Lifts an origin's halt in the database (the running node also forgets it in its applier);
 * returns the halt with its evidence. NOT_FOUND when the origin is not halted.
 */
export function liftStoredHalt(peerStore: PeerStore, logStore: LogStore, originId: string): HaltView {
  const origin = logStore.originByKey(publicKeyFromNodeId(originId, 'origin'));
  const lifted = origin && peerStore.liftHalt(origin.idx);
  if (!lifted) throw new DtxError('NOT_FOUND', `origin: ${originId} is not halted on this node`, { details: { field: 'origin' } });
  return { ...lifted, originId };
}
