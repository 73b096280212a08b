/**
 * The indicator view as relayed entries update it (server/sync/view-updater.ts), on a real
 * SQLite file: a version replaces the held one only when newer, whether it is a first version
 * (stored together with the first versions around it) or a later one, and lookups follow.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndicatorStore } from '../../server/db/indicator-store.js';
import { SightingStore } from '../../server/db/sighting-store.js';
import { lookupKey } from '../../server/indicators/lookup-key.js';
import { ViewUpdater } from '../../server/sync/view-updater.js';
import { create, toBinary } from '@bufbuild/protobuf';
import { PayloadType, RetractionPayloadSchema } from '../../shared/gen/dtx/v1/log_pb.js';
import { writeIndicatorPayload } from '../../shared/log/indicator-payload-writer.js';
import { silentLogger } from '../../shared/logger.js';
import { idOf, ViewRows } from '../_util/view-rows.js';


let rows: ViewRows;
let store: IndicatorStore;
let view: ViewUpdater;
let entry = 0;

beforeEach(() => {
  rows = new ViewRows();
  store = new IndicatorStore(rows.db);
  view = new ViewUpdater(store, new SightingStore(rows.db), silentLogger());
});

afterEach(() => rows.close());

const BODY = {
  kind: 'network.ip',
  tlp: 1,
  confidence: 50,
  action: 1,
  validFromMs: 0,
  validUntilMs: 9e12,
  tags: [],
  campaign: '',
  techniques: [],
  description: '',
  normalizer: '',
  keyEpoch: 0,
  maxDistance: 0,
};

/** Version `version` of indicator n with `value`, as origin 1's next entry, applied; the indicators it added. */
const applyOf = (n: number, version: number, value: string) => view.apply(1, ++entry, PayloadType.INDICATOR, writeIndicatorPayload(idOf(n), version, { ...BODY, value }));

/** The same for indicator 1, flushed at once (a run of one entry). */
const apply = (version: number, value: string) => applyOf(1, version, value) + view.flush();

/** Versions held under each value, from the view's lookups. */
function versionsOf(...values: string[]): number[][] {
  return values.map((value) => {
    const q = { kind: 8, value, lookupKey: lookupKey(8, value) };
    return store.lookupMatchesMany([q], { includeRetracted: true, includeExpired: true, nowMs: 0 }).map((m) => m.version);
  });
}

describe('view updates from relayed entries', () => {
  it('keeps the first of two first versions, takes a newer one, ignores an older one', () => {
    expect(store.key(idOf(1), 1)).toBeUndefined();
    expect(apply(1, '198.51.100.1')).toBe(1);
    // A second first version (an origin reusing an id) changes nothing.
    expect(apply(1, '198.51.100.2')).toBe(0);
    expect(versionsOf('198.51.100.1', '198.51.100.2')).toEqual([[1], []]);
    expect(apply(3, '198.51.100.3')).toBe(0);
    expect(versionsOf('198.51.100.1', '198.51.100.3')).toEqual([[], [3]]);
    // Older versions arriving later, a first one too, leave the newest in place.
    expect(apply(2, '198.51.100.4')).toBe(0);
    expect(apply(1, '198.51.100.5')).toBe(0);
    expect(versionsOf('198.51.100.3', '198.51.100.4', '198.51.100.5')).toEqual([[3], [], []]);
    expect(store.key(idOf(1), 1)).toMatchObject({ version: 3, lookupKey: lookupKey(8, '198.51.100.3') });
  });

  it('stores a run of first versions together, in order with the versions and retractions among them', () => {
    // One run as the applier hands it over: 600 first versions (past the 512 that are stored
    // at once), among them a second first version of indicator 5 (kept out), a version 2 of
    // indicator 7 and a retraction of indicator 9 (both need the first versions before them).
    let added = 0;
    for (let n = 0; n < 600; n++) {
      added += applyOf(n, 1, `198.51.${n >> 8}.${n & 255}`);
      if (n === 10) added += applyOf(5, 1, '203.0.113.5');
      if (n === 20) added += applyOf(7, 2, '203.0.113.7');
      if (n === 30) {
        const retraction = toBinary(RetractionPayloadSchema, create(RetractionPayloadSchema, { indicatorId: idOf(9), reason: 2 }));
        added += view.apply(1, ++entry, PayloadType.RETRACTION, retraction);
      }
    }
    added += view.flush();
    expect(added).toBe(600);
    expect(versionsOf('198.51.0.5', '203.0.113.5', '198.51.0.7', '203.0.113.7', '198.51.2.87')).toEqual([[1], [], [], [2], [1]]);
    expect(store.key(idOf(9), 1)).toMatchObject({ version: 1, retractReason: 2 });
    const q = (value: string) => ({ kind: 8, value, lookupKey: lookupKey(8, value) });
    expect(store.lookupMatchesMany([q('198.51.0.9')], { includeRetracted: false, includeExpired: true, nowMs: 0 })).toEqual([]);
  });
});
