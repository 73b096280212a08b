/**
 * The federation group (`--only=sync`): catch-up of the dataset between two node processes,
 * publish-to-visible latency two hops away, and one node serving 100 subscribers. Every node
 * is a real `dtx start` process on 127.0.0.1; fresh ones live in bench/.cache/sync-<pid>/.
 */
import { initCrypto } from '../shared/crypto.js';
import type { Dataset } from './dataset.js';
import type { Results } from './metrics.js';
import type { BenchOptions } from './options.js';
import { runSyncCatchup } from './sync-catchup.js';
import { runSyncFanout, startFanoutNode } from './sync-fanout.js';
import { removeSyncScratch } from './sync-nodes.js';
import { runSyncPropagation } from './sync-propagation.js';
import { serveTlsWith } from './node-process.js';
import { progress } from './progress.js';
import { benchTls } from './tls-files.js';

export async function runSyncBench(dataset: Dataset, options: BenchOptions, results: Results): Promise<void> {
  await initCrypto();
  if (options.tls) {
    const tls = benchTls();
    serveTlsWith(tls);
    progress(`sync: every node serves TLS (${tls.certFile}); peers and the bench's streams dial https://`);
  }
  try {
    await runSyncCatchup(dataset, results);
    // Started beside the propagation nodes: it idles until its turn, and start-up time is saved.
    const fanoutNode = startFanoutNode();
    fanoutNode.catch(() => undefined); // its failure is reported when the fan-out awaits it
    try {
      await runSyncPropagation(options, results);
    } catch (err) {
      await (await fanoutNode.catch(() => undefined))?.stop();
      throw err;
    }
    await runSyncFanout(fanoutNode, options, results);
  } finally {
    serveTlsWith(undefined);
    removeSyncScratch();
  }
}
