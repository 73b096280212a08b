/**
 * The shipped bundle (dist/bundle/, what `npm start` and the `dtx` bin run) carries every worker
 * thread the node starts, each loaded for real in a bundled node process: the signer, checkpoint
 * and key-filter workers at start, the lookup readers at the first large batch lookup, and the
 * verify workers when `syncVerify` is "every" and a peer's entries arrive.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient } from '../../client/index.js';
import { MIN_POOLED_QUERIES } from '../../server/indicators/lookup-readers.js';
import { emailBatch, emailInput } from '../_util/samples.js';
import { FAST_SYNC } from '../_util/test-network.js';
import { startTestNode, type TestNode } from '../_util/test-node.js';
import { CLI, dtx, expectOk, initNode, REPO_ROOT, startNode, stopNodeCleanly, tempDirs, type InitOutput, type RunningNode, type TempDirs } from './_cli.js';

/** `workerPath(import.meta.url, 'x.js')` calls in the sources: the scripts the node starts. */
function workerScripts(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) for (const [, script] of readFileSync(path, 'utf8').matchAll(/workerPath\(import\.meta\.url, '([^']+)'\)/g)) found.push(`${relative(REPO_ROOT, path)}: ${script}`);
    }
  };
  walk(join(REPO_ROOT, 'server'));
  return found;
}

describe('the bundle', () => {
  let dirs: TempDirs;
  let lab: InitOutput;
  let node: RunningNode | undefined;
  let origin: TestNode;

  beforeAll(async () => {
    dirs = tempDirs();
    lab = await initNode(dirs.path('bundled'));
    const configFile = join(lab.data, 'config.json');
    writeFileSync(configFile, JSON.stringify({ ...(JSON.parse(readFileSync(configFile, 'utf8')) as object), syncVerify: 'every' }));
    origin = await startTestNode({ name: 'origin', overrides: FAST_SYNC });
    node = await startNode(lab.data);
  });

  afterAll(async () => {
    await stopNodeCleanly(node);
    await origin?.stop();
    dirs.cleanup();
  });

  it('holds every worker script the sources start', () => {
    const scripts = workerScripts();
    expect(scripts.length).toBeGreaterThanOrEqual(5);
    for (const line of scripts) expect(existsSync(join(CLI, '..', line.split(': ')[1]!)), line).toBe(true);
  });

  it('a bundled node answers a large batch lookup (lookup reader threads) and verifies every received signature (verify workers)', async () => {
    const client = new DtxClient({ address: node!.info.grpc, token: node!.token });
    try {
      const values = Array.from({ length: MIN_POOLED_QUERIES + 88 }, (_, i) => ({ kind: 'account.email', value: emailInput(`bundle/${i}`).value! }));
      await client.publish(emailBatch('bundle', 10));
      const found = await client.lookup(values);
      expect(found.map((r) => r.queryIndex)).toEqual(Array.from({ length: 10 }, (_, i) => i));

      // The origin's entries reach the bundled node, each signature checked in a verify worker.
      await origin.client.publish(emailBatch('bundle-origin', 25));
      await origin.client.addPeer({ id: lab.nodeId, url: node!.info.grpc, noSubscribe: true });
      expectOk(await dtx(['peer', 'add', '--data', lab.data, '--id', origin.node.nodeId, '--url', origin.node.grpcAddress]));
      let held = 0;
      for (let i = 0; i < 400 && held < 25; i++) {
        await new Promise((r) => setTimeout(r, 25));
        held = Number((await client.listHeads()).find((h) => h.origin === origin.node.nodeId)?.seq ?? 0);
      }
      expect(held).toBe(25);
      const status = await client.status();
      expect(status.peers.find((p) => p.id === origin.node.nodeId)?.rejected).toEqual([]);
    } finally {
      client.close();
    }
  });
});
