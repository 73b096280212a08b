/**
 * Schema migrations, applied in order by version (PRAGMA user_version). A migration is never
 * edited once released; a schema change is a new entry at the end.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'signed logs, origins with heads, current indicator view',
    sql: `
      -- One row per origin log this node holds. idx is a small local number used by other tables;
      -- the head columns always equal the last entry of that origin (updated in the same transaction).
      CREATE TABLE origins (
        idx INTEGER PRIMARY KEY,
        key BLOB NOT NULL UNIQUE,
        head_epoch INTEGER NOT NULL DEFAULT 0,
        head_seq INTEGER NOT NULL DEFAULT 0,
        head_hash BLOB,
        entry_count INTEGER NOT NULL DEFAULT 0,
        indicator_count INTEGER NOT NULL DEFAULT 0
      );

      -- Entries exactly as signed. The rowid is local arrival order; (origin, epoch, seq) is the
      -- identity, and grows monotonically per origin so its index appends at the edge.
      CREATE TABLE entries (
        origin INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        header BLOB NOT NULL,
        signature BLOB NOT NULL,
        payload BLOB NOT NULL
      );
      CREATE UNIQUE INDEX entries_by_position ON entries (origin, epoch, seq);

      -- Current view: latest version of each indicator, derived from the log. Lookups go through
      -- lookup_key, a 48-bit hash of (kind, value): its index is a third the size of one on the
      -- values themselves, so the random inserts it takes dirty far fewer pages per commit.
      -- action and confidence are copied from the payload so match-only lookups need no payload.
      CREATE TABLE indicators (
        id BLOB NOT NULL,
        origin INTEGER NOT NULL,
        version INTEGER NOT NULL,
        entry INTEGER NOT NULL,
        lookup_key INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        value TEXT NOT NULL,
        action INTEGER NOT NULL,
        confidence INTEGER NOT NULL,
        valid_until INTEGER NOT NULL,
        retract_reason INTEGER NOT NULL DEFAULT 0,
        retract_entry INTEGER,
        PRIMARY KEY (id, origin)
      ) WITHOUT ROWID;
      CREATE INDEX indicators_by_lookup_key ON indicators (lookup_key);
    `,
  },
  {
    version: 2,
    description: 'federation: roster of peers, quarantine of rejected entries, halted origins',
    sql: `
      -- The roster: every member is trusted as an origin and may subscribe to this node;
      -- subscribe = 1 means this node also dials it at url.
      CREATE TABLE peers (
        node_id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        subscribe INTEGER NOT NULL,
        added_at INTEGER NOT NULL
      );

      -- Entries a peer sent that were not applied, exactly as received, with the reason.
      -- Bounded per peer by the receiver; the counts live on in the peer's status.
      CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        peer TEXT NOT NULL,
        origin TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        header BLOB NOT NULL,
        signature BLOB NOT NULL,
        payload BLOB NOT NULL,
        received_at INTEGER NOT NULL
      );
      CREATE INDEX quarantine_by_peer ON quarantine (peer, id);

      -- Origins this node stopped accepting, with the evidence (for a fork: both signed headers).
      CREATE TABLE halts (
        origin INTEGER PRIMARY KEY,
        reason TEXT NOT NULL,
        since INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        header_a BLOB,
        signature_a BLOB,
        header_b BLOB,
        signature_b BLOB,
        via TEXT NOT NULL DEFAULT ''
      );
    `,
  },
  {
    version: 3,
    description: 'sightings: what member labs report about indicators',
    sql: `
      -- The latest sighting of each reporting lab (an origin) about each indicator. The
      -- indicator's origin is kept as its public key, not as an origins row: a sighting may
      -- arrive before the indicator, or name an origin this node does not follow.
      CREATE TABLE sightings (
        indicator_id BLOB NOT NULL,
        indicator_origin BLOB NOT NULL,
        reporter INTEGER NOT NULL,
        type INTEGER NOT NULL,
        observed_at INTEGER NOT NULL,
        entry INTEGER NOT NULL,
        PRIMARY KEY (indicator_id, indicator_origin, reporter)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    description: 'lookup keys in two tables: a merged one and a small one of recent additions',
    sql: `
      -- The lookup index, moved out of the indicators table into two tables of (lookup_key, id,
      -- origin), in the manner of a two-level LSM tree. New keys go into the small
      -- lookup_keys_new, whose few pages stay cached and are all a commit dirties; the node
      -- merges it into lookup_keys in key order once it grows, so each page of the big table is
      -- rewritten once per merge instead of once per commit that lands a key on it. A lookup
      -- probes both. A row exists in exactly one of them for every indicator in the view.
      CREATE TABLE lookup_keys (
        lookup_key INTEGER NOT NULL,
        id BLOB NOT NULL,
        origin INTEGER NOT NULL,
        PRIMARY KEY (lookup_key, id, origin)
      ) WITHOUT ROWID;
      CREATE TABLE lookup_keys_new (
        lookup_key INTEGER NOT NULL,
        id BLOB NOT NULL,
        origin INTEGER NOT NULL,
        PRIMARY KEY (lookup_key, id, origin)
      ) WITHOUT ROWID;
      INSERT INTO lookup_keys (lookup_key, id, origin) SELECT lookup_key, id, origin FROM indicators ORDER BY lookup_key, id, origin;
      DROP INDEX indicators_by_lookup_key;
    `,
  },
  {
    version: 5,
    description: 'the merged lookup index carries what a match returns, so match lookups read it alone',
    sql: `
      -- Each merged lookup index row carries the indicator's kind, value and match fields,
      -- copied from its indicators row and kept equal to it. A match lookup (what gateways send,
      -- in batches of thousands) then reads one row in key order per hit instead of also probing
      -- the indicators table at a random id: a random B-tree probe is most of a hit's cost at 1M
      -- indicators. Recent rows keep only their key: every commit rewrites the pages of
      -- lookup_keys_new it touches, so wider rows there would cost every write. Rebuilt whole
      -- from the indicators table, so every key starts merged.
      DROP TABLE lookup_keys;
      DELETE FROM lookup_keys_new;
      CREATE TABLE lookup_keys (
        lookup_key INTEGER NOT NULL,
        id BLOB NOT NULL,
        origin INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        value TEXT NOT NULL,
        version INTEGER NOT NULL,
        action INTEGER NOT NULL,
        confidence INTEGER NOT NULL,
        valid_until INTEGER NOT NULL,
        retract_reason INTEGER NOT NULL,
        PRIMARY KEY (lookup_key, id, origin)
      ) WITHOUT ROWID;
      INSERT INTO lookup_keys (lookup_key, id, origin, kind, value, version, action, confidence, valid_until, retract_reason)
        SELECT lookup_key, id, origin, kind, value, version, action, confidence, valid_until, retract_reason
        FROM indicators ORDER BY lookup_key, id, origin;
    `,
  },
  {
    version: 6,
    description: 'recent lookup keys in an append-only table, indexed in memory by each reader',
    sql: `
      -- Recent lookup keys in arrival order, with no index: a new key is a row at the end of the
      -- table, so a commit dirties its last page or two whatever the keys, where the key-ordered
      -- lookup_keys_new took a random page per new key (about half of a catch-up's time at 1M
      -- stored). Readers index these rows in memory; a merge moves them into lookup_keys and
      -- deletes them, always the oldest first, so the rows left are those after some seq. A
      -- merge leaves the newest row it moved (merged again by the next one, harmlessly): the
      -- table is never emptied, so a new row's seq (max + 1) is never one a reader saw already.
      -- (AUTOINCREMENT would say the same at about a third more per insert.)
      CREATE TABLE lookup_recent (
        seq INTEGER PRIMARY KEY,
        lookup_key INTEGER NOT NULL,
        id BLOB NOT NULL,
        origin INTEGER NOT NULL
      );
      INSERT INTO lookup_recent (lookup_key, id, origin) SELECT lookup_key, id, origin FROM lookup_keys_new;
      DROP TABLE lookup_keys_new;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
