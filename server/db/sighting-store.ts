/**
 * Sightings in the current view: the latest report of each lab (a reporting origin) about each
 * indicator, and their sums per indicator. Indicators are named by id and origin public key.
 */
import { SightingType } from '../../shared/gen/dtx/v1/indicator_pb.js';
import type { Db } from './database.js';

export interface SightingRow {
  indicatorId: Uint8Array;
  /** The indicator origin's 32-byte public key. */
  indicatorOrigin: Uint8Array;
  /** origins.idx of the reporting lab. */
  reporter: number;
  type: number;
  observedAtMs: number;
  entry: number;
}

/** Per indicator: how many labs last reported each type, and when one last saw it. */
export interface SightingSummary {
  seenBy: number;
  falsePositiveBy: number;
  /** 0 when no lab reports it seen. */
  lastSeenMs: number;
}

export const NO_SIGHTINGS: SightingSummary = Object.freeze({ seenBy: 0, falsePositiveBy: 0, lastSeenMs: 0 });

/** A Set key for a 16-byte id: latin1 text of its bytes is the cheapest string to make. */
function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

/** One instance per database: it keeps what it wrote in memory (see `sighted`). */
export class SightingStore {
  private readonly upsert;
  private readonly selectSummary;
  /**
   * Ids of indicators with at least one sighting. Most indicators have none, and a lookup of
   * whole indicators then skips a query per match (about 8 µs each, 40 ms in a 10,000-pair
   * batch). Sightings are few beside indicators, so the set stays small. A rolled-back write
   * leaves an id here with no row: the query then finds none, which is still right.
   */
  private readonly sighted = new Set<string>();

  constructor(db: Db) {
    this.upsert = db.prepare(`INSERT INTO sightings (indicator_id, indicator_origin, reporter, type, observed_at, entry) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (indicator_id, indicator_origin, reporter) DO UPDATE SET type = excluded.type, observed_at = excluded.observed_at, entry = excluded.entry`);
    // The types are bound, not spelled in SQL, so the protobuf enum stays their one definition.
    this.selectSummary = db.prepare(`SELECT count(*) FILTER (WHERE type = ?) AS seenBy, count(*) FILTER (WHERE type = ?) AS falsePositiveBy,
      coalesce(max(observed_at) FILTER (WHERE type = ?), 0) AS lastSeenMs
      FROM sightings WHERE indicator_id = ? AND indicator_origin = ?`);
    for (const id of db.prepare('SELECT DISTINCT indicator_id FROM sightings').pluck().iterate()) this.sighted.add(idKey(id as Buffer));
  }

  /** A lab's sighting replaces its earlier one of the same indicator (callers apply in log order). */
  put(row: SightingRow): void {
    this.upsert.run(row.indicatorId, row.indicatorOrigin, row.reporter, row.type, row.observedAtMs, row.entry);
    this.sighted.add(idKey(row.indicatorId));
  }

  summary(indicatorId: Uint8Array, indicatorOrigin: Uint8Array): SightingSummary {
    if (!this.sighted.has(idKey(indicatorId))) return NO_SIGHTINGS;
    const row = this.selectSummary.get(SightingType.SEEN, SightingType.FALSE_POSITIVE, SightingType.SEEN, indicatorId, indicatorOrigin) as SightingSummary;
    return row.seenBy === 0 && row.falsePositiveBy === 0 ? NO_SIGHTINGS : row;
  }
}
