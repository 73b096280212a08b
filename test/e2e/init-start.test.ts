/** dtx init and dtx start: data directory creation, file modes, the running node's lifecycle. */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DtxClient } from '../../client/index.js';
import { Tlp } from '../../shared/gen/dtx/v1/indicator_pb.js';
import {
  dtx,
  dtxJson,
  expectDtxError,
  initNode,
  runtimePath,
  startNode,
  stopNodeCleanly,
  tempDirs,
  type LogRow,
  type RunningNode,
} from './_cli.js';

const dirs = tempDirs();
const nodes: RunningNode[] = [];

afterAll(async () => {
  // Anything a failed test left running; stop() is idempotent.
  await Promise.all(nodes.map((n) => n.stop()));
  dirs.cleanup();
});

/** name → [mode, bytes] of every file in dir. */
function snapshot(dir: string): Record<string, [number, string]> {
  const out: Record<string, [number, string]> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    out[name] = [statSync(path).mode, readFileSync(path).toString('base64')];
  }
  return out;
}

describe('dtx init', () => {
  const dir = dirs.path('lab-a');

  it('--json prints nodeId, grpc, http and data, and writes secrets with mode 0600', async () => {
    const r = await dtx(['init', '--data', dir, '--name', 'Lab A', '--grpc', '127.0.0.1:0', '--http', '127.0.0.1:0', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual(['data', 'grpc', 'http', 'nodeId']);
    expect(out).toMatchObject({ grpc: '127.0.0.1:0', http: '127.0.0.1:0', data: dir });
    expect(out.nodeId).toMatch(/^[a-z0-9]{20,}$/);

    for (const file of ['node.key', 'admin.token']) {
      const stat = statSync(join(dir, file));
      expect(stat.isFile()).toBe(true);
      expect((stat.mode & 0o777).toString(8), file).toBe('600');
    }
    expect(readFileSync(join(dir, 'admin.token'), 'utf8').trim().length).toBeGreaterThan(20);
    // The key never appears on stdout.
    expect(r.stdout).not.toContain(readFileSync(join(dir, 'node.key'), 'utf8').trim());
    expect(existsSync(runtimePath(dir))).toBe(false);
  });

  it('refuses to run again on the same directory and changes nothing', async () => {
    const before = snapshot(dir);
    const r = await dtx(['init', '--data', dir, '--grpc', '127.0.0.1:0', '--http', '127.0.0.1:0', '--json']);
    expectDtxError(r, 'DATA_DIR_INITIALIZED');
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a non-empty directory that holds no node, and creates nothing in it', async () => {
    const other = dirs.path('not-empty');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine\n');
    const r = await dtx(['init', '--data', other, '--json']);
    expectDtxError(r, 'DATA_DIR_INITIALIZED');
    expect(readdirSync(other)).toEqual(['notes.txt']);
  });
});

// Each test has its own data directory, so they run side by side.
describe.concurrent('dtx start', () => {
  it('prints the node id, gRPC address and admin token path, serves, refuses a second node, and stops cleanly on SIGTERM', async () => {
    const dir = dirs.path('lab-b');
    const init = await initNode(dir);
    const node = await startNode(dir);
    nodes.push(node);

    expect(node.info.nodeId).toBe(init.nodeId);
    expect(node.info.pid).toBe(node.proc.pid);
    expect(node.info.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(node.info.grpc).not.toBe('127.0.0.1:0');
    const banner = node.stdout();
    expect(banner).toContain(init.nodeId);
    expect(banner).toContain(node.info.grpc);
    expect(banner).toContain(join(dir, 'admin.token'));
    // The banner names the token file, never the token.
    expect(banner).not.toContain(node.token);

    // A second node on the same directory is refused; the first keeps node.json and answers clients.
    expectDtxError(await dtx(['start', '--data', dir]), 'NODE_RUNNING');
    expect(JSON.parse(readFileSync(runtimePath(dir), 'utf8'))).toMatchObject({ pid: node.proc.pid });
    expect(await dtxJson<LogRow[]>(['log', '--data', dir, '--json'])).toEqual([]);

    await stopNodeCleanly(node);
  });

  it('stops cleanly on SIGTERM once a large batch lookup has started its reader threads', async () => {
    const dir = dirs.path('lab-e');
    await initNode(dir);
    const node = await startNode(dir);
    nodes.push(node);
    const client = new DtxClient({ address: node.info.grpc, token: node.token });
    try {
      const [stored] = await client.publish([{ kind: 'network.ip', value: '203.0.113.9', tlp: Tlp.GREEN }]);
      // Above the size that goes to the readers (MIN_POOLED_QUERIES).
      const queries = Array.from({ length: 600 }, (_, i) => ({ kind: 'network.ip', value: i === 300 ? '203.0.113.9' : `198.18.${i >> 8}.${i & 255}` }));
      const matches = await client.lookupMatches(queries);
      expect(matches.map((m) => [m.queryIndex, m.id])).toEqual([[300, stored!.id]]);
    } finally {
      client.close();
    }
    await stopNodeCleanly(node);
  });

  it('--init creates a new data directory and starts the node', async () => {
    const dir = dirs.path('fresh/lab-d');
    expect(existsSync(dir)).toBe(false);
    const node = await startNode(dir, ['--init', '--grpc', '127.0.0.1:0', '--http', '127.0.0.1:0']);
    nodes.push(node);

    for (const file of ['node.key', 'admin.token', 'config.json']) expect(existsSync(join(dir, file)), file).toBe(true);
    expect((statSync(join(dir, 'node.key')).mode & 0o777).toString(8)).toBe('600');
    expect(node.stdout()).toContain(node.info.nodeId);

    const published = await dtxJson<Array<{ id: string; seq: number }>>([
      'publish', '--data', dir, '--kind', 'infra.domain', '--value', 'relay.example.net', '--tlp', 'GREEN', '--json',
    ]);
    expect(published).toHaveLength(1);
    expect(published[0]!.seq).toBe(1);

    await stopNodeCleanly(node);
  });
});
