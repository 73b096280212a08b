/**
 * `--tls`: the bench's node processes serve their gRPC port over TLS, to measure what TLS costs
 * against the same run in plain text. One self-signed certificate for 127.0.0.1 (an ECDSA
 * P-256 key, as a federation CA would likely issue), made with the openssl command once and kept
 * under bench/.cache/tls/; every node serves it and trusts it (a self-signed certificate is its
 * own root), and so do the bench's clients.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR } from './paths.js';

export interface BenchTls {
  certFile: string;
  keyFile: string;
  /** The certificate, as the roots a client trusts. */
  roots: Buffer;
}

export function benchTls(): BenchTls {
  const dir = join(CACHE_DIR, 'tls');
  const certFile = join(dir, 'node.pem');
  const keyFile = join(dir, 'node.key');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true });
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '3650', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
        { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 },
      );
    } catch (err) {
      throw new Error(`--tls needs the openssl command to make a certificate: ${(err as Error).message}`);
    }
  }
  chmodSync(keyFile, 0o600);
  return { certFile, keyFile, roots: readFileSync(certFile) };
}
