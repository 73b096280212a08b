/**
 * The indicator view follows every stored entry of every origin: a new indicator or version
 * supersedes the stored one of the same (id, origin) only if it is newer, a retraction drops the
 * indicator out of lookups, a sighting replaces its reporter's earlier one of the same
 * indicator. Runs inside the applier's transaction.
 */
import { PayloadType } from '../../shared/gen/dtx/v1/log_pb.js';
import type { IndicatorPayloadFields } from '../../shared/log/indicator-payload-writer.js';
import type { Logger } from '../../shared/logger.js';
import type { IndicatorStore } from '../db/indicator-store.js';
import type { SightingStore } from '../db/sighting-store.js';
import { decodeRetractionPayload, decodeSightingPayload, indicatorRowFromPayload } from '../indicators/mapping.js';

export class ViewUpdater {
  constructor(
    private readonly indicators: IndicatorStore,
    private readonly sightings: SightingStore,
    private readonly logger: Logger,
  ) {}

  /** Updates the view for one stored entry; returns how many new indicators it adds (0 or 1). */
  apply(origin: number, rowid: number, payloadType: number, payload: Uint8Array, decoded?: IndicatorPayloadFields): number {
    try {
      if (payloadType === PayloadType.INDICATOR) {
        const row = indicatorRowFromPayload(origin, rowid, decoded ?? payload);
        if (!row) return 0;
        // A first version is newer than nothing, and no newer than any version held.
        if (row.version <= 1) return this.indicators.putIfNew(row) ? 1 : 0;
        const existing = this.indicators.key(row.id, origin);
        if (existing && existing.version >= row.version) return 0;
        this.indicators.put(row, existing);
        return existing ? 0 : 1;
      }
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
    return 0;
  }
}
