/**
 * The two crypto backends of shared/crypto.ts: native libsodium (sodium-native) and portable
 * (node:crypto signing, libsodium in WebAssembly). The log vectors run under both
 * (test/unit/log/vectors.test.ts); this file covers what the vectors do not.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { blake2b256, cryptoBackend, generateSigningKey, selectCryptoBackend, signingKeyFromPem, signingKeyToPem, verifySignature } from '../../shared/crypto.js';
import { DtxError } from '../../shared/errors.js';
import { cryptoBackendChoice } from '../../shared/sodium-native.js';

const BACKENDS = ['native', 'portable'] as const;

afterEach(() => {
  selectCryptoBackend('auto');
});

describe('crypto backends', () => {
  it('the native binding is installed in this checkout (CI measures the fast path)', () => {
    expect(selectCryptoBackend('auto')).toBe('native');
    expect(selectCryptoBackend('native')).toBe('native');
    expect(selectCryptoBackend('portable')).toBe('portable');
    expect(cryptoBackend()).toBe('portable');
  });

  it('sign the same bytes and verify each other, for a key read back from PEM', () => {
    const key = signingKeyFromPem(signingKeyToPem(generateSigningKey()));
    const message = new TextEncoder().encode('entry header bytes');
    const signatures = BACKENDS.map((backend) => {
      selectCryptoBackend(backend);
      return key.sign(message);
    });
    expect(Buffer.from(signatures[0]!).equals(Buffer.from(signatures[1]!))).toBe(true);
    for (const backend of BACKENDS) {
      selectCryptoBackend(backend);
      expect(verifySignature(key.publicKey, message, signatures[0]!), backend).toBe(true);
      const altered = Uint8Array.from(message);
      altered[0]! ^= 1;
      expect(verifySignature(key.publicKey, altered, signatures[0]!), backend).toBe(false);
    }
  });

  it('hash the same, in one part or several', () => {
    const a = new Uint8Array(130).map((_, i) => i);
    const b = new Uint8Array(64).fill(7);
    const digests = BACKENDS.map((backend) => {
      selectCryptoBackend(backend);
      return [Buffer.from(blake2b256(a, b)).toString('hex'), Buffer.from(blake2b256(Buffer.concat([a, b]))).toString('hex')];
    });
    expect(digests[0]![0]).toBe(digests[0]![1]);
    expect(digests[1]).toEqual(digests[0]);
    expect(digests[0]![0]).toHaveLength(64);
  });

  it('refuse a small-order public key that OpenSSL would accept for any message', () => {
    // The identity point as the key and as R, with S = 0: [0]B = R + [k]A holds for every
    // message. libsodium rejects small-order points; OpenSSL does not.
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const signature = new Uint8Array(64);
    signature[0] = 1;
    const message = new TextEncoder().encode('anything at all');
    const opensslKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(identity).toString('base64url') }, format: 'jwk' });
    expect(opensslVerify(null, message, opensslKey, signature)).toBe(true);
    for (const backend of BACKENDS) {
      selectCryptoBackend(backend);
      expect(verifySignature(identity, message, signature), backend).toBe(false);
    }
  });

  it('refuse keys and signatures of the wrong length without throwing', () => {
    const key = generateSigningKey();
    const message = new Uint8Array([1, 2, 3]);
    const signature = key.sign(message);
    for (const backend of BACKENDS) {
      selectCryptoBackend(backend);
      expect(verifySignature(key.publicKey.subarray(1), message, signature), backend).toBe(false);
      expect(verifySignature(key.publicKey, message, signature.subarray(1)), backend).toBe(false);
    }
  });

  it('DTX_CRYPTO accepts auto, native and portable, and names a bad value', () => {
    expect(cryptoBackendChoice(undefined)).toBe('auto');
    expect(cryptoBackendChoice('auto')).toBe('auto');
    expect(cryptoBackendChoice('portable')).toBe('portable');
    expect(() => cryptoBackendChoice('fast')).toThrow(DtxError);
    expect(() => cryptoBackendChoice('fast')).toThrow(/DTX_CRYPTO must be auto, native or portable, not "fast"/);
  });

  it('a process on the native backend never loads the WebAssembly one, and says so if asked to switch', () => {
    // A fresh process, as a node starts: this one loaded both for the comparisons above.
    const script = `
      const crypto = await import(${JSON.stringify(new URL('../../dist/shared/crypto.js', import.meta.url).href)});
      await crypto.initCrypto();
      const hash = Buffer.from(crypto.blake2b256(new TextEncoder().encode('abc'))).toString('hex');
      let error = '';
      try { crypto.selectCryptoBackend('portable'); } catch (err) { error = err.message; }
      await crypto.initCrypto({ portable: true });
      const portable = crypto.selectCryptoBackend('portable');
      const again = Buffer.from(crypto.blake2b256(new TextEncoder().encode('abc'))).toString('hex');
      console.log(JSON.stringify({ backend: crypto.cryptoBackend(), hash, error, portable, same: hash === again }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, DTX_CRYPTO: '' } })) as Record<string, unknown>;
    expect(out.error).toMatch(/portable crypto backend is not loaded: await initCrypto\(\{ portable: true \}\) first/);
    expect(out.portable).toBe('portable');
    expect(out.same).toBe(true);
    expect(out.hash).toBe(Buffer.from(blake2b256(new TextEncoder().encode('abc'))).toString('hex'));
  });
});
