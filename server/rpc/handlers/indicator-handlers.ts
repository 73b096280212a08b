import { IndicatorService, LookupView, type LookupIndicatorsRequest } from '../../../shared/gen/dtx/v1/indicator_service_pb.js';
import { writeGetIndicatorResponse } from '../../../shared/wire/indicator-writer.js';
import { encodedQueriesOf } from '../../../shared/wire/lookup-request-reader.js';
import { writePublishResponse } from '../../../shared/wire/publish-writer.js';
import { indicatorMessage } from '../../indicators/mapping.js';
import type { LookupBatch } from '../../indicators/lookup-readers.js';
import type { NodeContext } from '../../context.js';
import type { MethodsOf, ServiceHandlers, ServicePolicy } from '../register.js';

type Methods = MethodsOf<typeof IndicatorService>;

export const indicatorPolicy: ServicePolicy<Methods> = {
  publish: ['admin', 'publisher'],
  retractIndicator: ['admin', 'publisher'],
  reportSightings: ['admin', 'publisher'],
  getIndicator: ['admin', 'publisher', 'analyst', 'importer'],
  lookupIndicators: ['admin', 'publisher', 'analyst', 'importer'],
};

export function indicatorHandlers(node: NodeContext): ServiceHandlers<Methods> {
  return {
    publish: async (request) => {
      const items = await node.publisher.publish(request.items);
      node.logger.debug({ count: items.length }, 'published');
      return writePublishResponse(items);
    },
    getIndicator: (request) => {
      const indicator = node.query.get(request.id);
      return writeGetIndicatorResponse(indicator) ?? { indicator: indicatorMessage(indicator) };
    },
    lookupIndicators: (request) => {
      const options = { includeRetracted: request.includeRetracted, includeExpired: request.includeExpired };
      return node.lookups.respond(lookupBatch(request), options, request.view === LookupView.MATCHES ? 'matches' : 'full');
    },
    retractIndicator: async (request) => {
      const { seq } = await node.publisher.retract(request.id, request.reason, request.comment);
      node.logger.info({ seq }, 'indicator retracted');
      return { seq: BigInt(seq) };
    },
    reportSightings: async (request) => {
      const seqs = await node.sightings.report(request.items);
      node.logger.debug({ count: seqs.length }, 'sightings reported');
      return { seqs: seqs.map(BigInt) };
    },
  };
}

/** The request's queries: still encoded when the node's own reader decoded the request. */
function lookupBatch(request: LookupIndicatorsRequest): LookupBatch {
  const encoded = encodedQueriesOf(request);
  // Counted from the ranges when there are some: reading request.queries would decode them all.
  return { count: encoded ? encoded.ranges.length / 2 : request.queries.length, queries: () => request.queries, encoded };
}

export { IndicatorService };
