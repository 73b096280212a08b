/**
 * Schema migrations on a real file: a database left by an older dtx is brought up to date on
 * open, keeping what it holds; read-only opens refuse a schema they do not know; a newer
 * schema is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, PAGE_BYTES } from '../../server/db/database.js';
import { IndicatorStore } from '../../server/db/indicator-store.js';
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

/** Undoes migration 6: recent lookup keys back in a key-ordered table. */
const BACK_TO_5 = `DROP TABLE lookup_recent;
  CREATE TABLE lookup_keys_new (lookup_key INTEGER NOT NULL, id BLOB NOT NULL, origin INTEGER NOT NULL, PRIMARY KEY (lookup_key, id, origin)) WITHOUT ROWID;
  PRAGMA user_version = 5;`;

/** Undoes migration 4: the lookup index back on the indicators table. */
const BACK_TO_3 = `${BACK_TO_5} DROP TABLE lookup_keys; DROP TABLE lookup_keys_new;
  CREATE INDEX indicators_by_lookup_key ON indicators (lookup_key); PRAGMA user_version = 3`;

/**
 * A database as a dtx of schema 2 left it, with one origin row: today's schema without what
 * versions 3 and 4 added. (Tests reach SQLite only through server/db, so it is made by rolling back.)
 */
function databaseAtVersion2(): void {
  const db = openDatabase(path);
  db.prepare('INSERT INTO origins (key) VALUES (?)').run(Buffer.alloc(32, 7));
  db.exec(BACK_TO_3);
  db.exec('DROP TABLE sightings; PRAGMA user_version = 2');
  db.close();
}

/** Indicator rows of a schema 3 database (lookup keys only in the indicators table). */
const V3_ROWS = [
  { id: Buffer.alloc(16, 1), lookupKey: 2 ** 47 + 5, value: '198.51.100.1' },
  { id: Buffer.alloc(16, 2), lookupKey: 17, value: '198.51.100.2' },
  { id: Buffer.alloc(16, 3), lookupKey: 2 ** 40, value: '198.51.100.3' },
];

function databaseAtVersion3(): void {
  const db = openDatabase(path);
  db.exec(BACK_TO_3);
  const insert = db.prepare(`INSERT INTO indicators (id, origin, version, entry, lookup_key, kind, value, action, confidence, valid_until)
    VALUES (?, 1, 1, 1, ?, 1, ?, 1, 50, 9e15)`);
  for (const row of V3_ROWS) insert.run(row.id, row.lookupKey, row.value);
  db.close();
}

/** Undoes migration 5: lookup index rows of (lookup_key, id, origin) only, all of them merged. */
const BACK_TO_4 = `${BACK_TO_5} DROP TABLE lookup_keys; DROP TABLE lookup_keys_new;
  CREATE TABLE lookup_keys (lookup_key INTEGER NOT NULL, id BLOB NOT NULL, origin INTEGER NOT NULL, PRIMARY KEY (lookup_key, id, origin)) WITHOUT ROWID;
  CREATE TABLE lookup_keys_new (lookup_key INTEGER NOT NULL, id BLOB NOT NULL, origin INTEGER NOT NULL, PRIMARY KEY (lookup_key, id, origin)) WITHOUT ROWID;
  PRAGMA user_version = 4`;

/** Indicator rows of a schema 4 database, with match fields that differ row to row; one retracted. */
const V4_ROWS = [
  { id: Buffer.alloc(16, 1), lookupKey: 2 ** 47 + 5, value: '198.51.100.1', action: 1, confidence: 10, validUntil: 7_000, retractReason: 0 },
  { id: Buffer.alloc(16, 2), lookupKey: 17, value: '198.51.100.2', action: 2, confidence: 95, validUntil: 8_000, retractReason: 2 },
  { id: Buffer.alloc(16, 3), lookupKey: 2 ** 40, value: '198.51.100.3', action: 3, confidence: 0, validUntil: 9_000, retractReason: 0 },
];

function databaseAtVersion4(): void {
  const db = openDatabase(path);
  db.exec(BACK_TO_4);
  const insert = db.prepare(`INSERT INTO indicators (id, origin, version, entry, lookup_key, kind, value, action, confidence, valid_until, retract_reason)
    VALUES (?, 1, 2, 1, ?, 1, ?, ?, ?, ?, ?)`);
  const key = db.prepare('INSERT INTO lookup_keys (lookup_key, id, origin) VALUES (?, ?, 1)');
  for (const r of V4_ROWS) {
    insert.run(r.id, r.lookupKey, r.value, r.action, r.confidence, r.validUntil, r.retractReason);
    key.run(r.lookupKey, r.id);
  }
  db.close();
}

/**
 * A schema 5 database: V4_ROWS' indicators, the first merged (with its fields), the other two
 * waiting in the key-ordered recent table.
 */
function databaseAtVersion5(): void {
  const db = openDatabase(path);
  db.exec(BACK_TO_5);
  const insert = db.prepare(`INSERT INTO indicators (id, origin, version, entry, lookup_key, kind, value, action, confidence, valid_until, retract_reason)
    VALUES (?, 1, 2, 1, ?, 1, ?, ?, ?, ?, ?)`);
  for (const r of V4_ROWS) insert.run(r.id, r.lookupKey, r.value, r.action, r.confidence, r.validUntil, r.retractReason);
  db.exec(`INSERT INTO lookup_keys SELECT lookup_key, id, origin, kind, value, version, action, confidence, valid_until, retract_reason FROM indicators WHERE lookup_key = ${V4_ROWS[0]!.lookupKey}`);
  db.exec(`INSERT INTO lookup_keys_new SELECT lookup_key, id, origin FROM indicators WHERE lookup_key <> ${V4_ROWS[0]!.lookupKey}`);
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

  it('brings a version 3 database (lookup index on the indicators table) up to date: every indicator is found', () => {
    databaseAtVersion3();
    expect(userVersion()).toBe(3);
    const db = openDatabase(path);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'indicators_by_lookup_key'").pluck().get()).toBe(0);
      const store = new IndicatorStore(db);
      expect(store.lookupKeys.recentRows).toBe(0);
      const queries = V3_ROWS.map((r) => ({ kind: 1, value: r.value, lookupKey: r.lookupKey }));
      const matches = store.lookupMatchesMany(queries, { includeRetracted: false, includeExpired: false, nowMs: 0 });
      expect(matches.map((m) => m.idHex)).toEqual(V3_ROWS.map((r) => r.id.toString('hex')));
    } finally {
      db.close();
    }
  });

  it('brings a version 4 database (lookup index rows without match fields) up to date: matches carry each row\'s fields', () => {
    databaseAtVersion4();
    expect(userVersion()).toBe(4);
    const db = openDatabase(path);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const store = new IndicatorStore(db);
      const queries = V4_ROWS.map((r) => ({ kind: 1, value: r.value, lookupKey: r.lookupKey }));
      const matches = store.lookupMatchesMany(queries, { includeRetracted: true, includeExpired: false, nowMs: 7_500 });
      // Row 1 expired at 7,000; row 2 is retracted, and asked for.
      expect(matches).toEqual(
        V4_ROWS.slice(1).map((r, i) => ({
          queryIndex: i + 1,
          idHex: r.id.toString('hex'),
          origin: 1,
          version: 2,
          action: r.action,
          confidence: r.confidence,
          validUntil: r.validUntil,
          retractReason: r.retractReason,
        })),
      );
      const current = store.lookupMatchesMany(queries, { includeRetracted: false, includeExpired: true, nowMs: 0 });
      expect(current.map((m) => m.queryIndex)).toEqual([0, 2]);
    } finally {
      db.close();
    }
  });

  it('brings a version 5 database (recent keys in key order) up to date: recent rows keep waiting, are found, and merge', () => {
    databaseAtVersion5();
    expect(userVersion()).toBe(5);
    const db = openDatabase(path);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'lookup_keys_new'").pluck().get()).toBe(0);
      const store = new IndicatorStore(db, { recentLimit: 2, sliceRows: 1 });
      expect(store.lookupKeys.recentRows).toBe(2);
      const queries = V4_ROWS.map((r) => ({ kind: 1, value: r.value, lookupKey: r.lookupKey }));
      const all = { includeRetracted: true, includeExpired: true, nowMs: 0 };
      const before = store.lookupMatchesMany(queries, all);
      expect(before.map((m) => [m.queryIndex, m.idHex, m.retractReason])).toEqual(V4_ROWS.map((r, i) => [i, r.id.toString('hex'), r.retractReason]));
      for (let i = 0; i < 100 && store.lookupKeys.mergeDue; i++) db.transaction(() => store.lookupKeys.mergeStep())();
      expect(store.lookupKeys.recentRows).toBe(0);
      expect(db.prepare('SELECT count(*) FROM lookup_keys').pluck().get()).toBe(3);
      expect(store.lookupMatchesMany(queries, all)).toEqual(before);
    } finally {
      db.close();
    }
  });

  it('makes a new database with 8 KiB pages; one made with 4 KiB pages keeps them, and opens and takes writes as before', () => {
    const db = openDatabase(path);
    expect(db.pragma('page_size', { simple: true })).toBe(PAGE_BYTES);
    db.prepare('INSERT INTO origins (key) VALUES (?)').run(Buffer.alloc(32, 7));
    // As a dtx before 8 KiB pages left it (a page size changes only through a VACUUM, outside WAL mode).
    db.exec('PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM; PRAGMA journal_mode = WAL');
    db.close();
    expect(readFileSync(path).readUInt16BE(16)).toBe(4096);
    const again = openDatabase(path);
    try {
      expect(again.pragma('page_size', { simple: true })).toBe(4096);
      again.prepare('INSERT INTO origins (key) VALUES (?)').run(Buffer.alloc(32, 8));
      expect(again.prepare('SELECT count(*) FROM origins').pluck().get()).toBe(2);
    } finally {
      again.close();
    }
    expect(readFileSync(path).readUInt16BE(16)).toBe(4096);
  });

  it('tells the caller of each migration of an existing database, and of none for a new one', () => {
    const told: [number, number][] = [];
    const onMigration = (m: { version: number }, from: number) => told.push([from, m.version]);
    openDatabase(path, { onMigration }).close();
    expect(told).toEqual([]);
    removeDir(dir);
    dir = makeTempDir('migrations');
    path = join(dir, 'dtx.db');
    databaseAtVersion2();
    openDatabase(path, { onMigration }).close();
    expect(told).toEqual(Array.from({ length: SCHEMA_VERSION - 2 }, (_, i) => [2 + i, 3 + i]));
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
