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

/** One instance per database: it remembers whether it wrote any (see `any`). */
export class SightingStore {
  private readonly upsert;
  private readonly selectSummary;
  /**
   * Whether any sighting is stored. Until one is, a lookup of whole indicators skips a query
   * per match (about 8 µs each, 40 ms in a 10,000-pair batch); checking costs one indexed probe
   * at start-up, whatever the table holds. A rolled-back write leaves it true with no row: the
   * queries then find none, which is still right.
   */
  private any: boolean;

  constructor(db: Db) {
    this.upsert = db.prepare(`INSERT INTO sightings (indicator_id, indicator_origin, reporter, type, observed_at, entry) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (indicator_id, indicator_origin, reporter) DO UPDATE SET type = excluded.type, observed_at = excluded.observed_at, entry = excluded.entry`);
    // The types are bound, not spelled in SQL, so the protobuf enum stays their one definition.
    this.selectSummary = db.prepare(`SELECT count(*) FILTER (WHERE type = ?) AS seenBy, count(*) FILTER (WHERE type = ?) AS falsePositiveBy,
      coalesce(max(observed_at) FILTER (WHERE type = ?), 0) AS lastSeenMs
      FROM sightings WHERE indicator_id = ? AND indicator_origin = ?`);
    this.any = db.prepare('SELECT EXISTS (SELECT 1 FROM sightings)').pluck().get() === 1;
  }

  /** A lab's sighting replaces its earlier one of the same indicator (callers apply in log order). */
  put(row: SightingRow): void {
    this.upsert.run(row.indicatorId, row.indicatorOrigin, row.reporter, row.type, row.observedAtMs, row.entry);
    this.any = true;
  }

  summary(indicatorId: Uint8Array, indicatorOrigin: Uint8Array): SightingSummary {
    if (!this.any) return NO_SIGHTINGS;
    const row = this.selectSummary.get(SightingType.SEEN, SightingType.FALSE_POSITIVE, SightingType.SEEN, indicatorId, indicatorOrigin) as SightingSummary;
    return row.seenBy === 0 && row.falsePositiveBy === 0 ? NO_SIGHTINGS : row;
  }
}
