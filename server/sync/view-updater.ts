/**
 * The indicator view follows every stored entry of every origin: a new indicator or version
 * supersedes the stored one of the same (id, origin) only if it is newer, a retraction drops the
 * indicator out of lookups, a sighting replaces its reporter's earlier one of the same
 * indicator. Runs inside the applier's transaction; first versions are stored together.
 */
import { PayloadType } from '../../shared/gen/dtx/v1/log_pb.js';
import type { IndicatorViewFields } from '../../shared/log/indicator-payload-reader.js';
import type { Logger } from '../../shared/logger.js';
import type { IndicatorStore, NewIndicatorRow } from '../db/indicator-store.js';
import type { SightingStore } from '../db/sighting-store.js';
import { decodeRetractionPayload, decodeSightingPayload, indicatorRowFromPayload } from '../indicators/mapping.js';

/** First versions waiting at most this many before they are stored together. */
const MAX_PENDING = 512;

export class ViewUpdater {
  /**
   * First versions not stored yet: stored together (IndicatorStore.putManyIfNew), sixteen rows
   * per statement, before anything else reads or changes the view, and at the end of each run.
   */
  private pending: NewIndicatorRow[] = [];

  constructor(
    private readonly indicators: IndicatorStore,
    private readonly sightings: SightingStore,
    private readonly logger: Logger,
  ) {}

  /**
   * Updates the view for one stored entry; returns how many new indicators that made (its own,
   * or those of first versions it stored with it). Call flush() before the transaction ends.
   */
  apply(origin: number, rowid: number, payloadType: number, payload: Uint8Array, decoded?: IndicatorViewFields): number {
    let added = 0;
    try {
      if (payloadType === PayloadType.INDICATOR) {
        const row = indicatorRowFromPayload(origin, rowid, decoded ?? payload);
        if (!row) return 0;
        // A first version is newer than nothing, and no newer than any version held.
        if (row.version <= 1) {
          this.pending.push(row);
          return this.pending.length >= MAX_PENDING ? this.flush() : 0;
        }
        added = this.flush();
        const existing = this.indicators.key(row.id, origin);
        if (existing && existing.version >= row.version) return added;
        this.indicators.put(row, existing);
        return added + (existing ? 0 : 1);
      }
      added = this.flush();
      if (payloadType === PayloadType.RETRACTION) {
        const r = decodeRetractionPayload(payload);
        this.indicators.markRetracted(r.indicatorId, origin, r.reason, rowid);
      }
      if (payloadType === PayloadType.SIGHTING) {
        // Stored whether or not the indicator is here yet: its origin's log may arrive later.
        const s = decodeSightingPayload(payload);
        this.sightings.put({ indicatorId: s.indicatorId, indicatorOrigin: s.indicatorOrigin, reporter: origin, type: s.type, observedAtMs: s.observedMs, entry: rowid });
      }
    } catch (err) {
      // Signed by a trusted origin but unreadable here (a newer format): kept in the log, not indexed.
      this.logger.warn({ err, origin, rowid }, 'stored an entry this node cannot index');
    }
    return added;
  }

  /** Stores the first versions waiting; returns how many were new. */
  flush(): number {
    if (this.pending.length === 0) return 0;
    const rows = this.pending;
    this.pending = [];
    try {
      return this.indicators.putManyIfNew(rows);
    } catch (err) {
      // Nothing of them was stored: one by one, so that only a row that fails is left out.
      this.logger.warn({ err, rows: rows.length }, 'storing first versions together failed; storing them one by one');
      let added = 0;
      for (const row of rows) {
        try {
          added += this.indicators.putManyIfNew([row]);
        } catch (rowErr) {
          this.logger.warn({ err: rowErr, origin: row.origin, rowid: row.entry }, 'stored an entry this node cannot index');
        }
      }
      return added;
    }
  }
}
