/**
 * TLS as a user runs it: `dtx start --tls-cert --tls-key`, then client commands through
 * --data (the node's own certificate, from node.json) and through --node https://... with
 * DTX_TLS_CA; a start with a private key others can read is refused with the fix named.
 */
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certFingerprint, issueServerCert, makeTestPki, servedCertFingerprint, type TestPki } from '../_util/test-pki.js';
import { dtx, dtxJson, expectDtxError, initNode, startNode, stopNodeCleanly, tempDirs, type InitOutput, type RunningNode, type TempDirs } from './_cli.js';

describe('dtx with TLS', () => {
  let dirs: TempDirs;
  let pki: TestPki;
  let lab: InitOutput;
  let node: RunningNode | undefined;

  beforeAll(async () => {
    dirs = tempDirs();
    pki = makeTestPki();
    lab = await initNode(dirs.path('lab'));
    // The federation's CA as --tls-ca: the node trusts it for https:// peers, and a local
    // command reaching the node with --data checks the node's certificate against it.
    node = await startNode(lab.data, ['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.caCert]);
  });

  afterAll(async () => {
    await stopNodeCleanly(node);
    pki.cleanup();
    dirs.cleanup();
  });

  it('serves at an https:// address, and a command with --data reaches it over TLS', async () => {
    expect(node!.info.grpc).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(node!.stdout()).toContain(node!.info.grpc);
    const status = await dtxJson<{ nodeId: string }>(['status', '--data', lab.data, '--json']);
    expect(status.nodeId).toBe(lab.nodeId);
  });

  it('--node https:// trusts the CA in DTX_TLS_CA, and refuses the connection without it', async () => {
    const args = ['status', '--node', node!.info.grpc, '--token', node!.token, '--json'];
    const status = await dtxJson<{ nodeId: string }>(args, { env: { DTX_TLS_CA: pki.caCert } });
    expect(status.nodeId).toBe(lab.nodeId);
    const line = expectDtxError(await dtx(args), 'UNAVAILABLE');
    expect(line).toMatch(/certificate/i);
    expectDtxError(await dtx(args, { env: { DTX_TLS_CA: join(pki.dir, 'missing.pem') } }), 'INVALID_ARGUMENT', /DTX_TLS_CA: cannot read .*missing\.pem/);
  });

  it('a node with a self-signed certificate and no CA: a command with --data trusts that certificate', async () => {
    const selfSigned = await initNode(dirs.path('self-signed'));
    const running = await startNode(selfSigned.data, ['--tls-cert', pki.selfSignedCert, '--tls-key', pki.selfSignedKey]);
    try {
      expect(running.info.grpc).toMatch(/^https:\/\//);
      const status = await dtxJson<{ nodeId: string }>(['status', '--data', selfSigned.data, '--json']);
      expect(status.nodeId).toBe(selfSigned.nodeId);
    } finally {
      await stopNodeCleanly(running);
    }
  });

  it('SIGHUP serves renewed certificate files at once, without a restart', async () => {
    const renewing = await initNode(dirs.path('renewing'));
    const cert = join(renewing.data, 'grpc.pem');
    const key = join(renewing.data, 'grpc.key');
    copyFileSync(pki.serverCert, cert);
    copyFileSync(pki.serverKey, key);
    chmodSync(key, 0o600);
    const running = await startNode(renewing.data, ['--tls-cert', cert, '--tls-key', key, '--tls-ca', pki.caCert]);
    try {
      expect(await servedCertFingerprint(running.info.grpc, pki.caCert)).toBe(certFingerprint(pki.serverCert));
      const renewed = issueServerCert(pki, 'sighup');
      copyFileSync(renewed.cert, cert);
      copyFileSync(renewed.key, key);
      running.proc.kill('SIGHUP');
      // Bounded wait for the signal to be handled (the minute's own check is far off).
      let served = '';
      for (let i = 0; i < 200 && served !== certFingerprint(renewed.cert); i++) {
        await sleep(25);
        served = await servedCertFingerprint(running.info.grpc, pki.caCert);
      }
      expect(served).toBe(certFingerprint(renewed.cert));
      // Still serving, and a command with --data still checks the certificate it serves.
      const status = await dtxJson<{ nodeId: string }>(['status', '--data', renewing.data, '--json']);
      expect(status.nodeId).toBe(renewing.nodeId);
    } finally {
      await stopNodeCleanly(running);
    }
  });

  it('a private key other users can read stops the start, with the fix named', async () => {
    const other = await initNode(dirs.path('loose'));
    const loose = join(pki.dir, 'loose.key');
    copyFileSync(pki.serverKey, loose);
    chmodSync(loose, 0o640);
    const r = await dtx(['start', '--data', other.data, '--tls-cert', pki.serverCert, '--tls-key', loose]);
    expectDtxError(r, 'CONFIG_INVALID', new RegExp(`tlsKey: ${loose.replace(/[.]/g, '\\.')} can be read by other users \\(mode 0640\\): chmod 600`));
  });
});
