/**
 * Hashing received entries on worker threads (server/sync/verify-pool.ts, digest): the worker's
 * verdicts and hashes equal what the main thread computes, for entries that are views into one
 * message buffer (copied as one span) and for entries each in buffers of their own, including a
 * payload that does not match its header and a header of the wrong size (left unhashed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, initCrypto } from '../../shared/crypto.js';
import { createEntry, entryHash, type SignedEntry } from '../../shared/log/entry.js';
import { ZERO_HASH } from '../../shared/log/entry-header.js';
import { VerifyPool } from '../../server/sync/verify-pool.js';

let pool: VerifyPool;

beforeAll(async () => {
  await initCrypto();
  pool = new VerifyPool(1);
});

afterAll(async () => {
  await pool.close();
});

function signedEntries(n: number): SignedEntry[] {
  const key = generateSigningKey();
  let prev: Uint8Array = ZERO_HASH;
  return Array.from({ length: n }, (_, i) => {
    const { entry, hash } = createEntry(key, { epoch: 1, seq: i + 1, prevHash: prev, timestampMs: 1_000 + i, payloadType: 1 }, Buffer.from(`payload ${i} `.repeat(1 + (i % 7))));
    prev = hash;
    return entry;
  });
}

/** The same entries as views into one buffer, as a decoded message holds them (with gaps between parts). */
function inOneBuffer(entries: readonly SignedEntry[]): SignedEntry[] {
  const parts = entries.flatMap((e) => [e.header, e.signature, e.payload]);
  const buffer = Buffer.alloc(parts.reduce((n, p) => n + p.length + 3, 0));
  let at = 0;
  const view = (p: Uint8Array) => {
    buffer.set(p, at + 3);
    at += p.length + 3;
    return buffer.subarray(at - p.length, at);
  };
  return entries.map((e) => ({ header: view(e.header), signature: view(e.signature), payload: view(e.payload) }));
}

describe('digests on a worker thread', () => {
  it.each(['one message buffer', 'buffers of their own'])('match the main thread for entries in %s', async (layout) => {
    const made = signedEntries(300);
    // Entry 17's payload altered (its header's payload hash no longer matches); entry 40's header cut short.
    made[17] = { ...made[17]!, payload: Buffer.from('altered payload') };
    made[40] = { ...made[40]!, header: made[40]!.header.subarray(0, 100) };
    const entries = layout === 'one message buffer' ? inOneBuffer(made) : made;
    if (layout === 'one message buffer') expect(new Set(entries.flatMap((e) => [e.header.buffer, e.signature.buffer, e.payload.buffer])).size).toBe(1);
    const digests = await pool.digest(entries);
    entries.forEach((e, i) => {
      expect(digests.hashed(i)).toBe(i !== 40);
      if (i === 40) return;
      expect(digests.ok[i]).toBe(i === 17 ? 0 : 1);
      expect(Buffer.from(digests.hashes.subarray(i * 32, (i + 1) * 32))).toEqual(Buffer.from(entryHash(e.header, e.signature)));
    });
  });
});
