/**
 * Deterministic generator of the log-format conformance vectors (test/vectors/log-v1.json).
 *
 * Everything is fixed: key seeds, timestamps and payloads, and Ed25519 signatures are
 * deterministic, so buildVectors() returns the same object on every run. The committed JSON is
 * checked against it by test/unit/log/vectors-fresh.test.ts; regenerate with
 *
 *   DTX_WRITE_VECTORS=1 npx vitest run test/unit/log/vectors-fresh.test.ts
 *
 * The expected error codes below are the specification; test/unit/log/vectors.test.ts checks
 * that the implementation agrees, without importing this file.
 */
import { create, toBinary, toJson, type JsonValue, type MessageInitShape } from '@bufbuild/protobuf';
import { blake2b256, initCrypto, signingKeyFromSeed, verifySignature, type SigningKey } from '../../shared/crypto.js';
import { toHex } from '../../shared/encoding/hex.js';
import type { ErrorCode } from '../../shared/errors.js';
import { Action, RetractReason, SightingType, Tlp } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { IndicatorPayloadSchema, PayloadType, RetractionPayloadSchema, SightingPayloadSchema } from '../../shared/gen/dtx/v1/log_pb.js';
import { DOMAIN_TAG, HEADER_BYTES, MAX_PAYLOAD_BYTES, ZERO_HASH } from '../../shared/log/entry-header.js';
import { createEntry, type SignedEntry } from '../../shared/log/entry.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';

/** Where the committed vectors live. */
export const VECTORS_FILE = new URL('./log-v1.json', import.meta.url);

export const ORIGIN_SEED = new Uint8Array(32).fill(0x01);
export const WRONG_SEED = new Uint8Array(32).fill(0x02);
/** A second member lab; it signs nothing here, it only publishes the indicator that is sighted. */
const OTHER_LAB_SEED = new Uint8Array(32).fill(0x03);

/** 2026-01-01T00:00:00Z in Unix milliseconds. */
const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const DAY = 86_400_000;

type SignerName = 'origin' | 'wrong';

interface HeadJson {
  epoch: number;
  seq: number;
  hash: string;
}

interface EntryJson {
  header: string;
  signature: string;
  payload: string;
}

export interface NegativeCase {
  name: string;
  description: string;
  /** Public key (hex) the ChainVerifier is pinned to. */
  verifier_origin: string;
  /** The chain head the entry is checked against; null for an empty log. */
  head: HeadJson | null;
  entry: EntryJson;
  /** Which key's signature over exactly these header bytes verifies (null: none). */
  signed_by: SignerName | null;
  expected_error: ErrorCode;
}

const HEADER_FIELDS = [
  { name: 'domain_tag', offset: 0, size: 8, type: 'bytes', note: 'ASCII "DTXLOG01"' },
  { name: 'origin', offset: 8, size: 32, type: 'bytes', note: 'Ed25519 public key of the origin' },
  { name: 'epoch', offset: 40, size: 4, type: 'u32', note: '>= 1' },
  { name: 'seq', offset: 44, size: 8, type: 'u64', note: '1 to 2^53 - 1' },
  { name: 'prev_hash', offset: 52, size: 32, type: 'bytes', note: 'entry hash of the previous entry; zeros for the first entry' },
  { name: 'timestamp_ms', offset: 84, size: 8, type: 'u64', note: 'Unix milliseconds, 0 to 2^53 - 1' },
  { name: 'payload_type', offset: 92, size: 2, type: 'u16', note: 'dtx.v1.PayloadType' },
  { name: 'payload_length', offset: 94, size: 4, type: 'u32', note: `0 to ${MAX_PAYLOAD_BYTES}` },
  { name: 'payload_hash', offset: 98, size: 32, type: 'bytes', note: 'BLAKE2b-256 of the payload' },
] as const;

/** Lays out a header byte by byte, without any range checks (for malformed cases). */
interface RawHeaderFields {
  tag: Uint8Array;
  origin: Uint8Array;
  epoch: number;
  seq: bigint;
  prevHash: Uint8Array;
  timestampMs: bigint;
  payloadType: number;
  payloadLength: number;
  payloadHash: Uint8Array;
}

function rawHeader(f: RawHeaderFields): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  const view = new DataView(out.buffer);
  out.set(f.tag, 0);
  out.set(f.origin, 8);
  view.setUint32(40, f.epoch);
  view.setBigUint64(44, f.seq);
  out.set(f.prevHash, 52);
  view.setBigUint64(84, f.timestampMs);
  view.setUint16(92, f.payloadType);
  view.setUint32(94, f.payloadLength);
  out.set(f.payloadHash, 98);
  return out;
}

function flipBit(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index] = copy[index]! ^ mask;
  return copy;
}

/** A UUIDv7 with a fixed "random" part, so the vectors stay deterministic. */
function uuidV7(ms: number, randA: string, randB: string): Uint8Array {
  const hex = ms.toString(16).padStart(12, '0') + '7' + randA + '8' + randB;
  if (hex.length !== 32) throw new Error('bad uuid parts');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

interface PayloadSpec {
  type: PayloadType;
  message: string;
  bytes: Uint8Array;
  json: JsonValue;
}

/** `otherLab`: the public key of a second member, whose indicator the origin reports a sighting of. */
function payloads(otherLab: Uint8Array): PayloadSpec[] {
  const emailId = uuidV7(T0 - 5 * MINUTE, '1a2', '3b4c5d6e7f80910');
  const cidrId = uuidV7(T0 + MINUTE - 2_000, '2b3', '4c5d6e7f8091a2b');
  const simhashId = uuidV7(T0 + 59 * MINUTE, '3c4', '5d6e7f8091a2b3c');
  // A stand-in for a keyed hash of a normalized e-mail address (the key is not part of the format).
  const emailHash = toHex(blake2b256(new TextEncoder().encode('dtx test vectors: mallory@example.com')));

  const indicator = (fields: MessageInitShape<typeof IndicatorPayloadSchema>): PayloadSpec => {
    const msg = create(IndicatorPayloadSchema, fields);
    return {
      type: PayloadType.INDICATOR,
      message: IndicatorPayloadSchema.typeName,
      bytes: toBinary(IndicatorPayloadSchema, msg),
      json: toJson(IndicatorPayloadSchema, msg),
    };
  };
  const emailV1 = {
    id: emailId,
    version: 1,
    kind: 'account.email',
    value: emailHash,
    tlp: Tlp.AMBER,
    confidence: 90,
    action: Action.BLOCK,
    validFromMs: BigInt(T0),
    validUntilMs: BigInt(T0 + 180 * DAY),
    tags: ['hydra-cluster', 'reseller'],
    campaign: 'cmp-2026-001',
    techniques: ['AML.T0021', 'AML.T0024.002'],
    description: 'Account in a cluster of fraudulent API accounts sharing payment methods.',
    normalizer: 'email-v1',
    keyEpoch: 1,
  };
  const sighting = create(SightingPayloadSchema, {
    indicatorId: uuidV7(T0 + 20 * 60 * MINUTE, '4d5', '6e7f8091a2b3c4d'),
    indicatorOrigin: otherLab,
    type: SightingType.SEEN,
    observedMs: BigInt(T0 + DAY + 40 * MINUTE),
    comment: 'Same prompt template in our traffic.',
  });
  const retraction = create(RetractionPayloadSchema, {
    indicatorId: cidrId,
    reason: RetractReason.FALSE_POSITIVE,
    comment: 'Shared NAT of a university network.',
  });
  return [
    indicator(emailV1),
    indicator({
      id: cidrId,
      version: 1,
      kind: 'network.cidr',
      value: '203.0.113.0/24',
      tlp: Tlp.GREEN,
      confidence: 60,
      action: Action.CHALLENGE,
      validFromMs: BigInt(T0 + MINUTE),
      validUntilMs: BigInt(T0 + 14 * DAY),
      tags: ['proxy'],
      campaign: 'cmp-2026-001',
      techniques: ['AML.T0008.005'],
    }),
    indicator({
      id: simhashId,
      version: 1,
      kind: 'prompt.simhash',
      value: 'a3f1c09e5b7d2468',
      tlp: Tlp.AMBER_STRICT,
      confidence: 70,
      action: Action.FLAG,
      validFromMs: BigInt(T0 + 60 * MINUTE),
      validUntilMs: BigInt(T0 + 90 * DAY),
      campaign: 'cmp-2026-001',
      techniques: ['AML.T0065', 'AML.T0024.002'],
      description: 'Chain-of-thought elicitation template.',
      normalizer: 'norm-v1',
      keyEpoch: 1,
      maxDistance: 3,
    }),
    // A new version of the first indicator, published in the next epoch.
    indicator({ ...emailV1, version: 2, confidence: 95, validUntilMs: BigInt(T0 + 365 * DAY), keyEpoch: 2 }),
    {
      type: PayloadType.RETRACTION,
      message: RetractionPayloadSchema.typeName,
      bytes: toBinary(RetractionPayloadSchema, retraction),
      json: toJson(RetractionPayloadSchema, retraction),
    },
    {
      type: PayloadType.SIGHTING,
      message: SightingPayloadSchema.typeName,
      bytes: toBinary(SightingPayloadSchema, sighting),
      json: toJson(SightingPayloadSchema, sighting),
    },
  ];
}

/** (epoch, seq, timestamp) of the positive chain, in order. */
const CHAIN = [
  { epoch: 1, seq: 1, timestampMs: T0 },
  { epoch: 1, seq: 2, timestampMs: T0 + MINUTE },
  { epoch: 1, seq: 3, timestampMs: T0 + 60 * MINUTE },
  { epoch: 2, seq: 1, timestampMs: T0 + DAY },
  { epoch: 2, seq: 2, timestampMs: T0 + DAY + 30 * MINUTE },
  { epoch: 2, seq: 3, timestampMs: T0 + DAY + 45 * MINUTE },
] as const;

function entryJson(e: SignedEntry): EntryJson {
  return { header: toHex(e.header), signature: toHex(e.signature), payload: toHex(e.payload) };
}

function keyJson(name: SignerName, seed: Uint8Array, key: SigningKey) {
  return { name, seed: toHex(seed), public_key: toHex(key.publicKey), node_id: nodeIdFromPublicKey(key.publicKey) };
}

export async function buildVectors() {
  await initCrypto();
  const origin = signingKeyFromSeed(ORIGIN_SEED);
  const wrong = signingKeyFromSeed(WRONG_SEED);
  const keys = { origin, wrong };
  const originHex = toHex(origin.publicKey);

  // ---- positive chain ----
  const specs = payloads(signingKeyFromSeed(OTHER_LAB_SEED).publicKey);
  const built: { entry: SignedEntry; hash: Uint8Array; epoch: number; seq: number; timestampMs: number; type: number }[] = [];
  const positive = CHAIN.map((c, i) => {
    const spec = specs[i]!;
    const prevHash = i === 0 ? ZERO_HASH : built[i - 1]!.hash;
    const { entry, hash } = createEntry(origin, { epoch: c.epoch, seq: c.seq, prevHash, timestampMs: c.timestampMs, payloadType: spec.type }, spec.bytes);
    built.push({ entry, hash, epoch: c.epoch, seq: c.seq, timestampMs: c.timestampMs, type: spec.type });
    return {
      signer: 'origin' as SignerName,
      epoch: c.epoch,
      seq: c.seq,
      prev_hash: toHex(prevHash),
      timestamp_ms: c.timestampMs,
      payload_type: spec.type,
      payload_type_name: `PAYLOAD_TYPE_${PayloadType[spec.type]}`,
      payload_length: spec.bytes.length,
      payload_message: spec.message,
      payload_json: spec.json,
      payload: toHex(spec.bytes),
      payload_hash: toHex(blake2b256(spec.bytes)),
      header: toHex(entry.header),
      signature: toHex(entry.signature),
      entry_hash: toHex(hash),
    };
  });

  const e = (i: number) => built[i - 1]!; // 1-based position in the chain
  const headAfter = (i: number): HeadJson => ({ epoch: e(i).epoch, seq: e(i).seq, hash: toHex(e(i).hash) });
  const e2 = e(2).entry;

  /** A header like entry 2's (origin key), with overrides, laid out without range checks. */
  const headerLike = (over: Partial<RawHeaderFields>): Uint8Array =>
    rawHeader({
      tag: DOMAIN_TAG,
      origin: origin.publicKey,
      epoch: e(2).epoch,
      seq: BigInt(e(2).seq),
      prevHash: e(1).hash,
      timestampMs: BigInt(e(2).timestampMs),
      payloadType: e(2).type,
      payloadLength: e2.payload.length,
      payloadHash: blake2b256(e2.payload),
      ...over,
    });
  const signedBy = (key: SigningKey, header: Uint8Array, payload = e2.payload): SignedEntry => ({ header, signature: key.sign(header), payload });

  const negative: NegativeCase[] = [];
  const add = (name: string, description: string, head: HeadJson | null, entry: SignedEntry, expected: ErrorCode, verifierOrigin = originHex) => {
    let signer: SignerName | null = null;
    for (const n of ['origin', 'wrong'] as const) {
      if (verifySignature(keys[n].publicKey, entry.header, entry.signature)) signer = n;
    }
    negative.push({ name, description, verifier_origin: verifierOrigin, head, entry: entryJson(entry), signed_by: signer, expected_error: expected });
  };

  // Entry-level: malformed bytes and payload binding.
  add('payload_bit_flip', 'Entry 2 with bit 0 of payload byte 5 flipped; header and signature untouched.', headAfter(1),
    { ...e2, payload: flipBit(e2.payload, 5) }, 'MALFORMED_ENTRY');
  add('payload_extra_byte', 'Entry 2 with one 0x00 byte appended to the payload; header and signature untouched.', headAfter(1),
    { ...e2, payload: new Uint8Array([...e2.payload, 0]) }, 'MALFORMED_ENTRY');
  add('payload_length_mismatch', 'Header claims one byte more than the payload has (payload hash is right); correctly signed.', headAfter(1),
    signedBy(origin, headerLike({ payloadLength: e2.payload.length + 1 })), 'MALFORMED_ENTRY');
  add('payload_length_over_max', `Header claims ${MAX_PAYLOAD_BYTES + 1} payload bytes (over the maximum); correctly signed.`, headAfter(1),
    signedBy(origin, headerLike({ payloadLength: MAX_PAYLOAD_BYTES + 1 })), 'MALFORMED_ENTRY');
  add('header_truncated', 'Entry 2 with the last header byte removed (129 bytes).', headAfter(1),
    { ...e2, header: e2.header.subarray(0, HEADER_BYTES - 1) }, 'MALFORMED_ENTRY');
  add('header_too_long', 'Entry 2 with a 0x00 byte appended to the header (131 bytes).', headAfter(1),
    { ...e2, header: new Uint8Array([...e2.header, 0]) }, 'MALFORMED_ENTRY');
  add('wrong_domain_tag', 'Entry 2 with domain tag "DTXLOG02", re-signed with the origin key.', headAfter(1),
    signedBy(origin, headerLike({ tag: new TextEncoder().encode('DTXLOG02') })), 'MALFORMED_ENTRY');
  add('epoch_zero', 'Genesis entry with epoch 0; correctly signed.', null,
    signedBy(origin, headerLike({ epoch: 0, seq: 1n, prevHash: ZERO_HASH })), 'MALFORMED_ENTRY');
  add('seq_zero', 'Genesis entry with seq 0; correctly signed.', null,
    signedBy(origin, headerLike({ seq: 0n, prevHash: ZERO_HASH })), 'MALFORMED_ENTRY');
  add('seq_beyond_2_53', 'Entry with seq 2^53 (after a head at 2^53 - 1); correctly signed.',
    { epoch: 1, seq: Number.MAX_SAFE_INTEGER, hash: toHex(e(1).hash) },
    signedBy(origin, headerLike({ seq: 2n ** 53n })), 'MALFORMED_ENTRY');
  add('timestamp_beyond_2_53', 'Entry 2 with timestamp 2^53; correctly signed.', headAfter(1),
    signedBy(origin, headerLike({ timestampMs: 2n ** 53n })), 'MALFORMED_ENTRY');
  add('header_payload_hash_bit_flip', 'Entry 2 with a bit of the header payload_hash flipped: the payload check fails before the signature check.', headAfter(1),
    { ...e2, header: flipBit(e2.header, 98) }, 'MALFORMED_ENTRY');

  // Entry-level: signatures.
  add('header_origin_bit_flip', 'Entry 2 with bit 0 of the first origin byte (offset 8) flipped; not re-signed.', headAfter(1),
    { ...e2, header: flipBit(e2.header, 8) }, 'BAD_SIGNATURE');
  add('header_seq_bit_flip', 'Entry 2 with bit 0 of the last seq byte (offset 51) flipped, so seq reads 3; not re-signed.', headAfter(1),
    { ...e2, header: flipBit(e2.header, 51) }, 'BAD_SIGNATURE');
  add('header_timestamp_bit_flip', 'Entry 2 with bit 0 of the last timestamp byte (offset 91) flipped; not re-signed.', headAfter(1),
    { ...e2, header: flipBit(e2.header, 91) }, 'BAD_SIGNATURE');
  add('header_prev_hash_bit_flip', 'Entry 2 with bit 0 of the first prev_hash byte (offset 52) flipped; not re-signed.', headAfter(1),
    { ...e2, header: flipBit(e2.header, 52) }, 'BAD_SIGNATURE');
  add('signature_bit_flip', 'Entry 2 with bit 0 of signature byte 0 flipped.', headAfter(1),
    { ...e2, signature: flipBit(e2.signature, 0) }, 'BAD_SIGNATURE');
  add('signature_truncated', 'Entry 2 with the last signature byte removed (63 bytes).', headAfter(1),
    { ...e2, signature: e2.signature.subarray(0, 63) }, 'BAD_SIGNATURE');
  add('wrong_key', 'Entry 2 header (origin = origin key) signed with the wrong key.', headAfter(1),
    signedBy(wrong, e2.header), 'BAD_SIGNATURE');

  // Chain-level: correctly signed entries that do not link.
  add('other_origin', "A correctly signed entry of the wrong key's own log (origin = wrong key, seq 2, prev_hash = entry 1's hash), checked against the origin's log.", headAfter(1),
    signedBy(wrong, headerLike({ origin: wrong.publicKey })), 'CHAIN_BROKEN');
  add('first_entry_not_seq_1', 'Empty log, entry with seq 2 and zero prev_hash; correctly signed.', null,
    signedBy(origin, headerLike({ seq: 2n, prevHash: ZERO_HASH })), 'CHAIN_BROKEN');
  add('genesis_prev_hash_not_zero', "Empty log, entry with seq 1 and prev_hash = entry 1's hash; correctly signed.", null,
    signedBy(origin, headerLike({ seq: 1n, prevHash: e(1).hash })), 'CHAIN_BROKEN');
  add('seq_gap', 'Head at seq 1, entry with seq 3 and the right prev_hash; correctly signed.', headAfter(1),
    signedBy(origin, headerLike({ seq: 3n })), 'CHAIN_BROKEN');
  add('seq_replay', 'Head at seq 2, entry 2 again.', headAfter(2), e2, 'CHAIN_BROKEN');
  add('wrong_prev_hash', "Head at seq 1, entry with seq 2 and prev_hash = entry 1's hash with bit 0 of byte 0 flipped; correctly signed.", headAfter(1),
    signedBy(origin, headerLike({ prevHash: flipBit(e(1).hash, 0) })), 'CHAIN_BROKEN');
  add('new_epoch_not_seq_1', 'Head at epoch 1 seq 3, entry with epoch 2 seq 2 and the right prev_hash; correctly signed.', headAfter(3),
    signedBy(origin, headerLike({ epoch: 2, seq: 2n, prevHash: e(3).hash })), 'CHAIN_BROKEN');
  add('new_epoch_zero_prev_hash', 'Head at epoch 1 seq 3, entry with epoch 2 seq 1 and a zero prev_hash (an epoch change does not restart the hash chain); correctly signed.', headAfter(3),
    signedBy(origin, headerLike({ epoch: 2, seq: 1n, prevHash: ZERO_HASH })), 'CHAIN_BROKEN');
  add('epoch_back', 'Head at epoch 2 seq 1, entry with epoch 1 seq 2 and the right prev_hash; correctly signed.', headAfter(4),
    signedBy(origin, headerLike({ epoch: 1, seq: 2n, prevHash: e(4).hash })), 'CHAIN_BROKEN');

  return {
    name: 'DTX log format v1 conformance vectors',
    generator: 'test/vectors/generate.ts (see test/vectors/README.md); do not edit by hand',
    format: {
      domain_tag: new TextDecoder().decode(DOMAIN_TAG),
      header_bytes: HEADER_BYTES,
      byte_order: 'big-endian',
      header_fields: HEADER_FIELDS,
      signature: 'Ed25519 (RFC 8032, pure) by the origin key over the header bytes exactly; 64 bytes',
      payload_hash: 'BLAKE2b-256 (unkeyed, 32-byte digest) of the payload bytes',
      entry_hash: 'BLAKE2b-256 (unkeyed, 32-byte digest) of header || signature',
      genesis_prev_hash: toHex(ZERO_HASH),
      max_payload_bytes: MAX_PAYLOAD_BYTES,
      max_seq: Number.MAX_SAFE_INTEGER,
      check_order: [
        'MALFORMED_ENTRY: header is exactly 130 bytes, domain tag, field ranges (epoch >= 1, 1 <= seq < 2^53, timestamp < 2^53, payload length <= max)',
        'MALFORMED_ENTRY: payload length equals the header payload_length, BLAKE2b-256(payload) equals payload_hash',
        'BAD_SIGNATURE: Ed25519 signature over the header verifies with the header origin key',
        'CHAIN_BROKEN: origin equals the log being followed, then seq/epoch rules, then prev_hash',
      ],
    },
    keys: { origin: keyJson('origin', ORIGIN_SEED, origin), wrong: keyJson('wrong', WRONG_SEED, wrong) },
    positive,
    negative,
  };
}

export type Vectors = Awaited<ReturnType<typeof buildVectors>>;

/** The exact text of the committed file. */
export async function vectorsText(): Promise<string> {
  return JSON.stringify(await buildVectors(), null, 2) + '\n';
}
