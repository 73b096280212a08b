import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { SubscribeResponseSchema, type SubscribeResponse } from '../../../shared/gen/dtx/v1/sync_service_pb.js';
import { readSubscribeResponse } from '../../../shared/wire/message-readers.js';
import { writeSubscribeResponse, type EntryBytes, type SyncHeadFields } from '../../../shared/wire/subscribe-writer.js';
import { rng } from '../../_util/rng.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('writeSubscribeResponse and readSubscribeResponse', () => {
  const next = rng(31);
  const int = (max: number) => (next() < 0.2 ? 0 : Math.floor(next() * max));
  const bytes = (max: number) => Uint8Array.from({ length: int(max) }, () => int(256));

  it('writes exactly the bytes of the generated encoder for 300 random messages', () => {
    for (let i = 0; i < 300; i++) {
      const entries: EntryBytes[] = Array.from({ length: int(30) }, () => ({ header: bytes(140), signature: bytes(70), payload: bytes(3000) }));
      const heads: SyncHeadFields[] = Array.from({ length: int(4) }, () => ({
        origin: next() < 0.1 ? '' : `dtx${'a'.repeat(int(52))}`,
        epoch: int(2 ** 32),
        seq: int(2 ** 53),
        hash: bytes(32),
        timestampMs: int(2 ** 45),
        header: bytes(140),
        signature: bytes(70),
      }));
      const caughtUp = next() < 0.5;
      const generated = create(SubscribeResponseSchema, {
        entries,
        heads: heads.map((h) => ({ ...h, seq: BigInt(h.seq), timestampMs: BigInt(h.timestampMs) })),
        caughtUp,
      });
      const written = writeSubscribeResponse(entries, heads, caughtUp);
      expect(hex(written), `case ${i}`).toBe(hex(toBinary(SubscribeResponseSchema, generated)));
      expect(fromBinary(SubscribeResponseSchema, written).entries.map((e) => hex(e.payload))).toEqual(entries.map((e) => hex(e.payload)));
      // The hand-written reader gives what the generated decoder gives.
      const plain = (m: SubscribeResponse) => ({ ...m, entries: m.entries.map((e) => [hex(e.header), hex(e.signature), hex(e.payload)]), heads: m.heads.map((h) => ({ ...h, hash: hex(h.hash), header: hex(h.header), signature: hex(h.signature) })) });
      expect(plain(readSubscribeResponse(written))).toEqual(plain(fromBinary(SubscribeResponseSchema, written)));
    }
  });
});
