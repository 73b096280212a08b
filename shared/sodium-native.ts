/**
 * The native libsodium binding (the optional dependency `sodium-native`), loaded when it is
 * installed and not switched off. It is the same libsodium that libsodium-wrappers compiles to
 * WebAssembly, so hashes, signatures and what verifies are identical either way; only the speed
 * differs (on this project's 2-core machines: Ed25519 signing about 32 µs against 50 - 60 µs in
 * OpenSSL, verification about 92 µs against 150 µs in WebAssembly).
 *
 * `DTX_CRYPTO=portable` runs without it (what a platform without a prebuilt binding gets);
 * `DTX_CRYPTO=native` makes its absence an error instead of a silent fallback.
 */
import { createRequire } from 'node:module';
import { readEnv } from './env.js';
import { DtxError } from './errors.js';

/** The part of sodium-native's API that the crypto facade uses. */
export interface NativeSodium {
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  crypto_generichash(output: Uint8Array, input: Uint8Array): void;
  crypto_generichash_batch(output: Uint8Array, inputs: Uint8Array[]): void;
}

export type CryptoBackendChoice = 'auto' | 'native' | 'portable';

export function cryptoBackendChoice(value = readEnv().crypto): CryptoBackendChoice {
  if (value === undefined || value === 'auto') return 'auto';
  if (value === 'native' || value === 'portable') return value;
  throw new DtxError('CONFIG_INVALID', `DTX_CRYPTO must be auto, native or portable, not "${value}"`);
}

/** The binding, or undefined when the choice is portable or (under auto) it cannot be loaded. */
export function loadNativeSodium(choice: CryptoBackendChoice): NativeSodium | undefined {
  if (choice === 'portable') return undefined;
  try {
    // require, not import: an optional dependency that may be absent must not fail module loading.
    return createRequire(import.meta.url)('sodium-native') as NativeSodium;
  } catch (err) {
    if (choice === 'native') {
      throw new DtxError('CONFIG_INVALID', 'DTX_CRYPTO=native, but the sodium-native binding could not be loaded', { cause: err });
    }
    return undefined;
  }
}
