/**
 * Node processes for the federation group: fresh ones in scratch data directories (removed
 * when stopped), their admin clients, roster changes through the real admin API, and a
 * bounded wait on a node's head for one origin.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DtxClient } from '../client/index.js';
import { initDataDir, readAdminToken } from '../server/config/data-dir.js';
import { readRuntime } from '../server/config/runtime-file.js';
import { publicKeyFromNodeId } from '../shared/node-id.js';
import { LOOPBACK_ANY_PORT, startNodeProcess, type NodeProcess } from './node-process.js';
import { CACHE_DIR } from './paths.js';
import { Budget, sleep } from './progress.js';
import { removeStaleScratch, scratchDir } from './scratch-dirs.js';

const SCRATCH = 'sync';

export interface SyncNode {
  label: string;
  dir: string;
  nodeId: string;
  /** The node's Ed25519 public key: the origin bytes in its entries' headers. */
  originKey: Uint8Array;
  process: NodeProcess;
  /** Admin client (peer administration, publish, heads). */
  admin: DtxClient;
  stop(): Promise<void>;
}

let removedStale = false;

function scratchRoot(): string {
  if (!removedStale) {
    removeStaleScratch(CACHE_DIR, SCRATCH);
    removedStale = true;
  }
  return scratchDir(CACHE_DIR, SCRATCH);
}

/** Starts a node process on an existing data directory; `owned` directories are deleted on stop. */
export async function startSyncNode(dir: string, label: string, owned: boolean): Promise<SyncNode> {
  const proc = await startNodeProcess(dir, label);
  const nodeId = readRuntime(dir)?.nodeId;
  if (nodeId === undefined) {
    await proc.stop();
    throw new Error(`${label}: node.json names no node id`);
  }
  const admin = new DtxClient({ address: proc.address, tlsRoots: proc.tlsRoots, token: readAdminToken(dir), timeoutMs: 30_000 });
  await admin.ready(10_000);
  return {
    label,
    dir,
    nodeId,
    originKey: publicKeyFromNodeId(nodeId),
    process: proc,
    admin,
    stop: async () => {
      admin.close();
      await proc.stop();
      if (owned) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new, empty node in a scratch directory, running in its own process. */
export async function startFreshNode(label: string): Promise<SyncNode> {
  const dir = join(scratchRoot(), label);
  rmSync(dir, { recursive: true, force: true });
  await initDataDir(dir, { name: `bench-${label}`, grpc: LOOPBACK_ANY_PORT, http: LOOPBACK_ANY_PORT });
  return startSyncNode(dir, label, true);
}

export async function stopNodes(nodes: readonly (SyncNode | undefined)[]): Promise<void> {
  await Promise.all(nodes.map((n) => n?.stop()));
}

/** `node` trusts `peer` as an origin and lets it subscribe, without dialling it. */
export async function trust(node: SyncNode, peer: { nodeId: string; url?: string; name?: string }): Promise<void> {
  // A member that is never dialled still needs a well-formed url.
  await node.admin.addPeer({ id: peer.nodeId, url: peer.url ?? '127.0.0.1:1', name: peer.name ?? '', noSubscribe: true });
}

/** `node` trusts `peer` and subscribes to it. */
export async function subscribe(node: SyncNode, peer: SyncNode): Promise<void> {
  await node.admin.addPeer({ id: peer.nodeId, url: peer.process.address, name: peer.label });
}

/** The node's head seq for `origin` (0 when it holds nothing of it). */
export async function headSeq(node: SyncNode, origin: string): Promise<number> {
  const head = (await node.admin.listHeads()).find((h) => h.origin === origin);
  return head === undefined ? 0 : Number(head.seq);
}

/** Polls every `everyMs` until `check` holds; false when the budget ran out first. */
export async function pollUntil(check: () => boolean | Promise<boolean>, budget: Budget, everyMs: number): Promise<boolean> {
  for (;;) {
    if (await check()) return true;
    if (budget.expired) return false;
    await sleep(everyMs);
  }
}

/** Removes this run's scratch root (each fresh node already removed its own directory). */
export function removeSyncScratch(): void {
  rmSync(scratchDir(CACHE_DIR, SCRATCH), { recursive: true, force: true });
}
