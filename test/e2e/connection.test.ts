/**
 * How client commands find their node: --data DIR, --node + --token, DTX_NODE + DTX_TOKEN,
 * DTX_DATA; and the errors when they cannot (no node given, node stopped, wrong token).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dtx,
  dtxJson,
  expectDtxError,
  initNode,
  query,
  startNode,
  stopNodeCleanly,
  tempDirs,
  type IndicatorRow,
  type PublishedRow,
  type RunningNode,
} from './_cli.js';

const dirs = tempDirs();
const running = dirs.path('running');
const stopped = dirs.path('stopped');
const emptyCwd = dirs.path('empty-cwd');
const VALUE = 'via-flags.example.com';
let node: RunningNode | undefined;
let address: string;
let token: string;
let publishedId: string;

const queryArgs = ['query', '--kind', 'infra.domain', '--value', VALUE, '--json'];

beforeAll(async () => {
  mkdirSync(emptyCwd);
  await Promise.all([initNode(running), initNode(stopped)]);
  node = await startNode(running);
  address = node.info.grpc;
  token = node.token;
});

afterAll(async () => {
  try {
    await stopNodeCleanly(node);
  } finally {
    dirs.cleanup();
  }
});

describe('finding the node', () => {
  it('--node HOST:PORT with --token works (from any directory)', async () => {
    const published = await dtxJson<PublishedRow[]>(
      ['publish', '--node', address, '--token', token, '--kind', 'infra.domain', '--value', VALUE, '--tlp', 'GREEN', '--json'],
      { cwd: emptyCwd },
    );
    expect(published).toHaveLength(1);
    publishedId = published[0]!.id;
  });

  // Read-only from here: run side by side (vitest gives this file one worker).
  describe.concurrent('then every way of naming it finds the same indicator', () => {
    it('--data DIR', async () => {
      expect((await query(running, 'infra.domain', VALUE)).map((r) => r.id)).toEqual([publishedId]);
    });

    it('DTX_NODE and DTX_TOKEN', async () => {
      const rows = await dtxJson<IndicatorRow[]>(queryArgs, { cwd: emptyCwd, env: { DTX_NODE: address, DTX_TOKEN: token } });
      expect(rows.map((r) => r.id)).toEqual([publishedId]);
    });

    it('DTX_DATA', async () => {
      const rows = await dtxJson<IndicatorRow[]>(queryArgs, { cwd: emptyCwd, env: { DTX_DATA: running } });
      expect(rows.map((r) => r.id)).toEqual([publishedId]);
    });

    it('--token overrides a wrong DTX_TOKEN', async () => {
      const rows = await dtxJson<IndicatorRow[]>([...queryArgs, '--token', token], {
        cwd: emptyCwd,
        env: { DTX_NODE: address, DTX_TOKEN: 'not-a-token' },
      });
      expect(rows.map((r) => r.id)).toEqual([publishedId]);
    });
  });
});

describe.concurrent('when the node cannot be reached', () => {
  it('no node information at all: a helpful one-line error', async () => {
    const r = await dtx(['query', '--kind', 'network.ip', '--value', '192.0.2.1'], { cwd: emptyCwd });
    const line = expectDtxError(r, 'INVALID_ARGUMENT');
    // It says how to name a node.
    expect(line).toContain('--data');
    expect(line).toContain('--node');
  });

  it('--data pointing to a stopped node says it is not running', async () => {
    const r = await dtx(['log', '--data', stopped]);
    const line = expectDtxError(r, 'UNAVAILABLE');
    expect(line).toMatch(/not running/);
    expect(line).toContain('dtx start');
  });

  it('--data pointing to a directory that holds no node says so', async () => {
    const r = await dtx(['log', '--data', emptyCwd]);
    expectDtxError(r, 'DATA_DIR_MISSING');
  });

  it('a token signed by another node is UNAUTHENTICATED, and the token is not echoed', async () => {
    const otherToken = readFileSync(join(stopped, 'admin.token'), 'utf8').trim();
    const r = await dtx(['log', '--node', address, '--token', otherToken], { cwd: emptyCwd });
    expectDtxError(r, 'UNAUTHENTICATED');
    expect(r.stderr).not.toContain(otherToken);
  });

  it('no token at all is UNAUTHENTICATED', async () => {
    const r = await dtx(['log', '--node', address], { cwd: emptyCwd });
    expectDtxError(r, 'UNAUTHENTICATED');
  });

  it('a garbage token (DTX_TOKEN) is UNAUTHENTICATED and publishes nothing', async () => {
    const r = await dtx(['publish', '--kind', 'infra.domain', '--value', 'denied.example.com', '--tlp', 'GREEN'], {
      cwd: emptyCwd,
      env: { DTX_NODE: address, DTX_TOKEN: 'garbage' },
    });
    expectDtxError(r, 'UNAUTHENTICATED');
    expect(await query(running, 'infra.domain', 'denied.example.com')).toEqual([]);
  });
});
