/**
 * Schema migrations on a real file: a database left by an older dtx is brought up to date on
 * open, keeping what it holds; read-only opens refuse a schema they do not know; a newer
 * schema is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/database.js';
import { SCHEMA_VERSION } from '../../server/db/migrations.js';
import { SightingStore } from '../../server/db/sighting-store.js';
import { SightingType } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { expectDtxErrorSync } from '../_util/errors.js';
import { makeTempDir, removeDir } from '../_util/test-node.js';

let dir: string;
let path: string;

beforeEach(() => {
  dir = makeTempDir('migrations');
  path = join(dir, 'dtx.db');
});

afterEach(() => removeDir(dir));

/**
 * A database as a dtx of schema 2 left it, with one origin row: today's schema without what
 * version 3 added. (Tests reach SQLite only through server/db, so it is made by rolling back.)
 */
function databaseAtVersion2(): void {
  const db = openDatabase(path);
  db.prepare('INSERT INTO origins (key) VALUES (?)').run(Buffer.alloc(32, 7));
  db.exec('DROP TABLE sightings; PRAGMA user_version = 2');
  db.close();
}

/** user_version from the file header (offset 60), without opening, so without migrating. */
function userVersion(): number {
  return readFileSync(path).readUInt32BE(60);
}

describe('schema migrations', () => {
  it('brings a version 2 database (before sightings) up to date and keeps its rows', () => {
    expect(SCHEMA_VERSION).toBeGreaterThan(2);
    databaseAtVersion2();
    expect(userVersion()).toBe(2);
    const db = openDatabase(path);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.prepare('SELECT count(*) FROM origins').pluck().get()).toBe(1);
      const sightings = new SightingStore(db);
      const id = new Uint8Array(16).fill(1);
      const origin = new Uint8Array(32).fill(7);
      sightings.put({ indicatorId: id, indicatorOrigin: origin, reporter: 1, type: SightingType.SEEN, observedAtMs: 1_000, entry: 1 });
      expect(sightings.summary(id, origin)).toEqual({ seenBy: 1, falsePositiveBy: 0, lastSeenMs: 1_000 });
    } finally {
      db.close();
    }
  });

  it('a read-only open of an older schema says to start the node once, and changes nothing', () => {
    databaseAtVersion2();
    const err = expectDtxErrorSync(() => openDatabase(path, { readonly: true }), 'FAILED_PRECONDITION');
    expect(err.message).toMatch(/version 2.*start the node once to migrate/);
    expect(userVersion()).toBe(2);
  });

  it('refuses a schema newer than this dtx', () => {
    const db = openDatabase(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(expectDtxErrorSync(() => openDatabase(path), 'FAILED_PRECONDITION').message).toMatch(/newer than this dtx/);
  });
});
