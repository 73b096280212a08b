/**
 * Roster changes on a stopped node: the CLI takes the data directory's lock (so the node cannot
 * start meanwhile), edits the peers table with the same checks as the admin API, and releases.
 * The node reads the roster when it starts.
 */
import { initCrypto } from '../../shared/crypto.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { dataPath, loadNodeKey, requireInitialized } from '../config/data-dir.js';
import { claimRuntime, releaseRuntime } from '../config/runtime-file.js';
import { openDatabase } from '../db/database.js';
import { PeerStore } from '../db/peer-store.js';
import { Roster } from '../sync/roster.js';

export async function withOfflineRoster<T>(dir: string, fn: (roster: Roster) => T): Promise<T> {
  await initCrypto();
  requireInitialized(dir);
  claimRuntime(dir);
  try {
    const db = openDatabase(dataPath(dir, 'database'));
    try {
      return fn(new Roster(new PeerStore(db), nodeIdFromPublicKey(loadNodeKey(dir).publicKey)));
    } finally {
      db.close();
    }
  } finally {
    releaseRuntime(dir);
  }
}
