/**
 * TLS on the gRPC port and when dialling https:// peers: real nodes on loopback with
 * certificates made by openssl (a test CA). A client or peer that does not trust the
 * certificate, or speaks plain text to the TLS port, gets nothing through; one that trusts it
 * gets everything, federation included.
 */
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient } from '../../client/index.js';
import { DtxError } from '../../shared/errors.js';
import { loadNodeTls } from '../../server/config/tls-files.js';
import { emailBatch } from '../_util/samples.js';
import { makeTestPki, type TestPki } from '../_util/test-pki.js';
import { FAST_SYNC, headsOf, waitFor } from '../_util/test-network.js';
import { startTestNode, type TestNode } from '../_util/test-node.js';

let pki: TestPki;
let a: TestNode;

beforeAll(async () => {
  pki = makeTestPki();
  a = await startTestNode({ name: 'tls-a', overrides: { ...FAST_SYNC, tlsCert: pki.serverCert, tlsKey: pki.serverKey, tlsCa: pki.caCert } });
});

afterAll(async () => {
  await a?.stop();
  pki?.cleanup();
});

/** What a call through `client` fails with (it must fail). */
async function failure(client: DtxClient): Promise<DtxError> {
  try {
    await client.status();
  } catch (err) {
    return err as DtxError;
  } finally {
    client.close();
  }
  throw new Error('the call went through');
}

describe('a node serving TLS', () => {
  it('listens at an https:// address and answers a client that trusts its CA', async () => {
    expect(a.node.grpcAddress).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const client = new DtxClient({ address: a.node.grpcAddress, token: a.token, tlsRoots: readFileSync(pki.caCert) });
    try {
      expect((await client.status()).nodeId).toBe(a.node.nodeId);
    } finally {
      client.close();
    }
  });

  it('refuses a client that trusts another CA, or only the system roots', async () => {
    for (const tlsRoots of [readFileSync(pki.otherCaCert), undefined]) {
      const err = await failure(new DtxClient({ address: a.node.grpcAddress, token: a.token, tlsRoots }));
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.message).toMatch(/certificate/i);
    }
  });

  it('answers no plain-text client', async () => {
    const err = await failure(new DtxClient({ address: a.node.grpcAddress.replace('https://', ''), token: a.token, timeoutMs: 3000 }));
    expect(['UNAVAILABLE', 'DEADLINE_EXCEEDED']).toContain(err.code);
  });

  it('checks the certificate for the name dialled, or the name it is told to expect', async () => {
    const port = a.node.grpcAddress.split(':').pop();
    const roots = readFileSync(pki.caCert);
    for (const options of [{ address: `https://localhost:${port}` }, { address: a.node.grpcAddress, tlsServerName: 'localhost' }]) {
      const client = new DtxClient({ ...options, token: a.token, tlsRoots: roots });
      try {
        expect((await client.status()).nodeId).toBe(a.node.nodeId);
      } finally {
        client.close();
      }
    }
    // The right CA, but a name the certificate does not carry.
    const err = await failure(new DtxClient({ address: a.node.grpcAddress, token: a.token, tlsRoots: roots, tlsServerName: 'lab-z.example' }));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/lab-z\.example/);
  });
});

describe('federation over TLS', () => {
  it('a peer dialling https:// with the CA among its roots receives everything', { timeout: 30_000 }, async () => {
    const b = await startTestNode({ name: 'tls-b', overrides: { ...FAST_SYNC, tlsCa: pki.caCert } });
    try {
      await a.client.addPeer({ id: b.node.nodeId, url: '127.0.0.1:9', noSubscribe: true });
      await b.client.addPeer({ id: a.node.nodeId, url: a.node.grpcAddress, name: 'lab-a' });
      await a.client.publish(emailBatch('tls/flow', 5));
      const head = headsOf(a).get(a.node.nodeId);
      await waitFor(() => headsOf(b).get(a.node.nodeId) === head, "A's head at B");
      const peer = (await b.client.status()).peers.find((p) => p.id === a.node.nodeId)!;
      expect(peer).toMatchObject({ url: a.node.grpcAddress, state: 'connected', lastError: '' });
    } finally {
      await a.client.removePeer(b.node.nodeId);
      await b.stop();
    }
  });

  it('a peer that does not trust the certificate gets nothing and says why', { timeout: 30_000 }, async () => {
    const c = await startTestNode({ name: 'tls-c', overrides: { ...FAST_SYNC, tlsCa: pki.otherCaCert } });
    try {
      await a.client.addPeer({ id: c.node.nodeId, url: '127.0.0.1:9', noSubscribe: true });
      await c.client.addPeer({ id: a.node.nodeId, url: a.node.grpcAddress, name: 'lab-a' });
      const peerAtC = async () => (await c.client.status()).peers.find((p) => p.id === a.node.nodeId)!;
      await waitFor(async () => (await peerAtC()).lastError !== '', 'the failed TLS handshake at C');
      expect((await peerAtC()).lastError).toMatch(/certificate/i);
      expect(headsOf(c).get(a.node.nodeId)).toBeUndefined();
    } finally {
      await a.client.removePeer(c.node.nodeId);
      await c.stop();
    }
  });
});

describe('TLS settings are checked when the node starts', () => {
  const load = (config: Parameters<typeof loadNodeTls>[0]) => () => loadNodeTls(config, pki.dir);

  it('takes a matching certificate and key, and relative paths from the data directory', () => {
    const tls = loadNodeTls({ tlsCert: 'server.pem', tlsKey: 'server.key', tlsCa: 'ca.pem' }, pki.dir);
    expect(tls.server?.certFile).toBe(pki.serverCert);
    expect(tls.server?.serverName).toBe('localhost');
    expect(tls.rootsFile).toBe(pki.caCert);
    expect(loadNodeTls({}, pki.dir)).toEqual({ server: undefined, roots: undefined, rootsFile: undefined });
  });

  it('names the setting and the file that is wrong', () => {
    expect(load({ tlsCert: pki.serverCert })).toThrow(/tlsKey: tlsCert and tlsKey go together/);
    expect(load({ tlsKey: pki.serverKey })).toThrow(/tlsCert: tlsCert and tlsKey go together/);
    expect(load({ tlsCert: 'missing.pem', tlsKey: pki.serverKey })).toThrow(/tlsCert: cannot read .*missing\.pem: ENOENT/);
    expect(load({ tlsCert: pki.serverKey, tlsKey: pki.serverKey })).toThrow(/tlsCert: .*server\.key holds no PEM certificate/);
    expect(load({ tlsCert: pki.serverCert, tlsKey: pki.caCert })).toThrow(/tlsKey: .*ca\.pem can be read by other users|tlsKey: .*ca\.pem holds no PEM private key/);
    expect(load({ tlsCa: pki.serverKey })).toThrow(/tlsCa: .*server\.key holds no PEM certificate/);
    // Another key, mode 0600: not the certificate's.
    const otherKey = join(pki.dir, 'other.key');
    copyFileSync(join(pki.dir, 'ca.key'), otherKey);
    chmodSync(otherKey, 0o600);
    expect(load({ tlsCert: pki.serverCert, tlsKey: otherKey })).toThrow(/tlsKey: .*other\.key is not the private key of the certificate in .*server\.pem/);
  });

  it('refuses a private key that other users can read', () => {
    const loose = join(pki.dir, 'loose.key');
    copyFileSync(pki.serverKey, loose);
    chmodSync(loose, 0o644);
    expect(load({ tlsCert: pki.serverCert, tlsKey: loose })).toThrow(/tlsKey: .*loose\.key can be read by other users \(mode 0644\): chmod 600 /);
    try {
      loadNodeTls({ tlsCert: pki.serverCert, tlsKey: loose }, pki.dir);
    } catch (err) {
      expect((err as DtxError).code).toBe('CONFIG_INVALID');
    }
  });
});
