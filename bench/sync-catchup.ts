/**
 * Catch-up: a new member node copies a whole log from a peer. The source is a node process on
 * the cached dataset (N entries of its own); the receiver a fresh node process. The source
 * trusts the receiver (admin API, no dialling), then the receiver is told to subscribe to the
 * source, and the clock runs from that call until the receiver's head for the source's origin
 * equals the source's head (polled every 25 ms): every entry verified by the receiver's
 * applier (payload hash, chain link, one signature per origin run) and committed with its
 * indicator view update (durability "full"). A lookup of dataset samples at the receiver then
 * checks that the view was filled.
 */
import type { Dataset } from './dataset.js';
import { warmDatabaseFiles } from './file-cache.js';
import type { Results } from './metrics.js';
import { Budget, fmt, progress, throttled } from './progress.js';
import { pollUntil, startFreshNode, startSyncNode, stopNodes, subscribe, trust, type SyncNode } from './sync-nodes.js';

const RECEIVER_NAME = 'bench-catchup-receiver';
const POLL_MS = 25;
const LOOKUP_SAMPLES = 1_000;

/** Roster rows a killed run left in the cached dataset's roster. */
async function removeStaleReceivers(source: SyncNode): Promise<void> {
  for (const peer of await source.admin.listPeers()) if (peer.name === RECEIVER_NAME) await source.admin.removePeer(peer.id);
}

export async function runSyncCatchup(dataset: Dataset, results: Results): Promise<void> {
  warmDatabaseFiles(dataset.dir, 'sync catch-up');
  // Both at once: node start-up is slow on a busy machine and is not what is measured here.
  const [s, r] = await Promise.allSettled([startSyncNode(dataset.dir, 'catchup-source', false), startFreshNode('catchup-receiver')]);
  if (s.status === 'rejected' || r.status === 'rejected') {
    await stopNodes([s.status === 'fulfilled' ? s.value : undefined, r.status === 'fulfilled' ? r.value : undefined]);
    throw s.status === 'rejected' ? s.reason : (r as PromiseRejectedResult).reason;
  }
  const source = s.value;
  const receiver = r.value;
  let trusted = false;
  try {
    await removeStaleReceivers(source);
    const sourceHead = (await source.admin.listHeads()).find((h) => h.origin === source.nodeId);
    if (sourceHead === undefined) throw new Error('the dataset node has no log of its own');
    const target = Number(sourceHead.seq);
    await trust(source, { nodeId: receiver.nodeId, url: receiver.process.address, name: RECEIVER_NAME });
    trusted = true;

    progress(`sync catch-up: ${fmt(target)} entries from the dataset node to a fresh node`);
    // Generous: the figure is a rate, and a slow machine should still finish and report one.
    const budget = new Budget('sync catch-up', Math.max(60_000, target / 4));
    let held = 0;
    const t0 = performance.now();
    const report = throttled(3_000, () => progress(`sync catch-up: ${fmt(held)}/${fmt(target)} (${fmt(held / ((performance.now() - t0) / 1000))}/s)`));
    await subscribe(receiver, source);
    const done = await pollUntil(
      async () => {
        const head = (await receiver.admin.listHeads()).find((h) => h.origin === source.nodeId);
        held = head === undefined ? 0 : Number(head.seq);
        report();
        return held === target && Buffer.from(head!.hash).equals(Buffer.from(sourceHead.hash));
      },
      budget,
      POLL_MS,
    );
    const seconds = (performance.now() - t0) / 1000;
    progress(`sync catch-up: ${fmt(held)} entries in ${seconds.toFixed(1)} s (${fmt(held / seconds)}/s)${done ? '' : ' (stopped by time budget)'}`);

    // The view: stored samples of the dataset must now be found at the receiver, as the source's.
    const samples = dataset.samples.slice(0, LOOKUP_SAMPLES);
    const matches = await receiver.admin.lookupMatches(samples);
    const viewMs = performance.now() - t0;
    const found = new Set(matches.filter((m) => m.origin === source.nodeId).map((m) => m.queryIndex)).size;
    const status = await receiver.admin.status();
    const link = status.peers.find((p) => p.id === source.nodeId);
    const rejected = (link?.rejected ?? []).reduce((sum, r) => sum + Number(r.count), 0);
    if (done && found !== samples.length) throw new Error(`after catch-up the receiver found ${found} of ${samples.length} dataset samples`);
    if (rejected > 0 || status.quarantined > 0n) throw new Error(`the receiver rejected ${rejected} entries (${status.quarantined} quarantined) of a valid log`);

    const truncated = done ? '' : ' (stopped by time budget: a partial figure)';
    results.add({
      name: 'sync-catchup-throughput',
      value: held / seconds,
      unit: 'entries/s',
      target: { kind: 'min', value: 100_000 },
      note: `${fmt(held)} entries between two node processes, verified and committed${truncated}`,
    });
    results.add({ name: 'sync-catchup-s', value: seconds, unit: 's', note: `from peer add on the receiver until its head equals the source's` });
    results.add({
      name: 'sync-catchup-view-ms',
      value: viewMs,
      unit: 'ms',
      note: `from peer add until a lookup of ${fmt(samples.length)} dataset samples at the receiver answered (${fmt(found)} found)`,
    });
    results.add({ name: 'sync-catchup-receiver-rss-mb', value: receiver.process.peakRssMb(), unit: 'MiB', note: 'VmHWM of the receiving node process' });
    results.add({ name: 'sync-catchup-source-rss-mb', value: source.process.peakRssMb(), unit: 'MiB', note: `VmHWM of the serving node process, ${fmt(target)} stored` });
  } finally {
    // Leave the cached dataset's roster as it was.
    if (trusted) await source.admin.removePeer(receiver.nodeId).catch(() => undefined);
    await stopNodes([receiver, source]);
  }
}
