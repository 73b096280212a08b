/**
 * Sightings reported into this node's own log: "seen here too" or "a false positive here",
 * about any origin's indicator that this node holds. Validated as a whole batch before anything
 * is signed, like a publish; one bad item stores nothing.
 */
import { SightingType } from '../../shared/gen/dtx/v1/indicator_pb.js';
import type { SightingInput } from '../../shared/gen/dtx/v1/indicator_service_pb.js';
import { PayloadType } from '../../shared/gen/dtx/v1/log_pb.js';
import { toHex } from '../../shared/encoding/hex.js';
import { DtxError, invalidArgument } from '../../shared/errors.js';
import { checkBatchSize, withPathIndex } from '../../shared/indicator/field-path.js';
import { timestampField } from '../../shared/indicator/field-rules.js';
import { nodeIdFromPublicKey, publicKeyFromNodeId } from '../../shared/node-id.js';
import { uuidFromString } from '../../shared/uuid.js';
import type { IndicatorStore } from '../db/indicator-store.js';
import type { LogStore } from '../db/log-store.js';
import type { SightingStore } from '../db/sighting-store.js';
import type { Sequencer } from '../log/sequencer.js';
import { encodeSightingPayload, type SightingFields } from './mapping.js';

export const MAX_SIGHTING_COMMENT = 1024;
/** Clock skew allowed between a lab's observation and this node. */
export const MAX_SIGHTING_FUTURE_MS = 5 * 60_000;

export class SightingReporter {
  constructor(
    private readonly sequencer: Sequencer,
    private readonly indicators: IndicatorStore,
    private readonly logStore: LogStore,
    private readonly sightings: SightingStore,
    private readonly maxBatch: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Returns the log position of each sighting, in request order. */
  async report(inputs: readonly SightingInput[]): Promise<number[]> {
    checkBatchSize(inputs.length, this.maxBatch);
    const now = this.clock();
    const named = new Set<string>();
    const prepared = inputs.map((input, index) => {
      const path = `items[${index}]`;
      let sighting: SightingFields;
      try {
        sighting = this.check(input, path, now);
      } catch (err) {
        throw withPathIndex(err, path);
      }
      // Two reports of one indicator in a batch: only the last would count, which is surely not meant.
      const key = toHex(sighting.indicatorId) + toHex(sighting.indicatorOrigin);
      if (named.has(key)) throw invalidArgument(`${path}.id`, 'the same indicator appears twice in this batch', { index: String(index) });
      named.add(key);
      return sighting;
    });
    const reporter = this.sequencer.originIdx;
    const appended = await this.sequencer.append(
      prepared.map((s) => ({ payloadType: PayloadType.SIGHTING, payload: encodeSightingPayload(s) })),
      {
        apply: (i, entry) => {
          const s = prepared[i]!;
          this.sightings.put({ indicatorId: s.indicatorId, indicatorOrigin: s.indicatorOrigin, reporter, type: s.type, observedAtMs: s.observedMs, entry: entry.rowid });
        },
      },
    );
    return appended.map((entry) => entry.seq);
  }

  private check(input: SightingInput, path: string, now: number): SightingFields {
    const indicatorId = uuidFromString(input.id, `${path}.id`);
    if (input.type !== SightingType.SEEN && input.type !== SightingType.FALSE_POSITIVE) {
      throw invalidArgument(`${path}.type`, 'a type is required: seen or false_positive');
    }
    if (input.comment.length > MAX_SIGHTING_COMMENT) throw invalidArgument(`${path}.comment`, `at most ${MAX_SIGHTING_COMMENT} characters`);
    const observedMs = timestampField(input.observedAt, `${path}.observed_at`) ?? now;
    if (observedMs < 0) throw invalidArgument(`${path}.observed_at`, 'must not be before 1970');
    if (observedMs > now + MAX_SIGHTING_FUTURE_MS) throw invalidArgument(`${path}.observed_at`, 'must not be more than 5 minutes in the future');
    const indicatorOrigin = this.originOf(indicatorId, input.id, input.origin, path);
    return { indicatorId, indicatorOrigin, type: input.type, observedMs, comment: input.comment };
  }

  /** The public key of the indicator's origin: as named, or the one origin holding the id here. */
  private originOf(id: Uint8Array, idText: string, originText: string, path: string): Uint8Array {
    const field = `${path}.origin`;
    const holders = this.indicators.originsOf(id);
    if (originText !== '') {
      const key = publicKeyFromNodeId(originText, field);
      const idx = this.logStore.originByKey(key)?.idx;
      if (idx === undefined || !holders.includes(idx)) {
        throw new DtxError('NOT_FOUND', `${path}.id: this node holds no indicator ${idText} from ${originText}`, { details: { field: `${path}.id` } });
      }
      return key;
    }
    if (holders.length === 0) throw new DtxError('NOT_FOUND', `${path}.id: this node holds no indicator ${idText}`, { details: { field: `${path}.id` } });
    if (holders.length > 1) {
      const ids = holders.map((idx) => nodeIdFromPublicKey(this.logStore.originKey(idx)));
      throw invalidArgument(field, `${holders.length} origins published an indicator with id ${idText} (${ids.join(', ')}); name one`);
    }
    return this.logStore.originKey(holders[0]!);
  }
}
