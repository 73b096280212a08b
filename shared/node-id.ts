/**
 * Node ids are self-certifying: "dtx" + base32 of the node's Ed25519 public key. Pinning an id
 * pins the key, so a peer list of ids is also the list of keys to trust.
 */
import { base32Decode, base32Encode } from './encoding/base32.js';
import { PUBLIC_KEY_BYTES } from './crypto.js';
import { DtxError } from './errors.js';

const PREFIX = 'dtx';

export function nodeIdFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new DtxError('INVALID_ARGUMENT', 'a node public key is 32 bytes');
  return PREFIX + base32Encode(publicKey);
}

export function publicKeyFromNodeId(nodeId: string, field = 'node id'): Uint8Array {
  const bytes = nodeId.startsWith(PREFIX) ? base32Decode(nodeId.slice(PREFIX.length)) : undefined;
  if (!bytes || bytes.length !== PUBLIC_KEY_BYTES || nodeId.length !== PREFIX.length + 52) {
    throw new DtxError('INVALID_ARGUMENT', `${field}: not a DTX node id (expected "dtx" followed by 52 base32 letters)`, {
      details: { field },
    });
  }
  return bytes;
}
