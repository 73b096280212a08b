import { create } from '@bufbuild/protobuf';
import { DtxError } from '../../../shared/errors.js';
import { IndicatorService, LookupIndicatorsRequestSchema, LookupView, type LookupIndicatorsRequest } from '../../../shared/gen/dtx/v1/indicator_service_pb.js';
import { MalformedRequest } from '../../../shared/rpc/service-definition.js';
import { statusOf } from '../../../shared/rpc/status.js';
import { writeLookupStreamAnswer, writeLookupStreamError } from '../../../shared/wire/lookup-stream-wire.js';
import { writeGetIndicatorResponse } from '../../../shared/wire/indicator-writer.js';
import { encodedQueriesOf } from '../../../shared/wire/lookup-request-reader.js';
import { writePublishResponse } from '../../../shared/wire/publish-writer.js';
import { indicatorMessage } from '../../indicators/mapping.js';
import type { LookupBatch } from '../../indicators/lookup-readers.js';
import type { NodeContext } from '../../context.js';
import type { OpenStreams } from '../open-streams.js';
import { untilAborted, type MethodsOf, type ServiceHandlers, type ServicePolicy } from '../register.js';

type Methods = MethodsOf<typeof IndicatorService>;

export const indicatorPolicy: ServicePolicy<Methods> = {
  publish: ['admin', 'publisher'],
  retractIndicator: ['admin', 'publisher'],
  reportSightings: ['admin', 'publisher'],
  getIndicator: ['admin', 'publisher', 'analyst', 'importer'],
  lookupIndicators: ['admin', 'publisher', 'analyst', 'importer'],
  lookupStream: ['admin', 'publisher', 'analyst', 'importer'],
};

export function indicatorHandlers(node: NodeContext, streams: OpenStreams): ServiceHandlers<Methods> {
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
    lookupIndicators: (request) => lookup(node, request),
    lookupStream: async (requests, context, send) => {
      const open = streams.add();
      try {
        // One at a time, in arrival order: each answer is sent before the next lookup starts.
        for await (const message of untilAborted(requests, open.signal)) {
          if (message instanceof MalformedRequest) {
            // Its id is unknown, so nothing could be answered in its place: the stream ends.
            throw new DtxError('INVALID_ARGUMENT', `request: not a valid ${message.typeName} (${message.reason})`, { details: { field: 'request' } });
          }
          await context.reauthorize();
          let answer: Uint8Array;
          try {
            answer = writeLookupStreamAnswer(message.id, await lookup(node, message.lookup ?? create(LookupIndicatorsRequestSchema)));
          } catch (err) {
            // A bad query fails its lookup, as LookupIndicators would, and the stream goes on.
            if (!(err instanceof DtxError) || err.code === 'INTERNAL') throw err;
            answer = writeLookupStreamError(message.id, statusOf(err));
          }
          await send(answer);
        }
      } finally {
        open.close();
      }
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

function lookup(node: NodeContext, request: LookupIndicatorsRequest): Promise<Uint8Array> {
  const options = { includeRetracted: request.includeRetracted, includeExpired: request.includeExpired };
  return node.lookups.respond(lookupBatch(request), options, request.view === LookupView.MATCHES ? 'matches' : 'full');
}

/** The request's queries: still encoded when the node's own reader decoded the request. */
function lookupBatch(request: LookupIndicatorsRequest): LookupBatch {
  const encoded = encodedQueriesOf(request);
  // Counted from the ranges when there are some: reading request.queries would decode them all.
  return { count: encoded ? encoded.ranges.length / 2 : request.queries.length, queries: () => request.queries, encoded };
}

export { IndicatorService };
