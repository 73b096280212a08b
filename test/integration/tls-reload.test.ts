/**
 * A renewed TLS certificate is served without a restart: a real node on loopback whose
 * certificate and key files are rewritten in place serves the new pair to new connections once
 * it looks (every minute, on SIGHUP, or here through DtxNode.reloadTls); open connections keep
 * working. A renewal that fails a check (key of another certificate, key readable by others, not
 * PEM) is logged with the problem, and the previous pair stays in service.
 */
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient } from '../../client/index.js';
import { DtxNode } from '../../server/node.js';
import { capturingLogger } from '../_util/logs.js';
import { certFingerprint as fingerprint, issueServerCert, makeTestPki, servedCertFingerprint, type TestPki } from '../_util/test-pki.js';
import { initTempDataDir, LOOPBACK_ANY_PORT, removeDir, startTestNode } from '../_util/test-node.js';
import { readAdminToken } from '../../server/config/data-dir.js';

let pki: TestPki;
let dir: string;
let node: DtxNode;
let token: string;
const log = capturingLogger();
/** The files the node serves from, rewritten by the tests. */
let certFile: string;
let keyFile: string;
let renewed: { cert: string; key: string };

const served = () => servedCertFingerprint(node.grpcAddress, pki.caCert);

/** Rewrites the served files in place, as a renewal does (key mode 0600 unless said otherwise). */
function install(cert: string, key: string, keyMode = 0o600): void {
  copyFileSync(cert, certFile);
  copyFileSync(key, keyFile);
  chmodSync(keyFile, keyMode);
}

beforeAll(async () => {
  pki = makeTestPki();
  renewed = issueServerCert(pki, 'renewed');
  ({ dir } = await initTempDataDir({ name: 'tls-reload' }));
  certFile = join(dir, 'grpc.pem');
  keyFile = join(dir, 'grpc.key');
  install(pki.serverCert, pki.serverKey);
  // Relative paths in the config are from the data directory, as in config.json.
  node = await DtxNode.start(dir, { logger: log.logger, overrides: { ...LOOPBACK_ANY_PORT, tlsCert: 'grpc.pem', tlsKey: 'grpc.key' } });
  token = readAdminToken(dir);
});

afterAll(async () => {
  await node?.stop();
  if (dir) removeDir(dir);
  pki?.cleanup();
});

describe('TLS certificate renewal', () => {
  it('serves the renewed pair to new connections; an open client keeps working', async () => {
    expect(await served()).toBe(fingerprint(pki.serverCert));
    expect(node.reloadTls().certificate).toBe('unchanged');
    const before = new DtxClient({ address: node.grpcAddress, token, tlsRoots: readFileSync(pki.caCert) });
    try {
      expect((await before.status()).nodeId).toBe(node.nodeId);
      install(renewed.cert, renewed.key);
      expect(node.reloadTls().certificate).toBe('reloaded');
      expect(await served()).toBe(fingerprint(renewed.cert));
      expect((await before.status()).nodeId).toBe(node.nodeId);
      const after = new DtxClient({ address: node.grpcAddress, token, tlsRoots: readFileSync(pki.caCert) });
      try {
        expect((await after.status()).nodeId).toBe(node.nodeId);
      } finally {
        after.close();
      }
      // Nothing changed since: nothing to do.
      expect(node.reloadTls().certificate).toBe('unchanged');
    } finally {
      before.close();
    }
  });

  it.each([
    { name: "the key of another certificate", write: () => install(pki.serverCert, renewed.key), problem: /is not the private key of the certificate/ },
    { name: 'a key other users can read', write: () => install(pki.serverCert, pki.serverKey, 0o644), problem: /can be read by other users \(mode 0644\): chmod 600/ },
    { name: 'a certificate file that is not PEM', write: () => writeFileSync(certFile, 'not a certificate\n'), problem: /holds no PEM certificate/ },
  ])('$name: logged with the problem, and the previous pair stays in service', async ({ write, problem }) => {
    const serving = await served();
    log.lines.length = 0;
    write();
    expect(node.reloadTls().certificate).toBe('failed');
    expect(await served()).toBe(serving);
    expect(log.lines).toHaveLength(1);
    const line = JSON.parse(log.lines[0]!) as { level: number; msg: string; problem: string };
    expect(line.level).toBe(50);
    expect(line.msg).toMatch(/cannot be used; still serving the previous certificate/);
    expect(line.problem).toMatch(problem);
    // Reported once: the same files are not checked again until they change.
    expect(node.reloadTls().certificate).toBe('unchanged');
    expect(log.lines).toHaveLength(1);
    // Put right, the renewal goes through.
    install(renewed.cert, renewed.key);
    const outcome = node.reloadTls().certificate;
    expect(outcome).toBe(serving === fingerprint(renewed.cert) ? 'unchanged' : 'reloaded');
    expect(await served()).toBe(fingerprint(renewed.cert));
  });

  it('a node in plain text has nothing to reload', async () => {
    const plain = await startTestNode({ name: 'plain' });
    try {
      expect(plain.node.reloadTls()).toEqual({ certificate: undefined, ca: undefined });
    } finally {
      await plain.stop();
    }
  });
});
