/**
 * A LookupIndicators answer as encoded bytes, in either view: the same function serves a batch
 * on the main thread and each part of one on a reader thread (lookup-readers.ts). Encoded parts
 * of one response concatenate into the whole, since both views are a single repeated field.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { LookupIndicatorsResponseSchema } from '../../shared/gen/dtx/v1/indicator_service_pb.js';
import { writeLookupFullResponse } from '../../shared/wire/indicator-writer.js';
import { writeLookupMatchesResponse } from '../../shared/wire/lookup-writers.js';
import { indicatorMessage } from './mapping.js';
import type { IndicatorQuery, LookupOptions, QueryPart } from './query.js';

/** LOOKUP_VIEW_MATCHES (compact, for gateways) or LOOKUP_VIEW_FULL (whole indicators). */
export type LookupViewName = 'matches' | 'full';

export interface LookupQueryFields {
  kind: string;
  value: string;
}

export function lookupResponse(
  query: IndicatorQuery,
  queries: readonly LookupQueryFields[],
  options: LookupOptions,
  view: LookupViewName,
  part?: QueryPart,
): Uint8Array {
  if (view === 'matches') return writeLookupMatchesResponse(query.lookupMatches(queries, options, part));
  const results = query.lookup(queries, options, part);
  return (
    writeLookupFullResponse(results) ??
    toBinary(
      LookupIndicatorsResponseSchema,
      create(LookupIndicatorsResponseSchema, {
        results: results.map((r) => ({ queryIndex: r.queryIndex, matches: r.matches.map(indicatorMessage) })),
      }),
    )
  );
}
