/**
 * The crypto facade: the only module that touches libsodium or node:crypto keys.
 *
 * Two backends compute the same bytes:
 * - native (default when the optional `sodium-native` binding loads): libsodium itself for
 *   Ed25519 signing, verification and BLAKE2b-256;
 * - portable: node:crypto (OpenSSL) signs, libsodium-wrappers (libsodium in WebAssembly)
 *   verifies and hashes.
 * Ed25519 signatures are deterministic (RFC 8032), so both sign identically. Verification is
 * libsodium's in both, so every node accepts and refuses exactly the same signatures (OpenSSL is
 * more lenient with small-order keys), and a mixed federation cannot split over an edge case.
 * Signing sits on the publish hot path: every entry is signed, and the chain makes that
 * sequential per origin.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  type KeyObject,
} from 'node:crypto';
import type Sodium from 'libsodium-wrappers';
import { DtxError } from './errors.js';
import { cryptoBackendChoice, loadNativeSodium, type CryptoBackendChoice, type NativeSodium } from './sodium-native.js';

/** libsodium in WebAssembly: loaded only for the portable backend (see initCrypto). */
let portable: typeof Sodium | undefined;
let ready = false;

let native: NativeSodium | undefined;

/**
 * Must be awaited once before hashing or verifying: it chooses the backend (DTX_CRYPTO, see
 * sodium-native.ts). Only the portable backend loads libsodium's WebAssembly, which is
 * asynchronous and costs 60 – 70 ms of a node's start-up, so with the native binding it is not
 * loaded at all. `portable: true` loads it anyway, for switching backends later
 * (selectCryptoBackend). Signing before it goes through node:crypto, with the same result.
 */
export async function initCrypto(options: { portable?: boolean } = {}): Promise<void> {
  if (!ready) native = loadNativeSodium(cryptoBackendChoice());
  if (!portable && (!native || options.portable)) {
    const loaded = (await import('libsodium-wrappers')).default;
    await loaded.ready;
    portable = loaded;
  }
  ready = true;
}

function requireReady(): void {
  if (!ready) throw new DtxError('INTERNAL', 'crypto used before initCrypto() resolved');
}

/** The WebAssembly libsodium, for the portable backend's verification and hashing. */
function sodium(): typeof Sodium {
  if (!portable) throw new DtxError('INTERNAL', 'the portable crypto backend is not loaded: await initCrypto({ portable: true }) first');
  return portable;
}

/** Which backend this process uses: see the module comment. */
export function cryptoBackend(): 'native' | 'portable' {
  return native ? 'native' : 'portable';
}

/** Switches backend (tests compare both in one process); DTX_CRYPTO chooses at start-up. */
export function selectCryptoBackend(choice: CryptoBackendChoice): 'native' | 'portable' {
  const next = loadNativeSodium(choice);
  if (!next) sodium(); // the portable backend must have been loaded: fail here, not mid-verification
  native = next;
  return cryptoBackend();
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
  /** Writes the 64-byte signature into `out` (the signer's loop, without an allocation per entry). */
  signInto(message: Uint8Array, out: Uint8Array): void;
}

function fromPrivateKeyObject(privateKeyObject: KeyObject): SigningKey {
  if (privateKeyObject.asymmetricKeyType !== 'ed25519') {
    throw new DtxError('CONFIG_INVALID', `expected an Ed25519 key, got ${privateKeyObject.asymmetricKeyType ?? 'a secret key'}`);
  }
  const publicKeyObject = createPublicKey(privateKeyObject);
  const jwk = publicKeyObject.export({ format: 'jwk' });
  const publicKey = new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
  // libsodium's secret key is seed || public key; made on the first native signature.
  let secretKey: Uint8Array | undefined;
  const signInto = (message: Uint8Array, out: Uint8Array): void => {
    if (!native) {
      out.set(nodeSign(null, message, privateKeyObject));
      return;
    }
    secretKey ??= nativeSecretKey(native, privateKeyObject, publicKey);
    native.crypto_sign_detached(out, message, secretKey);
  };
  return {
    publicKey,
    privateKeyObject,
    publicKeyObject,
    signInto,
    sign: (message) => {
      const signature = new Uint8Array(SIGNATURE_BYTES);
      signInto(message, signature);
      return signature;
    },
  };
}

function nativeSecretKey(sodiumNative: NativeSodium, privateKeyObject: KeyObject, expectedPublicKey: Uint8Array): Uint8Array {
  // PKCS#8 DER of an Ed25519 key ends with the 32-byte seed (RFC 8410).
  const der = privateKeyObject.export({ format: 'der', type: 'pkcs8' });
  const publicKey = new Uint8Array(PUBLIC_KEY_BYTES);
  const secretKey = new Uint8Array(64);
  sodiumNative.crypto_sign_seed_keypair(publicKey, secretKey, der.subarray(der.length - 32));
  der.fill(0);
  if (!Buffer.from(publicKey).equals(expectedPublicKey)) throw new DtxError('INTERNAL', 'libsodium derived another public key from the node key');
  return secretKey;
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

/** Imports a raw Ed25519 public key once for jose (peer tokens name their issuer's key); later calls hit the cache. */
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
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
  requireReady();
  if (native) return native.crypto_sign_verify_detached(signature, message, publicKey);
  // Outside the try: a backend that is not loaded is an error to see, not a failed signature.
  const lib = sodium();
  try {
    return lib.crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    // libsodium-wrappers throws where the native binding returns false (a key off the curve).
    return false;
  }
}

/**
 * Digests are views into shared 8 KiB slabs, as Buffer's pool does: the native binding reads
 * `out.buffer`, and a small Uint8Array of its own would first be moved off the V8 heap for that
 * (about 1 µs per hash, twice per entry received). A plain Uint8Array, not a Buffer, like the
 * portable backend's.
 */
const SLAB_BYTES = 8192;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

function hashOutput(): Uint8Array {
  if (slabUsed + HASH_BYTES > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, HASH_BYTES);
  slabUsed += HASH_BYTES;
  return out;
}

/** BLAKE2b with a 32-byte digest over the concatenation of the parts. */
export function blake2b256(...parts: Uint8Array[]): Uint8Array {
  requireReady();
  if (native) {
    const out = hashOutput();
    if (parts.length === 1) native.crypto_generichash(out, parts[0]!);
    else native.crypto_generichash_batch(out, parts);
    return out;
  }
  // Parts are small (headers, signatures); one copy is cheaper than the streaming API's calls.
  const input = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return sodium().crypto_generichash(HASH_BYTES, input, null);
}

/** BLAKE2b-256 of `input`, written into the 32 bytes of `out`. */
export function blake2b256Into(input: Uint8Array, out: Uint8Array): void {
  requireReady();
  if (native) native.crypto_generichash(out, input);
  else out.set(sodium().crypto_generichash(HASH_BYTES, input, null));
}
