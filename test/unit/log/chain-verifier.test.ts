import { describe, expect, it } from 'vitest';
import { signingKeyFromSeed, type SigningKey } from '../../../shared/crypto.js';
import { DtxError, type ErrorCode } from '../../../shared/errors.js';
import { ChainVerifier, type ChainHead } from '../../../shared/log/chain-verifier.js';
import { ZERO_HASH } from '../../../shared/log/entry-header.js';
import { createEntry, type CreatedEntry, type SignedEntry } from '../../../shared/log/entry.js';

const origin = signingKeyFromSeed(new Uint8Array(32).fill(0x01));
const other = signingKeyFromSeed(new Uint8Array(32).fill(0x02));
const T0 = Date.UTC(2026, 0, 1);

interface Link {
  epoch: number;
  seq: number;
}

/** Builds a correctly linked chain: [epoch, seq] pairs, prev_hash of each = hash of the one before. */
function chain(links: Link[], key: SigningKey = origin, start: Uint8Array = ZERO_HASH): CreatedEntry[] {
  const out: CreatedEntry[] = [];
  let prevHash = start;
  for (const [i, l] of links.entries()) {
    const created = createEntry(key, { ...l, prevHash, timestampMs: T0 + i * 1000, payloadType: 1 }, new TextEncoder().encode(`payload ${i}`));
    out.push(created);
    prevHash = created.hash;
  }
  return out;
}

function seqs(n: number, epoch = 1, from = 1): Link[] {
  return Array.from({ length: n }, (_, i) => ({ epoch, seq: from + i }));
}

function headOf(c: CreatedEntry, l: Link): ChainHead {
  return { epoch: l.epoch, seq: l.seq, hash: c.hash };
}

function expectRejected(verifier: ChainVerifier, entry: SignedEntry, code: ErrorCode, options?: { signature: boolean }): void {
  const before = verifier.current;
  let error: unknown;
  try {
    verifier.push(entry, options);
  } catch (err) {
    error = err;
  }
  expect(error, 'expected a DtxError').toBeInstanceOf(DtxError);
  expect((error as DtxError).code, (error as Error).message).toBe(code);
  expect(verifier.current).toEqual(before);
}

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

describe('ChainVerifier', () => {
  it('accepts a chain and reports its head', () => {
    const entries = chain(seqs(3));
    const verifier = new ChainVerifier(origin.publicKey);
    expect(verifier.current).toBeUndefined();
    for (const [i, c] of entries.entries()) {
      const checked = verifier.push(c.entry);
      expect(checked.hash).toEqual(c.hash);
      expect(checked.header.seq).toBe(i + 1);
      expect(verifier.current).toEqual({ epoch: 1, seq: i + 1, hash: c.hash });
    }
  });

  it('verifies a chain of 1,000 entries', () => {
    const entries = chain(seqs(1000));
    const verifier = new ChainVerifier(origin.publicKey);
    for (const c of entries) verifier.push(c.entry);
    expect(verifier.current).toEqual({ epoch: 1, seq: 1000, hash: entries[999]!.hash });
  });

  it('continues from a known head', () => {
    const entries = chain(seqs(4));
    const verifier = new ChainVerifier(origin.publicKey, headOf(entries[1]!, { epoch: 1, seq: 2 }));
    verifier.push(entries[2]!.entry);
    verifier.push(entries[3]!.entry);
    expect(verifier.current?.seq).toBe(4);
  });

  it('changes epoch: seq restarts at 1 and prev_hash links to the last entry of the old epoch', () => {
    const links = [...seqs(2, 1), ...seqs(3, 2), ...seqs(1, 3)];
    const entries = chain(links);
    const verifier = new ChainVerifier(origin.publicKey);
    for (const c of entries) verifier.push(c.entry);
    expect(verifier.current).toEqual({ epoch: 3, seq: 1, hash: entries[5]!.hash });
  });

  it('refuses a new epoch that does not start at seq 1', () => {
    const [e1] = chain(seqs(1));
    const [bad] = chain([{ epoch: 2, seq: 2 }], origin, e1!.hash);
    const verifier = new ChainVerifier(origin.publicKey, headOf(e1!, { epoch: 1, seq: 1 }));
    expectRejected(verifier, bad!.entry, 'CHAIN_BROKEN');
  });

  it('refuses a new epoch that restarts the hash chain from zeros', () => {
    const [e1] = chain(seqs(1));
    const [bad] = chain([{ epoch: 2, seq: 1 }], origin, ZERO_HASH);
    const verifier = new ChainVerifier(origin.publicKey, headOf(e1!, { epoch: 1, seq: 1 }));
    expectRejected(verifier, bad!.entry, 'CHAIN_BROKEN');
  });

  it('refuses an epoch going back', () => {
    const entries = chain([...seqs(1, 1), ...seqs(1, 2)]);
    const [bad] = chain([{ epoch: 1, seq: 2 }], origin, entries[1]!.hash);
    const verifier = new ChainVerifier(origin.publicKey);
    for (const c of entries) verifier.push(c.entry);
    expectRejected(verifier, bad!.entry, 'CHAIN_BROKEN');
  });

  it('refuses a first entry that is not seq 1 or does not start from zeros', () => {
    const verifier = new ChainVerifier(origin.publicKey);
    expectRejected(verifier, chain([{ epoch: 1, seq: 2 }])[0]!.entry, 'CHAIN_BROKEN');
    expectRejected(verifier, chain(seqs(1), origin, new Uint8Array(32).fill(9))[0]!.entry, 'CHAIN_BROKEN');
    expect(verifier.current).toBeUndefined();
  });

  it('refuses gaps, replays and wrong prev_hash, and stays usable afterwards', () => {
    const entries = chain(seqs(3));
    const verifier = new ChainVerifier(origin.publicKey);
    verifier.push(entries[0]!.entry);
    expectRejected(verifier, entries[2]!.entry, 'CHAIN_BROKEN'); // gap
    expectRejected(verifier, entries[0]!.entry, 'CHAIN_BROKEN'); // replay
    const [forged] = chain([{ epoch: 1, seq: 2 }], origin, flip(entries[0]!.hash, 0));
    expectRejected(verifier, forged!.entry, 'CHAIN_BROKEN'); // wrong prev_hash
    verifier.push(entries[1]!.entry);
    verifier.push(entries[2]!.entry);
    expect(verifier.current?.seq).toBe(3);
  });

  it('refuses a different entry at the same seq (the verifier cannot tell a fork from a break)', () => {
    const entries = chain(seqs(2));
    const verifier = new ChainVerifier(origin.publicKey);
    verifier.push(entries[0]!.entry);
    verifier.push(entries[1]!.entry);
    const twin = createEntry(origin, { epoch: 1, seq: 2, prevHash: entries[0]!.hash, timestampMs: T0 + 5, payloadType: 1 }, new Uint8Array([1]));
    expectRejected(verifier, twin.entry, 'CHAIN_BROKEN');
  });

  it('refuses entries of another origin, even correctly signed and linked', () => {
    const mine = chain(seqs(1));
    const theirs = chain(seqs(2), other);
    const verifier = new ChainVerifier(origin.publicKey);
    expectRejected(verifier, theirs[0]!.entry, 'CHAIN_BROKEN');
    verifier.push(mine[0]!.entry);
    const [spliced] = chain([{ epoch: 1, seq: 2 }], other, mine[0]!.hash);
    expectRejected(verifier, spliced!.entry, 'CHAIN_BROKEN');
    expectRejected(verifier, spliced!.entry, 'CHAIN_BROKEN', { signature: false });
  });

  it('checks the signature before the chain links', () => {
    const entries = chain(seqs(2));
    const verifier = new ChainVerifier(origin.publicKey);
    verifier.push(entries[0]!.entry);
    expectRejected(verifier, { ...entries[1]!.entry, signature: flip(entries[1]!.entry.signature, 10) }, 'BAD_SIGNATURE');
    // seq 2 -> 3 in the header: both the signature and the link are wrong; the signature wins.
    expectRejected(verifier, { ...entries[1]!.entry, header: flip(entries[1]!.entry.header, 51) }, 'BAD_SIGNATURE');
    expectRejected(verifier, { ...entries[1]!.entry, signature: other.sign(entries[1]!.entry.header) }, 'BAD_SIGNATURE');
  });

  describe('with signature: false', () => {
    const off = { signature: false };

    it('accepts a correct chain', () => {
      const entries = chain([...seqs(3, 1), ...seqs(2, 2)]);
      const verifier = new ChainVerifier(origin.publicKey);
      for (const c of entries) verifier.push(c.entry, off);
      expect(verifier.current).toEqual({ epoch: 2, seq: 2, hash: entries[4]!.hash });
    });

    it('still checks the payload hash and length', () => {
      const [e1] = chain(seqs(1));
      const verifier = new ChainVerifier(origin.publicKey);
      expectRejected(verifier, { ...e1!.entry, payload: flip(e1!.entry.payload, 0) }, 'MALFORMED_ENTRY', off);
      expectRejected(verifier, { ...e1!.entry, payload: e1!.entry.payload.subarray(1) }, 'MALFORMED_ENTRY', off);
    });

    it('still checks seq, epoch, origin and prev_hash', () => {
      const entries = chain(seqs(3));
      const verifier = new ChainVerifier(origin.publicKey);
      expectRejected(verifier, entries[1]!.entry, 'CHAIN_BROKEN', off);
      verifier.push(entries[0]!.entry, off);
      expectRejected(verifier, entries[2]!.entry, 'CHAIN_BROKEN', off);
      const [forged] = chain([{ epoch: 1, seq: 2 }], origin, ZERO_HASH);
      expectRejected(verifier, forged!.entry, 'CHAIN_BROKEN', off);
      // A header edited to claim seq 3 is a gap, not a signature failure, in this mode.
      expectRejected(verifier, { ...entries[1]!.entry, header: flip(entries[1]!.entry.header, 51) }, 'CHAIN_BROKEN', off);
      // A header edited to claim another origin.
      expectRejected(verifier, { ...entries[1]!.entry, header: flip(entries[1]!.entry.header, 8) }, 'CHAIN_BROKEN', off);
    });

    it('lets the next link catch a tampered signature or header', () => {
      const entries = chain(seqs(3));
      for (const tampered of [
        { ...entries[1]!.entry, signature: flip(entries[1]!.entry.signature, 0) },
        { ...entries[1]!.entry, header: flip(entries[1]!.entry.header, 91) }, // timestamp
      ]) {
        const verifier = new ChainVerifier(origin.publicKey);
        verifier.push(entries[0]!.entry, off);
        verifier.push(tampered, off); // accepted: nothing vouches for it yet
        expectRejected(verifier, entries[2]!.entry, 'CHAIN_BROKEN', off);
        expectRejected(verifier, entries[2]!.entry, 'CHAIN_BROKEN');
      }
    });
  });
});
