/**
 * The CA file a node checks https:// peers against (tlsCa) is reloaded without a restart: real
 * nodes on loopback, A serving TLS with a certificate from the test CA, B dialling it with a
 * CA file it rewrites. With the wrong CA, B gets nothing and says why; once the file holds the
 * right CA and B looks (every minute, on SIGHUP, or here through DtxNode.reloadTls), its link's
 * next connection goes through and entries flow. A CA file that fails the checks is logged with
 * the problem and the roots in use stay, so the open stream and new ones keep working.
 */
import { copyFileSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailBatch } from '../_util/samples.js';
import { capturingLogger } from '../_util/logs.js';
import { makeTestPki, type TestPki } from '../_util/test-pki.js';
import { FAST_SYNC, headsOf, waitFor } from '../_util/test-network.js';
import { makeTempDir, removeDir, startTestNode, type TestNode } from '../_util/test-node.js';

let pki: TestPki;
let a: TestNode;
let b: TestNode;
let caDir: string;
/** B's tlsCa, rewritten by the tests. */
let caFile: string;
const log = capturingLogger();

const peerAtB = async () => (await b.client.status()).peers.find((p) => p.id === a.node.nodeId)!;

beforeAll(async () => {
  pki = makeTestPki();
  caDir = makeTempDir('ca');
  caFile = join(caDir, 'peers-ca.pem');
  copyFileSync(pki.otherCaCert, caFile);
  // A's own tlsCa only lets the test's client reach it.
  a = await startTestNode({ name: 'ca-a', overrides: { ...FAST_SYNC, tlsCert: pki.serverCert, tlsKey: pki.serverKey, tlsCa: pki.caCert } });
  // B serves plain text: the CA file is about whom it dials, not about its own port.
  b = await startTestNode({ name: 'ca-b', overrides: { ...FAST_SYNC, tlsCa: caFile }, logger: log.logger });
  await a.client.addPeer({ id: b.node.nodeId, url: '127.0.0.1:9', noSubscribe: true });
  await b.client.addPeer({ id: a.node.nodeId, url: a.node.grpcAddress, name: 'lab-a' });
});

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  if (caDir) removeDir(caDir);
  pki?.cleanup();
});

describe('reloading the CA file for https:// peers', () => {
  it('a peer refused under the old CA file is reached once the file holds its CA, without a restart', { timeout: 40_000 }, async () => {
    await a.client.publish(emailBatch('ca-reload/before', 3));
    await waitFor(async () => (await peerAtB()).lastError !== '', 'the refused TLS handshake at B');
    expect((await peerAtB()).lastError).toMatch(/certificate/i);
    expect(headsOf(b).get(a.node.nodeId)).toBeUndefined();
    expect(b.node.reloadTls()).toEqual({ certificate: undefined, ca: 'unchanged' });

    // A bundle: the CA the peer's certificate comes from, added beside the one there was.
    writeFileSync(caFile, Buffer.concat([readFileSync(pki.otherCaCert), readFileSync(pki.caCert)]));
    expect(b.node.reloadTls()).toEqual({ certificate: undefined, ca: 'reloaded' });
    const head = headsOf(a).get(a.node.nodeId);
    await waitFor(() => headsOf(b).get(a.node.nodeId) === head, "A's head at B after the CA reload");
    // lastError stays as the last thing that went wrong; the state says the link is up.
    expect((await peerAtB()).state).toBe('connected');
    expect(b.node.reloadTls().ca).toBe('unchanged');
  });

  it.each([
    { name: 'a CA file that is not PEM', write: () => writeFileSync(caFile, 'not a certificate\n'), problem: /tlsCa: .*peers-ca\.pem holds no PEM certificate/ },
    { name: 'a CA file that is gone', write: () => unlinkSync(caFile), problem: /tlsCa: cannot read .*peers-ca\.pem: ENOENT/ },
  ])('$name: logged with the problem; the roots in use stay, and entries keep flowing', { timeout: 30_000 }, async ({ name, write, problem }) => {
    const good = readFileSync(caFile);
    log.lines.length = 0;
    write();
    expect(b.node.reloadTls().ca).toBe('failed');
    const errors = log.lines.map((l) => JSON.parse(l) as { level: number; msg: string; problem?: string }).filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/CA file changed but cannot be used; peers are still checked against the previous roots/);
    expect(errors[0]!.problem).toMatch(problem);
    // Reported once: the same file is not checked again until it changes.
    expect(b.node.reloadTls().ca).toBe('unchanged');

    await a.client.publish(emailBatch(`ca-reload/${name}`, 2));
    const head = headsOf(a).get(a.node.nodeId);
    await waitFor(() => headsOf(b).get(a.node.nodeId) === head, "A's head at B with the old roots");
    writeFileSync(caFile, good);
    expect(b.node.reloadTls().ca).toBe('unchanged');
  });
});
