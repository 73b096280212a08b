/**
 * Reads of the current indicator view: by id, and batched exact lookup of (kind, value) pairs,
 * either as whole indicators or as compact matches for gateways.
 */
import { DtxError, invalidArgument } from '../../shared/errors.js';
import { withPathIndex } from '../../shared/indicator/field-path.js';
import { canonicalValue, kindByName } from '../../shared/indicator/kinds.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { uuidFromHex, uuidFromString } from '../../shared/uuid.js';
import { sortedByLookupKey, type IndicatorEntryRow, type IndicatorStore, type LookupKeyQuery } from '../db/indicator-store.js';
import type { LogStore } from '../db/log-store.js';
import type { SightingStore, SightingSummary } from '../db/sighting-store.js';
import type { IndicatorFields, IndicatorResultFields } from '../../shared/wire/indicator-writer.js';
import type { LookupMatchFields } from '../../shared/wire/lookup-writers.js';
import { lookupKey } from './lookup-key.js';
import { indicatorFromRow } from './mapping.js';

export const MAX_LOOKUP_QUERIES = 100_000;

export interface LookupOptions {
  includeRetracted: boolean;
  includeExpired: boolean;
}

/**
 * Where a part of a larger batch sits (server/indicators/lookup-readers.ts): its first query's
 * index in the whole call, which answers and errors carry, and the call's clock reading, so
 * that every part filters expiry at the same instant.
 */
export interface QueryPart {
  offset: number;
  nowMs: number;
}

export interface LookupResult extends IndicatorResultFields {
  matches: IndicatorFields[];
}

export function checkLookupCount(count: number): void {
  if (count > MAX_LOOKUP_QUERIES) throw invalidArgument('queries', `at most ${MAX_LOOKUP_QUERIES} per call`);
}

/** A compact match: exactly what the wire writer for LOOKUP_VIEW_MATCHES takes. */
export type LookupMatch = LookupMatchFields;

interface Origin {
  id: string;
  key: Uint8Array;
  /** What member labs report about one of this origin's indicators, by its id. */
  sightingsOf: (id: Uint8Array) => SightingSummary;
}

export class IndicatorQuery {
  /** Node ids, keys and sighting summaries by local origin number: few origins, many matches. */
  private readonly origins = new Map<number, Origin>();

  constructor(
    private readonly indicators: IndicatorStore,
    private readonly logStore: LogStore,
    private readonly sightings: SightingStore,
    private readonly clock: () => number = Date.now,
  ) {}

  get(idText: string): IndicatorFields {
    const rows = this.indicators.byId(uuidFromString(idText, 'id'));
    if (rows.length === 0) throw new DtxError('NOT_FOUND', `no indicator ${idText}`, { details: { field: 'id' } });
    // Ids are UUIDv7 chosen by their origin; should two origins ever claim one, the first stored wins here.
    return this.whole(rows[0]!);
  }

  /** Whole indicators; only queries with a match appear. */
  lookup(queries: readonly { kind: string; value: string }[], options: LookupOptions, part: QueryPart = this.wholeCall()): LookupResult[] {
    const resolved = this.resolve(queries, part.offset);
    const filter = { ...options, nowMs: part.nowMs };
    const run = () => {
      const results: LookupResult[] = [];
      for (const i of sortedByLookupKey(resolved)) {
        const rows = this.indicators.lookup(resolved[i]!, filter);
        if (rows.length > 0) results.push({ queryIndex: part.offset + i, matches: rows.map((row) => this.whole(row)) });
      }
      return results.sort((a, b) => a.queryIndex - b.queryIndex);
    };
    // One statement is its own snapshot; a batch shares one read transaction.
    return resolved.length === 1 ? run() : this.indicators.snapshot(run);
  }

  /** Compact matches, in query order. */
  lookupMatches(queries: readonly { kind: string; value: string }[], options: LookupOptions, part: QueryPart = this.wholeCall()): LookupMatch[] {
    const resolved = this.resolve(queries, part.offset);
    const filter = { ...options, nowMs: part.nowMs };
    return this.indicators.lookupMatchesMany(resolved, filter).map((row) => ({
      queryIndex: part.offset + row.queryIndex,
      id: uuidFromHex(row.idHex),
      origin: this.originOf(row.origin).id,
      version: row.version,
      action: row.action,
      confidence: row.confidence,
      validUntilMs: row.validUntil,
      retracted: row.retractReason !== 0,
    }));
  }

  /** A whole call: offset 0, and the clock read now. */
  private wholeCall(): QueryPart {
    return { offset: 0, nowMs: this.clock() };
  }

  /** Validates every query before any work is done: a malformed one fails the call. */
  private resolve(queries: readonly { kind: string; value: string }[], offset: number): LookupKeyQuery[] {
    checkLookupCount(queries.length);
    return queries.map((q, i) => {
      const index = offset + i;
      const kind = kindByName(q.kind);
      if (!kind) throw invalidArgument(`queries[${index}].kind`, `unknown kind "${q.kind}"`, { index: String(index) });
      try {
        const value = canonicalValue(kind, q.value, `queries[${index}].value`);
        return { kind: kind.code, value, lookupKey: lookupKey(kind.code, value) };
      } catch (err) {
        throw withPathIndex(err, `queries[${index}]`);
      }
    });
  }

  /** An indicator with its signed payload and the sightings member labs report about it. */
  private whole(row: IndicatorEntryRow): IndicatorFields {
    const origin = this.originOf(row.origin);
    return indicatorFromRow(row, origin.id, origin.sightingsOf);
  }

  private originOf(idx: number): Origin {
    let origin = this.origins.get(idx);
    if (!origin) {
      const key = this.logStore.originKey(idx);
      // One summary function per origin, not a closure per matched row.
      origin = { id: nodeIdFromPublicKey(key), key, sightingsOf: (id) => this.sightings.summary(id, key) };
      this.origins.set(idx, origin);
    }
    return origin;
  }
}
