/**
 * Certificates for TLS tests, made with the openssl command at test time: a CA, a server
 * certificate it signs for localhost and 127.0.0.1 (key mode 0600), a second, unrelated CA, and
 * a self-signed certificate.
 * EC P-256 keys: a few milliseconds each.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { makeTempDir, removeDir } from './test-node.js';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A CA that signed nothing here. */
  otherCaCert: string;
  /** A self-signed certificate for localhost and 127.0.0.1, and its key (mode 0600). */
  selfSignedCert: string;
  selfSignedKey: string;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed (the TLS tests need the openssl command): ${(err as Error).message}`);
  }
}

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/**
 * Another certificate from the test CA for localhost and 127.0.0.1, with a key of its own
 * (mode 0600): a renewal of serverCert. Returns the two files' paths.
 */
export function issueServerCert(pki: TestPki, label: string): { cert: string; key: string } {
  openssl(['req', ...NEW_KEY, '-keyout', `${label}.key`, '-out', `${label}.csr`, '-subj', '/CN=localhost'], pki.dir);
  openssl(['x509', '-req', '-in', `${label}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${label}.pem`, '-days', '2', '-extfile', 'ext.cnf'], pki.dir);
  chmodSync(join(pki.dir, `${label}.key`), 0o600);
  return { cert: join(pki.dir, `${label}.pem`), key: join(pki.dir, `${label}.key`) };
}

export function makeTestPki(): TestPki {
  const dir = makeTempDir('pki');
  try {
    for (const ca of ['ca', 'other-ca']) openssl(['req', '-x509', ...NEW_KEY, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=dtx-test-${ca}`], dir);
    openssl(['req', ...NEW_KEY, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf'], dir);
    openssl(['req', '-x509', ...NEW_KEY, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], dir);
    chmodSync(join(dir, 'server.key'), 0o600);
    chmodSync(join(dir, 'self.key'), 0o600);
  } catch (err) {
    removeDir(dir);
    throw err;
  }
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    otherCaCert: join(dir, 'other-ca.pem'),
    selfSignedCert: join(dir, 'self.pem'),
    selfSignedKey: join(dir, 'self.key'),
    cleanup: () => removeDir(dir),
  };
}

/** The SHA-256 fingerprint of a PEM certificate file. */
export function certFingerprint(pem: string): string {
  return new X509Certificate(readFileSync(pem)).fingerprint256;
}

/** The fingerprint of the certificate a new TLS connection to https://HOST:PORT is given (checked against caFile, for localhost). */
export function servedCertFingerprint(address: string, caFile: string): Promise<string> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: readFileSync(caFile), servername: 'localhost', ALPNProtocols: ['h2'] }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(cert.fingerprint256);
      else reject(new Error('no certificate'));
    });
    socket.once('error', reject);
  });
}
