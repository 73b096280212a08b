/**
 * Checks the implementation against the committed, language-neutral vectors
 * (test/vectors/log-v1.json). Deliberately does not import the generator: the JSON is the
 * specification here, exactly as a second implementation would consume it.
 */
import { readFileSync } from 'node:fs';
import { fromBinary, toJson, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectCryptoBackend, signingKeyFromSeed, verifySignature } from '../../../shared/crypto.js';
import { fromHex, toHex } from '../../../shared/encoding/hex.js';
import { DtxError, isErrorCode } from '../../../shared/errors.js';
import { IndicatorPayloadSchema, RetractionPayloadSchema, SightingPayloadSchema } from '../../../shared/gen/dtx/v1/log_pb.js';
import { ChainVerifier, type ChainHead } from '../../../shared/log/chain-verifier.js';
import { decodeHeader, DOMAIN_TAG, HEADER_BYTES, MAX_PAYLOAD_BYTES, ZERO_HASH } from '../../../shared/log/entry-header.js';
import { createEntry, type SignedEntry } from '../../../shared/log/entry.js';
import { nodeIdFromPublicKey } from '../../../shared/node-id.js';

interface KeyJson {
  seed: string;
  public_key: string;
  node_id: string;
}
interface HeadJson {
  epoch: number;
  seq: number;
  hash: string;
}
interface PositiveJson {
  signer: 'origin' | 'wrong';
  epoch: number;
  seq: number;
  prev_hash: string;
  timestamp_ms: number;
  payload_type: number;
  payload_length: number;
  payload_message: string;
  payload_json: JsonValue;
  payload: string;
  payload_hash: string;
  header: string;
  signature: string;
  entry_hash: string;
}
interface NegativeJson {
  name: string;
  verifier_origin: string;
  head: HeadJson | null;
  entry: { header: string; signature: string; payload: string };
  signed_by: 'origin' | 'wrong' | null;
  expected_error: string;
}
interface VectorsJson {
  format: { domain_tag: string; header_bytes: number; max_payload_bytes: number; genesis_prev_hash: string };
  keys: Record<'origin' | 'wrong', KeyJson>;
  positive: PositiveJson[];
  negative: NegativeJson[];
}

const vectors = JSON.parse(readFileSync(new URL('../../vectors/log-v1.json', import.meta.url), 'utf8')) as VectorsJson;

const PAYLOAD_SCHEMAS: Record<string, DescMessage> = {
  [IndicatorPayloadSchema.typeName]: IndicatorPayloadSchema,
  [RetractionPayloadSchema.typeName]: RetractionPayloadSchema,
  [SightingPayloadSchema.typeName]: SightingPayloadSchema,
};

function toEntry(e: { header: string; signature: string; payload: string }): SignedEntry {
  return { header: fromHex(e.header), signature: fromHex(e.signature), payload: fromHex(e.payload) };
}

function toHead(h: HeadJson | null): ChainHead | undefined {
  return h ? { epoch: h.epoch, seq: h.seq, hash: fromHex(h.hash) } : undefined;
}

describe('log vectors v1: format and keys', () => {
  it('describe the format this implementation uses', () => {
    expect(vectors.format.domain_tag).toBe(new TextDecoder().decode(DOMAIN_TAG));
    expect(vectors.format.header_bytes).toBe(HEADER_BYTES);
    expect(vectors.format.max_payload_bytes).toBe(MAX_PAYLOAD_BYTES);
    expect(vectors.format.genesis_prev_hash).toBe(toHex(ZERO_HASH));
  });

  it('derive public keys and node ids from the seeds', () => {
    for (const k of Object.values(vectors.keys)) {
      const key = signingKeyFromSeed(fromHex(k.seed));
      expect(toHex(key.publicKey)).toBe(k.public_key);
      expect(nodeIdFromPublicKey(key.publicKey)).toBe(k.node_id);
    }
  });

  it('cover a chain with an epoch change and at least 4 entries', () => {
    const p = vectors.positive;
    expect(p.length).toBeGreaterThanOrEqual(4);
    expect(p[0]!.prev_hash).toBe(toHex(ZERO_HASH));
    const change = p.findIndex((e, i) => i > 0 && e.epoch > p[i - 1]!.epoch);
    expect(change).toBeGreaterThan(0);
    expect(p[change]!.seq).toBe(1);
    expect(p[change]!.prev_hash).toBe(p[change - 1]!.entry_hash);
  });
});

// Both crypto backends (shared/crypto.ts) must produce and accept exactly the same bytes.
describe.each(['native', 'portable'] as const)('with the %s crypto backend', (backend) => {
  beforeAll(() => {
    expect(selectCryptoBackend(backend)).toBe(backend);
  });
  afterAll(() => {
    selectCryptoBackend('auto');
  });

  describe('log vectors v1: positive chain', () => {
    it.each(vectors.positive.map((v, i) => [i, v] as const))('entry %i rebuilds byte for byte with createEntry', (_i, v) => {
      const key = signingKeyFromSeed(fromHex(vectors.keys[v.signer].seed));
      const payload = fromHex(v.payload);
      const { entry, hash } = createEntry(
        key,
        { epoch: v.epoch, seq: v.seq, prevHash: fromHex(v.prev_hash), timestampMs: v.timestamp_ms, payloadType: v.payload_type },
        payload,
      );
      expect(toHex(entry.header)).toBe(v.header);
      expect(toHex(entry.signature)).toBe(v.signature);
      expect(toHex(hash)).toBe(v.entry_hash);

      const header = decodeHeader(fromHex(v.header));
      expect(toHex(header.origin)).toBe(vectors.keys[v.signer].public_key);
      expect(header.epoch).toBe(v.epoch);
      expect(header.seq).toBe(v.seq);
      expect(toHex(header.prevHash)).toBe(v.prev_hash);
      expect(header.timestampMs).toBe(v.timestamp_ms);
      expect(header.payloadType).toBe(v.payload_type);
      expect(header.payloadLength).toBe(v.payload_length);
      expect(payload.length).toBe(v.payload_length);
      expect(toHex(header.payloadHash)).toBe(v.payload_hash);
    });

    it.each(vectors.positive.map((v, i) => [i, v] as const))('entry %i payload decodes as its protobuf message', (_i, v) => {
      const schema = PAYLOAD_SCHEMAS[v.payload_message];
      expect(schema, v.payload_message).toBeDefined();
      expect(toJson(schema!, fromBinary(schema!, fromHex(v.payload)))).toEqual(v.payload_json);
    });

    it('verifies through ChainVerifier, with and without per-entry signatures', () => {
      for (const signature of [true, false]) {
        const verifier = new ChainVerifier(fromHex(vectors.keys.origin.public_key));
        for (const v of vectors.positive) {
          const checked = verifier.push(toEntry(v), { signature });
          expect(toHex(checked.hash)).toBe(v.entry_hash);
          expect(verifier.current).toEqual({ epoch: v.epoch, seq: v.seq, hash: fromHex(v.entry_hash) });
        }
      }
    });
  });

  describe('log vectors v1: negative cases', () => {
    it('have unique names and known error codes', () => {
      const names = vectors.negative.map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
      for (const c of vectors.negative) expect(isErrorCode(c.expected_error), c.name).toBe(true);
    });

    it.each(vectors.negative.map((c) => [c.name, c] as const))('%s is rejected with its code and the head stays put', (_name, c) => {
      const entry = toEntry(c.entry);

      // The signed_by claim holds, so "correctly signed" cases have only the defect they name.
      for (const name of ['origin', 'wrong'] as const) {
        expect(verifySignature(fromHex(vectors.keys[name].public_key), entry.header, entry.signature), `${c.name}: signed by ${name}`).toBe(
          c.signed_by === name,
        );
      }

      const head = toHead(c.head);
      const verifier = new ChainVerifier(fromHex(c.verifier_origin), head);
      let error: unknown;
      try {
        verifier.push(entry);
      } catch (err) {
        error = err;
      }
      expect(error, `${c.name}: accepted`).toBeInstanceOf(DtxError);
      expect((error as DtxError).code, `${c.name}: ${(error as Error).message}`).toBe(c.expected_error);
      expect(verifier.current).toEqual(head);
    });
  });
});
