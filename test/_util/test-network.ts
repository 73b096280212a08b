/**
 * Several real nodes in one test: each a DtxNode on loopback port 0 with its own data
 * directory, linked through the real admin API (`peer add`), and a bounded wait until every
 * node holds the same head for every origin.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DtxClient } from '../../client/index.js';
import type { NodeConfig } from '../../server/config/config.js';
import type { SignedEntry } from '../../shared/log/entry.js';
import { startTestNode, type TestNode } from './test-node.js';

/** Short heartbeats so that tests see lag and dead connections quickly. */
export const FAST_SYNC: Partial<NodeConfig> = { syncHeartbeatMs: 200 };

export async function startNetwork(count: number, overrides: Partial<NodeConfig> = {}): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  try {
    for (let i = 0; i < count; i++) nodes.push(await startTestNode({ name: `lab-${String.fromCharCode(97 + i)}`, overrides: { ...FAST_SYNC, ...overrides } }));
  } catch (err) {
    await stopAll(nodes);
    throw err;
  }
  return nodes;
}

export async function stopAll(nodes: readonly TestNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()));
}

/** `from` trusts `to` and (unless subscribe is false) subscribes to it at `url` (its address by default). */
export async function addPeer(from: TestNode, to: TestNode, options: { subscribe?: boolean; url?: string } = {}): Promise<void> {
  await from.client.addPeer({ id: to.node.nodeId, url: options.url ?? to.node.grpcAddress, name: to.node.context.config.name, noSubscribe: options.subscribe === false });
}

/** Both directions: each trusts and subscribes to the other. */
export async function link(a: TestNode, b: TestNode): Promise<void> {
  await addPeer(a, b);
  await addPeer(b, a);
}

/** Every node trusts every other (members of one federation), without subscribing. */
export async function trustAll(nodes: readonly TestNode[]): Promise<void> {
  for (const a of nodes) for (const b of nodes) if (a !== b && !a.node.context.federation.roster.isMember(b.node.nodeId)) await addPeer(a, b, { subscribe: false });
}

/** Origin node id -> "epoch:seq:hash", from the node's own database. */
export function headsOf(node: TestNode): Map<string, string> {
  return new Map(node.node.context.federation.outbox.heads().map((h) => [h.origin, `${h.epoch}:${h.seq}:${Buffer.from(h.hash).toString('hex')}`]));
}

function sameHeads(nodes: readonly TestNode[]): boolean {
  const first = headsOf(nodes[0]!);
  return nodes.every((n) => {
    const heads = headsOf(n);
    return heads.size === first.size && [...first].every(([origin, head]) => heads.get(origin) === head);
  });
}

/** Waits (bounded) until every node holds the same head for every origin; throws with the heads if not. */
export async function waitForConvergence(nodes: readonly TestNode[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (sameHeads(nodes)) return;
    await sleep(25);
  }
  const report = nodes.map((n) => `${n.node.context.config.name}: ${[...headsOf(n)].map(([o, h]) => `${o.slice(0, 10)}=${h.slice(0, 12)}`).join(' ')}`);
  throw new Error(`no convergence within ${timeoutMs} ms:\n${report.join('\n')}`);
}

/** Waits (bounded) until `check` holds. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Every entry the node holds (of one origin, or of all), exactly as signed, in log order. */
export async function readAll(client: DtxClient, origin?: string): Promise<SignedEntry[]> {
  const out: SignedEntry[] = [];
  for await (const batch of client.readLog({ origin })) out.push(...batch);
  return out;
}
