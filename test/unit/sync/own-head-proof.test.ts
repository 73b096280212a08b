/** ownHeadDoubt: a peer's head of this node's own log counts only with this node's signature on it. */
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../../shared/crypto.js';
import { SyncHeadSchema } from '../../../shared/gen/dtx/v1/sync_service_pb.js';
import { createEntry } from '../../../shared/log/entry.js';
import { nodeIdFromPublicKey } from '../../../shared/node-id.js';
import { ownHeadDoubt } from '../../../server/sync/own-head-proof.js';

const own = generateSigningKey();
const other = generateSigningKey();

function signedHead(key = own, seq = 42, epoch = 2) {
  const { entry, hash } = createEntry(key, { epoch, seq, prevHash: new Uint8Array(32), timestampMs: 1_800_000_000_000, payloadType: 1 }, new Uint8Array([1, 2, 3]));
  return create(SyncHeadSchema, { origin: nodeIdFromPublicKey(own.publicKey), epoch, seq: BigInt(seq), hash, timestampMs: 1n, header: entry.header, signature: entry.signature });
}

describe('ownHeadDoubt', () => {
  it('accepts the head entry this node signed, as claimed', () => {
    expect(ownHeadDoubt(signedHead(), own.publicKey)).toBeUndefined();
  });

  it('names each way a claim falls short', () => {
    const good = signedHead();
    const cases: [string, ReturnType<typeof signedHead>, RegExp][] = [
      ['no proof', { ...good, header: new Uint8Array(0), signature: new Uint8Array(0) }, /^epoch 2 seq 42 without the signed header/],
      ['a header that is not one', { ...good, header: good.header.subarray(1) }, /header that does not decode: entry header must be/],
      ["another origin's entry", signedHead(other), /header of another origin's entry/],
      ['another position', { ...good, seq: 43n }, /^epoch 2 seq 43 with the header of epoch 2 seq 42$/],
      ['another epoch', { ...good, epoch: 3 }, /^epoch 3 seq 42 with the header of epoch 2 seq 42$/],
      ['a signature of another entry', { ...good, signature: signedHead(own, 41).signature }, /signature that does not verify with this node's key/],
      ['a hash that is not the entry\'s', { ...good, hash: new Uint8Array(32) }, /hash that is not its entry's/],
    ];
    for (const [name, head, doubt] of cases) expect(ownHeadDoubt(head, own.publicKey), name).toMatch(doubt);
  });
});
