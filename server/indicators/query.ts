/**
 * Reads of the current indicator view: by id, and batched exact lookup of (kind, value) pairs.
 */
import type { Indicator } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { DtxError, invalidArgument } from '../../shared/errors.js';
import { withPathIndex } from '../../shared/indicator/field-path.js';
import { canonicalValue, kindByName } from '../../shared/indicator/kinds.js';
import { uuidFromString } from '../../shared/uuid.js';
import type { IndicatorStore } from '../db/indicator-store.js';
import { indicatorFromRow } from './mapping.js';

export const MAX_LOOKUP_QUERIES = 100_000;

export interface LookupOptions {
  includeRetracted: boolean;
  includeExpired: boolean;
}

export interface LookupMatch {
  queryIndex: number;
  matches: Indicator[];
}

export class IndicatorQuery {
  constructor(
    private readonly indicators: IndicatorStore,
    private readonly clock: () => number = Date.now,
  ) {}

  get(idText: string): Indicator {
    const rows = this.indicators.byId(uuidFromString(idText, 'id'));
    if (rows.length === 0) throw new DtxError('NOT_FOUND', `no indicator ${idText}`, { details: { field: 'id' } });
    // Ids are UUIDv7 chosen by their origin; should two origins ever claim one, the first stored wins here.
    return indicatorFromRow(rows[0]!);
  }

  lookup(queries: readonly { kind: string; value: string }[], options: LookupOptions): LookupMatch[] {
    if (queries.length > MAX_LOOKUP_QUERIES) throw invalidArgument('queries', `at most ${MAX_LOOKUP_QUERIES} per call`);
    // Validate everything first: a malformed query fails the call before any work is done.
    const resolved = queries.map((q, index) => {
      const kind = kindByName(q.kind);
      if (!kind) throw invalidArgument(`queries[${index}].kind`, `unknown kind "${q.kind}"`, { index: String(index) });
      try {
        return { code: kind.code, value: canonicalValue(kind, q.value, `queries[${index}].value`) };
      } catch (err) {
        throw withPathIndex(err, `queries[${index}]`);
      }
    });
    const filter = { ...options, nowMs: this.clock() };
    const results: LookupMatch[] = [];
    resolved.forEach((q, queryIndex) => {
      const rows = this.indicators.lookup(q.code, q.value, filter);
      if (rows.length > 0) results.push({ queryIndex, matches: rows.map(indicatorFromRow) });
    });
    return results;
  }
}
