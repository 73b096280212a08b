/**
 * What a peer says of this node's own log stops this node from signing (own-log-gate.ts), so it
 * is believed only with this node's own signature on it: the head entry's header and signature,
 * which the peer can only have from this node's log. Without that check, a roster member that
 * claimed a head it never had (gone wrong, or hostile) held the node's publishing for as long
 * as it kept claiming; now it is ignored and named in the node's log and the peer's status.
 */
import { verifySignature } from '../../shared/crypto.js';
import { bytesEqual } from '../../shared/encoding/hex.js';
import type { SyncHead } from '../../shared/gen/dtx/v1/sync_service_pb.js';
import { entryHash } from '../../shared/log/entry.js';
import { decodeHeader } from '../../shared/log/entry-header.js';

/** Why the claim is not proven, or undefined when the head entry is this node's, as claimed. */
export function ownHeadDoubt(head: SyncHead, ownKey: Uint8Array): string | undefined {
  const claim = `epoch ${head.epoch} seq ${head.seq}`;
  if (head.header.length === 0 || head.signature.length === 0) return `${claim} without the signed header of that entry`;
  let header;
  try {
    header = decodeHeader(head.header);
  } catch (err) {
    return `${claim} with a header that does not decode: ${(err as Error).message}`;
  }
  if (!bytesEqual(header.origin, ownKey)) return `${claim} with the header of another origin's entry`;
  if (header.epoch !== head.epoch || BigInt(header.seq) !== head.seq) return `${claim} with the header of epoch ${header.epoch} seq ${header.seq}`;
  if (!verifySignature(ownKey, head.header, head.signature)) return `${claim} with a signature that does not verify with this node's key`;
  if (!bytesEqual(entryHash(head.header, head.signature), head.hash)) return `${claim} with a hash that is not its entry's`;
  return undefined;
}
