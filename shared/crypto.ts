/**
 * The crypto facade: the only module that touches libsodium-wrappers or node:crypto keys.
 *
 * Ed25519 signing and verification go through node:crypto (OpenSSL): measured on this
 * project's 2-core machines it signs about 36k/s against libsodium-wrappers' 26k/s, and signing
 * sits on the publish hot path (every entry is signed, and the chain makes that sequential).
 * BLAKE2b-256 comes from libsodium, whose BLAKE2b runs at over 1M hashes/s on
 * entry-sized inputs; node:crypto offers no 256-bit BLAKE2b.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import sodiumModule from 'libsodium-wrappers';
import { DtxError } from './errors.js';

const sodium = sodiumModule;
let ready = false;

/** Must be awaited once before hashing (libsodium loads its WebAssembly asynchronously). */
export async function initCrypto(): Promise<void> {
  if (ready) return;
  await sodium.ready;
  ready = true;
}

function requireReady(): void {
  if (!ready) throw new DtxError('INTERNAL', 'crypto used before initCrypto() resolved');
}

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const HASH_BYTES = 32;

// PKCS#8 DER prefix for a raw 32-byte Ed25519 seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface SigningKey {
  readonly publicKey: Uint8Array;
  readonly privateKeyObject: KeyObject;
  readonly publicKeyObject: KeyObject;
  sign(message: Uint8Array): Uint8Array;
}

function fromPrivateKeyObject(privateKeyObject: KeyObject): SigningKey {
  if (privateKeyObject.asymmetricKeyType !== 'ed25519') {
    throw new DtxError('CONFIG_INVALID', `expected an Ed25519 key, got ${privateKeyObject.asymmetricKeyType ?? 'a secret key'}`);
  }
  const publicKeyObject = createPublicKey(privateKeyObject);
  const jwk = publicKeyObject.export({ format: 'jwk' });
  const publicKey = new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
  return {
    publicKey,
    privateKeyObject,
    publicKeyObject,
    sign: (message) => new Uint8Array(nodeSign(null, message, privateKeyObject)),
  };
}

export function generateSigningKey(): SigningKey {
  return fromPrivateKeyObject(generateKeyPairSync('ed25519').privateKey);
}

/** Deterministic keys for test vectors and tests: seed is 32 bytes. */
export function signingKeyFromSeed(seed: Uint8Array): SigningKey {
  if (seed.length !== 32) throw new DtxError('INVALID_ARGUMENT', 'an Ed25519 seed is 32 bytes');
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  return fromPrivateKeyObject(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
}

export function signingKeyFromPem(pem: string): SigningKey {
  try {
    return fromPrivateKeyObject(createPrivateKey({ key: pem, format: 'pem' }));
  } catch (err) {
    if (err instanceof DtxError) throw err;
    throw new DtxError('CONFIG_INVALID', 'the node key file is not a PEM PKCS#8 Ed25519 private key', { cause: err });
  }
}

export function signingKeyToPem(key: SigningKey): string {
  return key.privateKeyObject.export({ format: 'pem', type: 'pkcs8' }).toString();
}

const publicKeyCache = new Map<string, KeyObject>();

/** Imports a raw Ed25519 public key once; later calls hit the cache (verification is hot). */
export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const cacheKey = Buffer.from(publicKey).toString('base64url');
  let key = publicKeyCache.get(cacheKey);
  if (!key) {
    if (publicKey.length !== PUBLIC_KEY_BYTES) throw new DtxError('INVALID_ARGUMENT', 'an Ed25519 public key is 32 bytes');
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: cacheKey }, format: 'jwk' });
    if (publicKeyCache.size > 10_000) publicKeyCache.clear();
    publicKeyCache.set(cacheKey, key);
  }
  return key;
}

export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false;
  try {
    return nodeVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    // A public key that is not a valid curve point cannot verify anything.
    return false;
  }
}

/** BLAKE2b with a 32-byte digest over the concatenation of the parts. */
export function blake2b256(...parts: Uint8Array[]): Uint8Array {
  requireReady();
  // Parts are small (headers, signatures); one copy is cheaper than the streaming API's calls.
  const input = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return sodium.crypto_generichash(HASH_BYTES, input, null);
}
