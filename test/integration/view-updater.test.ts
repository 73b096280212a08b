/**
 * The indicator view as relayed entries update it (server/sync/view-updater.ts), on a real
 * SQLite file: a version replaces the held one only when newer, whether it is a first version
 * (stored by one insert-if-new statement) or a later one, and lookups follow.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndicatorStore } from '../../server/db/indicator-store.js';
import { SightingStore } from '../../server/db/sighting-store.js';
import { lookupKey } from '../../server/indicators/lookup-key.js';
import { ViewUpdater } from '../../server/sync/view-updater.js';
import { PayloadType } from '../../shared/gen/dtx/v1/log_pb.js';
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

/** Applies version `version` of indicator 1 with `value`, as origin 1's entry; the indicators it added. */
const apply = (version: number, value: string) => view.apply(1, ++entry, PayloadType.INDICATOR, writeIndicatorPayload(idOf(1), version, { ...BODY, value }));

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
});
