import { IndicatorService, LookupView } from '../../../shared/gen/dtx/v1/indicator_service_pb.js';
import { writeGetIndicatorResponse, writeLookupFullResponse } from '../../../shared/wire/indicator-writer.js';
import { writeLookupMatchesResponse } from '../../../shared/wire/lookup-writers.js';
import { writePublishResponse } from '../../../shared/wire/publish-writer.js';
import { indicatorMessage } from '../../indicators/mapping.js';
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
      if (request.view === LookupView.MATCHES) return writeLookupMatchesResponse(node.query.lookupMatches(request.queries, options));
      const results = node.query.lookup(request.queries, options);
      return (
        writeLookupFullResponse(results) ?? {
          results: results.map((r) => ({ queryIndex: r.queryIndex, matches: r.matches.map(indicatorMessage) })),
        }
      );
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

export { IndicatorService };
