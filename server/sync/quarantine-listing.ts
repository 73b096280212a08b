/**
 * ListQuarantine: the entries peers sent that this node did not apply, newest first, with the
 * filters checked and mapped onto the quarantine table. Shared by the admin API and by
 * `dtx quarantine --data DIR` on a stopped node, so both answer alike.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { DtxError } from '../../shared/errors.js';
import type { ListQuarantineRequest, ListQuarantineResponseSchema } from '../../shared/gen/dtx/v1/peer_service_pb.js';
import { publicKeyFromNodeId } from '../../shared/node-id.js';
import type { QuarantineFilter, QuarantineStore } from '../db/quarantine-store.js';

export const DEFAULT_QUARANTINE_LIMIT = 50;
export const MAX_QUARANTINE_LIMIT = 1000;

/** Reason codes are DTX error codes: upper case and underscores. */
const REASON = /^[A-Z][A-Z0-9_]{0,63}$/;

function invalid(field: string, message: string): DtxError {
  return new DtxError('INVALID_ARGUMENT', `${field}: ${message}`, { details: { field } });
}

export function quarantineFilter(request: Pick<ListQuarantineRequest, 'peer' | 'origin' | 'reason' | 'beforeId'>): QuarantineFilter {
  const filter: QuarantineFilter = {};
  if (request.peer !== '') {
    publicKeyFromNodeId(request.peer, 'peer');
    filter.peer = request.peer;
  }
  if (request.origin !== '') {
    publicKeyFromNodeId(request.origin, 'origin');
    filter.origin = request.origin;
  }
  if (request.reason !== '') {
    if (!REASON.test(request.reason)) throw invalid('reason', `expected a reason code such as BAD_SIGNATURE or CHAIN_BROKEN, got "${request.reason.slice(0, 80)}"`);
    filter.reason = request.reason;
  }
  if (request.beforeId > 0n) {
    if (request.beforeId > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('before_id', 'out of range');
    filter.beforeId = Number(request.beforeId);
  }
  return filter;
}

export function listQuarantine(store: QuarantineStore, request: ListQuarantineRequest): MessageInitShape<typeof ListQuarantineResponseSchema> {
  if (request.limit > MAX_QUARANTINE_LIMIT) throw invalid('limit', `at most ${MAX_QUARANTINE_LIMIT} entries a page (use before_id for the next page), got ${request.limit}`);
  const { rows, total } = store.list(quarantineFilter(request), request.limit === 0 ? DEFAULT_QUARANTINE_LIMIT : request.limit);
  return {
    entries: rows.map((r) => ({
      id: BigInt(r.id),
      peer: r.peer,
      origin: r.origin,
      epoch: r.epoch,
      seq: BigInt(r.seq),
      reason: r.reason,
      detail: r.detail,
      receivedAtMs: BigInt(r.receivedAt),
      entry: { header: r.header, signature: r.signature, payload: r.payload },
    })),
    total: BigInt(total),
  };
}
