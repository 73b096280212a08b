/**
 * Writes to this node's own log: publishing batches of indicators (new or new versions) and
 * retracting them. Everything is validated before anything is signed; a batch is one
 * transaction, so one bad item stores nothing.
 */
import { RetractReason, Tlp, type IndicatorInput } from '../../shared/gen/dtx/v1/indicator_pb.js';
import { PayloadType } from '../../shared/gen/dtx/v1/log_pb.js';
import { DtxError, invalidArgument } from '../../shared/errors.js';
import { checkBatchSize, withPathIndex } from '../../shared/indicator/field-path.js';
import { kindByName } from '../../shared/indicator/kinds.js';
import { validateIndicatorInput, type NormalizedIndicator } from '../../shared/indicator/validate.js';
import { uuidFromString, uuidToString, uuidv7Bytes } from '../../shared/uuid.js';
import type { IndicatorStore } from '../db/indicator-store.js';
import type { Sequencer } from '../log/sequencer.js';
import { lookupKey } from './lookup-key.js';
import { encodeIndicatorPayload, encodeRetractionPayload } from './mapping.js';

export interface PublishedItem {
  id: string;
  version: number;
  seq: number;
}

export const MAX_RETRACT_COMMENT = 1024;

interface Prepared {
  id: Uint8Array;
  version: number;
  kindCode: number;
  lookupKey: number;
  indicator: NormalizedIndicator;
  payload: Uint8Array;
}

export class Publisher {
  constructor(
    private readonly sequencer: Sequencer,
    private readonly indicators: IndicatorStore,
    private readonly maxBatch: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async publish(inputs: readonly IndicatorInput[]): Promise<PublishedItem[]> {
    checkBatchSize(inputs.length, this.maxBatch);
    const now = this.clock();
    const seen = new Set<string>();
    const prepared: Prepared[] = inputs.map((input, index) => {
      const path = `items[${index}]`;
      const indicator = validateIndicatorInput(input, now, path);
      if (indicator.tlp === Tlp.RED) {
        // RED is for named recipients only; in a federated log it would reach every member in
        // clear. Sealing (DESIGN.md section 4) is what makes RED publishable; until then, refuse.
        throw new DtxError('FAILED_PRECONDITION', `${path}.tlp: TLP:RED needs a payload sealed to named recipients, which this version cannot do yet; use AMBER+STRICT or keep it off DTX`, {
          details: { field: `${path}.tlp`, index: String(index) },
        });
      }
      let identified: { id: Uint8Array; version: number };
      try {
        identified = this.identify(input.id, path, index);
      } catch (err) {
        throw withPathIndex(err, path);
      }
      const { id, version } = identified;
      if (version > 1) {
        const key = uuidToString(id);
        if (seen.has(key)) throw invalidArgument(`${path}.id`, 'the same id appears twice in this batch', { index: String(index) });
        seen.add(key);
      }
      const kindCode = kindByName(indicator.kind)!.code;
      return { id, version, kindCode, lookupKey: lookupKey(kindCode, indicator.value), indicator, payload: encodeIndicatorPayload(id, version, indicator) };
    });
    const origin = this.sequencer.originIdx;
    const updates = prepared.filter((p) => p.version > 1);
    const appended = await this.sequencer.append(
      prepared.map((p) => ({ payloadType: PayloadType.INDICATOR, payload: p.payload })),
      {
        // Another call may have versioned or retracted one of these ids while this batch waited its turn.
        check: updates.length === 0 ? undefined : () => {
          for (const p of updates) {
            const current = this.indicators.key(p.id, origin);
            if (!current || current.version !== p.version - 1 || current.retractReason !== 0) {
              throw new DtxError('ABORTED', `indicator ${uuidToString(p.id)} changed while this batch was waiting; retry`);
            }
          }
        },
        apply: (i, entry) => {
          const p = prepared[i]!;
          // A first version has a new id; a later one replaces the row its check read.
          const existing = p.version === 1 ? undefined : this.indicators.key(p.id, origin);
          this.indicators.put({
            id: p.id,
            origin,
            version: p.version,
            entry: entry.rowid,
            lookupKey: p.lookupKey,
            kind: p.kindCode,
            value: p.indicator.value,
            action: p.indicator.action,
            confidence: p.indicator.confidence,
            validUntil: p.indicator.validUntilMs,
          }, existing);
        },
        addedIndicators: prepared.length - updates.length,
      },
    );
    return prepared.map((p, i) => ({ id: uuidToString(p.id), version: p.version, seq: appended[i]!.seq }));
  }

  /** A new id for a new indicator, or the next version of one this node published. */
  private identify(idText: string, path: string, index: number): { id: Uint8Array; version: number } {
    if (idText === '') return { id: uuidv7Bytes(this.clock()), version: 1 };
    const id = uuidFromString(idText, `${path}.id`);
    const existing = this.indicators.key(id, this.sequencer.originIdx);
    if (!existing) {
      throw new DtxError('NOT_FOUND', `${path}.id: no indicator ${idText} published by this node; omit the id to publish a new one`, {
        details: { field: `${path}.id`, index: String(index) },
      });
    }
    if (existing.retractReason !== 0) {
      throw new DtxError('FAILED_PRECONDITION', `${path}.id: indicator ${idText} is retracted; retraction is permanent`, {
        details: { field: `${path}.id`, index: String(index) },
      });
    }
    return { id, version: existing.version + 1 };
  }

  async retract(idText: string, reason: RetractReason, comment: string): Promise<{ seq: number }> {
    const id = uuidFromString(idText, 'id');
    if (!(reason in RetractReason) || reason === RetractReason.UNSPECIFIED) {
      throw invalidArgument('reason', 'a reason is required: false_positive, expired, legal or superseded');
    }
    if (comment.length > MAX_RETRACT_COMMENT) throw invalidArgument('comment', `at most ${MAX_RETRACT_COMMENT} characters`);
    const origin = this.sequencer.originIdx;
    const checkRetractable = () => {
      const existing = this.indicators.key(id, origin);
      if (!existing) throw new DtxError('NOT_FOUND', `no indicator ${idText} published by this node`, { details: { field: 'id' } });
      if (existing.retractReason !== 0) {
        throw new DtxError('FAILED_PRECONDITION', `indicator ${idText} is already retracted`, { details: { field: 'id' } });
      }
    };
    checkRetractable();
    const [entry] = await this.sequencer.append([{ payloadType: PayloadType.RETRACTION, payload: encodeRetractionPayload(id, reason, comment) }], {
      check: checkRetractable,
      apply: (_i, appended) => this.indicators.markRetracted(id, origin, reason, appended.rowid),
    });
    return { seq: entry!.seq };
  }
}
