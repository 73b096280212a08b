/**
 * Roster changes on a stopped node, and lifting a halt: the CLI takes the data directory's lock
 * (so the node cannot start meanwhile), edits the tables with the same checks as the admin API,
 * and releases. The node reads the roster and its halts when it starts.
 */
import { initCrypto } from '../../shared/crypto.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { dataPath, loadNodeKey, requireInitialized } from '../config/data-dir.js';
import { claimRuntime, releaseRuntime } from '../config/runtime-file.js';
import { openDatabase, type Db } from '../db/database.js';
import { LogStore } from '../db/log-store.js';
import { PeerStore } from '../db/peer-store.js';
import { Roster } from '../sync/roster.js';
import { liftStoredHalt, type HaltView } from '../sync/stored-state.js';

export async function withOfflineRoster<T>(dir: string, fn: (roster: Roster) => T): Promise<T> {
  return withOfflineDatabase(dir, (db) => fn(new Roster(new PeerStore(db), nodeIdFromPublicKey(loadNodeKey(dir).publicKey))));
}

/** Lifts an origin's halt in a stopped node's database (as PeerService.LiftHalt does). */
export function liftHaltOffline(dir: string, origin: string): Promise<HaltView> {
  return withOfflineDatabase(dir, (db) => liftStoredHalt(new PeerStore(db), new LogStore(db), origin));
}

async function withOfflineDatabase<T>(dir: string, fn: (db: Db) => T): Promise<T> {
  await initCrypto();
  requireInitialized(dir);
  claimRuntime(dir);
  try {
    const db = openDatabase(dataPath(dir, 'database'));
    try {
      return fn(db);
    } finally {
      db.close();
    }
  } finally {
    releaseRuntime(dir);
  }
}
