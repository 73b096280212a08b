/**
 * The data directory: what init creates and with which modes, what it refuses to touch, and
 * how start treats bad key files and config (precedence: flags > DTX_* env > config.json).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeConfig } from '../../server/config/config.js';
import { FILES, initDataDir, loadNodeKey, readAdminToken } from '../../server/config/data-dir.js';
import { DtxNode } from '../../server/node.js';
import { verifyToken } from '../../shared/auth/tokens.js';
import { silentLogger } from '../../shared/logger.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { expectDtxError, expectDtxErrorSync } from '../_util/errors.js';
import { emailBatch } from '../_util/samples.js';
import { LOOPBACK_ANY_PORT, makeTempDir, removeDir, startNodeOn, type RunningTestNode } from '../_util/test-node.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = makeTempDir('datadir');
  cleanups.push(() => removeDir(dir));
  return dir;
}

async function initialized(name?: string): Promise<string> {
  const dir = tempDir();
  await initDataDir(dir, { name, ...LOOPBACK_ANY_PORT });
  return dir;
}

async function start(dir: string, overrides: Partial<NodeConfig> = {}): Promise<RunningTestNode> {
  const running = await startNodeOn(dir, overrides);
  cleanups.push(() => running.stop());
  return running;
}

/** Starting must fail with `code`, leave no node.json behind, and leave the directory usable. */
async function expectStartFails(dir: string, code: 'CONFIG_INVALID' | 'DATA_DIR_MISSING' | 'UNAVAILABLE', overrides: Partial<NodeConfig> = {}) {
  await expectDtxError(DtxNode.start(dir, { logger: silentLogger(), overrides: { ...LOOPBACK_ANY_PORT, ...overrides } }), code);
  expect(existsSync(join(dir, FILES.runtime))).toBe(false);
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Every file in the directory with its bytes. */
function contents(dir: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name))]));
}

function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

describe('init', () => {
  it('creates the key, admin token, database and config, secrets with mode 0600', async () => {
    const parent = tempDir();
    const dir = join(parent, 'lab-a');
    const result = await initDataDir(dir, { name: 'Lab A', ...LOOPBACK_ANY_PORT });

    expect(modeOf(dir) & 0o077).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([FILES.adminToken, FILES.config, FILES.database, FILES.key].sort());
    for (const file of [FILES.key, FILES.adminToken, FILES.database, FILES.config]) {
      expect({ file, mode: modeOf(join(dir, file)) }).toEqual({ file, mode: 0o600 });
    }
    expect(JSON.parse(readFileSync(join(dir, FILES.config), 'utf8'))).toEqual({ name: 'Lab A', ...LOOPBACK_ANY_PORT });

    const key = loadNodeKey(dir);
    expect(result.nodeId).toBe(nodeIdFromPublicKey(key.publicKey));
    expect(result.adminTokenPath).toBe(join(dir, FILES.adminToken));
    const claims = await verifyToken(readAdminToken(dir), key.publicKeyObject, result.nodeId);
    expect(claims.role).toBe('admin');
    expect(claims.expiresAt).toBeUndefined();
  });

  it('gives every node its own key', async () => {
    const a = await initDataDir(tempDir(), LOOPBACK_ANY_PORT);
    const b = await initDataDir(tempDir(), LOOPBACK_ANY_PORT);
    expect(a.nodeId).not.toBe(b.nodeId);
  });

  it('refuses to init an initialized directory and changes no byte of it', async () => {
    const dir = await initialized('original');
    const before = contents(dir);
    await expectDtxError(initDataDir(dir, { name: 'intruder', ...LOOPBACK_ANY_PORT }), 'DATA_DIR_INITIALIZED');
    expect(contents(dir)).toEqual(before);
  });

  it('refuses to init over a node that has run, and changes no byte of it', async () => {
    const dir = await initialized('ran');
    const running = await start(dir);
    await running.client.publish(emailBatch('ran', 3));
    await running.stop();
    const before = contents(dir);
    await expectDtxError(initDataDir(dir, LOOPBACK_ANY_PORT), 'DATA_DIR_INITIALIZED');
    expect(contents(dir)).toEqual(before);
  });

  it('refuses a non-empty directory that holds no node, and leaves it as it was', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'not a node\n');
    mkdirSync(join(dir, 'sub'));
    const before = readdirSync(dir).sort();
    await expectDtxError(initDataDir(dir, LOOPBACK_ANY_PORT), 'DATA_DIR_INITIALIZED');
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('not a node\n');
  });

  it('rejects bad settings before creating anything', async () => {
    const dir = join(tempDir(), 'never');
    await expectDtxError(initDataDir(dir, { grpc: 'not-an-address' }), 'CONFIG_INVALID');
    await expectDtxError(initDataDir(dir, { http: '127.0.0.1:70000' }), 'CONFIG_INVALID');
    await expectDtxError(initDataDir(dir, { name: '' }), 'CONFIG_INVALID');
    expect(existsSync(dir)).toBe(false);
  });
});

describe('start: key and token files', () => {
  it('refuses a node key readable by others (mode 0644) with CONFIG_INVALID, and starts once it is 0600', async () => {
    const dir = await initialized();
    chmodSync(join(dir, FILES.key), 0o644);
    await expectStartFails(dir, 'CONFIG_INVALID');
    chmodSync(join(dir, FILES.key), 0o640);
    await expectStartFails(dir, 'CONFIG_INVALID');
    chmodSync(join(dir, FILES.key), 0o600);
    const running = await start(dir);
    expect((await running.client.nodeInfo()).nodeId).toBe(running.node.nodeId);
  });

  it('refuses a key file that is not an Ed25519 PEM key', async () => {
    const dir = await initialized();
    writeFileSync(join(dir, FILES.key), 'not a key\n', { mode: 0o600 });
    await expectStartFails(dir, 'CONFIG_INVALID');
  });

  it('refuses to read an admin token readable by others', async () => {
    const dir = await initialized();
    chmodSync(join(dir, FILES.adminToken), 0o644);
    expectDtxErrorSync(() => readAdminToken(dir), 'CONFIG_INVALID');
  });

  it('a directory that holds no node is DATA_DIR_MISSING', async () => {
    await expectStartFails(tempDir(), 'DATA_DIR_MISSING');
    const missing = join(tempDir(), 'missing');
    await expectDtxError(DtxNode.start(missing, { logger: silentLogger(), overrides: { ...LOOPBACK_ANY_PORT } }), 'DATA_DIR_MISSING');
    expect(existsSync(missing)).toBe(false);
  });
});

describe('start: config', () => {
  it('the name comes from config.json, then DTX_NAME, then the overrides (flags)', async () => {
    const dir = await initialized('From File');
    let running = await start(dir);
    expect((await running.client.nodeInfo()).name).toBe('From File');
    await running.stop();

    await withEnv({ DTX_NAME: 'From Env' }, async () => {
      running = await start(dir);
      expect((await running.client.nodeInfo()).name).toBe('From Env');
      await running.stop();

      running = await start(dir, { name: 'From Flags' });
      expect((await running.client.nodeInfo()).name).toBe('From Flags');
      const http = (await (await fetch(`http://${running.node.httpAddress}/v1/info`)).json()) as { name: string };
      expect(http.name).toBe('From Flags');
      await running.stop();
    });
    // The file itself is never rewritten by overrides.
    expect(JSON.parse(readFileSync(join(dir, FILES.config), 'utf8')).name).toBe('From File');
  });

  it('maxBatch from config.json applies unless overridden', async () => {
    const dir = await initialized();
    const path = join(dir, FILES.config);
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), maxBatch: 3 }));
    let running = await start(dir);
    await expectDtxError(running.client.publish(emailBatch('four', 4)), 'INVALID_ARGUMENT', { field: 'items' });
    await running.stop();
    running = await start(dir, { maxBatch: 4 });
    expect(await running.client.publish(emailBatch('four', 4))).toHaveLength(4);
  });

  it.each([
    ['an unknown key', { colour: 'blue' }],
    ['maxBatch 0', { maxBatch: 0 }],
    ['maxBatch not an integer', { maxBatch: 2.5 }],
    ['an unknown durability', { durability: 'fast' }],
    ['a bad gRPC address', { grpc: 'localhost' }],
    ['an empty name', { name: '' }],
  ])('config.json with %s is CONFIG_INVALID', async (_label, extra) => {
    const dir = await initialized();
    const path = join(dir, FILES.config);
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ...extra }));
    await expectStartFails(dir, 'CONFIG_INVALID');
  });

  it.each([
    ['not JSON', '{ name: "x" '],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
  ])('config.json that is %s is CONFIG_INVALID', async (_label, text) => {
    const dir = await initialized();
    writeFileSync(join(dir, FILES.config), text);
    await expectStartFails(dir, 'CONFIG_INVALID');
  });

  it('bad overrides are CONFIG_INVALID', async () => {
    const dir = await initialized();
    await expectStartFails(dir, 'CONFIG_INVALID', { grpc: 'nowhere' });
    await expectStartFails(dir, 'CONFIG_INVALID', { cacheMiB: 1 });
    await expectStartFails(dir, 'CONFIG_INVALID', { colour: 'blue' } as Partial<NodeConfig>);
  });

  it('a bad DTX_GRPC is CONFIG_INVALID', async () => {
    const dir = await initialized();
    await withEnv({ DTX_GRPC: 'nowhere' }, async () => {
      await expectDtxError(DtxNode.start(dir, { logger: silentLogger() }), 'CONFIG_INVALID');
    });
  });

  it('a busy HTTP port fails the start with UNAVAILABLE and leaves the directory usable', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const busy = `127.0.0.1:${(blocker.address() as AddressInfo).port}`;
    const dir = await initialized();

    await expectStartFails(dir, 'UNAVAILABLE', { http: busy });
    const running = await start(dir);
    expect(await running.client.publish(emailBatch('after-busy', 2))).toHaveLength(2);
  });
});
