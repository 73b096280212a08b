import { equals } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { Action, IndicatorInputSchema, Tlp } from '../../../shared/gen/dtx/v1/indicator_pb.js';
import { DAY_MS } from '../../../shared/indicator/duration.js';
import { parseIndicatorJson } from '../../../shared/indicator/input.js';
import { validateIndicatorInput } from '../../../shared/indicator/validate.js';
import { expectInvalid } from './expect-invalid.js';
import { HASH, NOW } from './indicator-input.js';

const parse = (obj: unknown, path = '') => parseIndicatorJson(obj, path, NOW);
const bad = (obj: unknown, field: string, path = '') => expectInvalid(() => parse(obj, path), field);
const base = { kind: 'account.email', value: HASH, tlp: 'amber', normalizer: 'email-v1', keyEpoch: 1 };
const T = Date.UTC(2026, 1, 20, 8, 30, 0);

describe('parseIndicatorJson', () => {
  it('reads a minimal object, leaving optional fields unset', () => {
    const msg = parse({ kind: 'network.ip', value: '192.0.2.1', tlp: 'green' });
    expect(msg).toMatchObject({ id: '', kind: 'network.ip', value: '192.0.2.1', tlp: Tlp.GREEN, action: Action.UNSPECIFIED });
    expect(msg.confidence).toBeUndefined();
    expect(msg.maxDistance).toBeUndefined();
    expect(msg.validFrom).toBeUndefined();
    expect(msg.validUntil).toBeUndefined();
    expect(msg.tags).toEqual([]);
  });

  it('reads every key, camelCase and snake_case alike', () => {
    const common = {
      id: 'ind-1',
      kind: 'prompt.simhash',
      value: '0123456789abcdef',
      tlp: 'TLP:AMBER+STRICT',
      confidence: 85,
      action: 'Challenge',
      tags: ['hydra', 'cot'],
      campaign: 'c7',
      techniques: 'AML.T0024.002, AML.T0040',
      description: 'd',
      normalizer: 'norm-v1',
    };
    const camel = parse({ ...common, validFrom: T, validUntil: '2026-03-20T08:30:00Z', keyEpoch: 3, maxDistance: 2 });
    const snake = parse({ ...common, valid_from: T, valid_until: '2026-03-20T08:30:00Z', key_epoch: 3, max_distance: 2 });
    expect(equals(IndicatorInputSchema, camel, snake)).toBe(true);
    expect(camel).toMatchObject({
      id: 'ind-1',
      tlp: Tlp.AMBER_STRICT,
      confidence: 85,
      action: Action.CHALLENGE,
      tags: ['hydra', 'cot'],
      techniques: ['AML.T0024.002', 'AML.T0040'],
      keyEpoch: 3,
      maxDistance: 2,
    });
    expect(timestampMs(camel.validFrom!)).toBe(T);
    expect(timestampMs(camel.validUntil!)).toBe(Date.UTC(2026, 2, 20, 8, 30, 0));
  });

  it('accepts digit strings for integers (CLI flags are text)', () => {
    expect(parse({ ...base, confidence: '80', keyEpoch: '2', maxDistance: '0' })).toMatchObject({ confidence: 80, keyEpoch: 2, maxDistance: 0 });
  });

  it('treats null as absent', () => {
    const msg = parse({ ...base, confidence: null, validUntil: null, tags: null });
    expect(msg.confidence).toBeUndefined();
    expect(msg.validUntil).toBeUndefined();
  });

  describe('times', () => {
    it.each([
      ['2026-02-20T08:30:00Z', T],
      ['2026-02-20T08:30:00.250Z', T + 250],
      ['2026-02-20T08:30:00.123456789Z', T + 123],
      ['2026-02-20t08:30z', T],
      ['2026-02-20 08:30:00Z', T],
      ['2026-02-20T10:30:00+02:00', T],
      ['2026-02-20T03:00:00-05:30', T],
      ['2026-02-20', Date.UTC(2026, 1, 20)],
      ['2024-02-29', Date.UTC(2024, 1, 29)],
      [T, T],
      [0, 0],
    ])('reads %j', (value, ms) => {
      expect(timestampMs(parse({ ...base, validFrom: value }).validFrom!)).toBe(ms);
    });

    it.each(['2026-02-30', '2025-02-29', '2026-13-01', '2026-02-20T24:00:00Z', '2026-02-20T08:60:00Z', '2026-02-20T08:30:00', '2026-02-20T08:30:00+2', '20260220', 'yesterday', '', 1.5, Number.MAX_VALUE, true, {}])(
      'rejects %j',
      (value) => {
        bad({ ...base, validUntil: value }, 'validUntil');
        bad({ ...base, valid_from: value }, 'valid_from');
      },
    );
  });

  describe('validFor', () => {
    it('counts from nowMs without validFrom', () => {
      expect(timestampMs(parse({ ...base, validFor: '30d' }).validUntil!)).toBe(NOW + 30 * DAY_MS);
    });

    it('counts from validFrom when given', () => {
      const msg = parse({ ...base, valid_from: T, valid_for: '12h' });
      expect(timestampMs(msg.validUntil!)).toBe(T + 12 * 3_600_000);
    });

    it('conflicts with validUntil', () => {
      bad({ ...base, validUntil: T, validFor: '30d' }, 'validFor');
      bad({ ...base, valid_until: T, valid_for: '30d' }, 'valid_for');
    });

    it('must be a duration string', () => {
      bad({ ...base, validFor: '30 days' }, 'validFor');
      bad({ ...base, validFor: 30 }, 'validFor');
    });
  });

  describe('lists', () => {
    it('reads comma-separated strings, trimming and dropping empty pieces', () => {
      expect(parse({ ...base, tags: ' a, b,,c ,' }).tags).toEqual(['a', 'b', 'c']);
      expect(parse({ ...base, tags: '' }).tags).toEqual([]);
      expect(parse({ ...base, techniques: ['AML.T0040'] }).techniques).toEqual(['AML.T0040']);
    });

    it('names the bad element', () => {
      bad({ ...base, tags: ['a', 7] }, 'tags[1]');
      bad({ ...base, techniques: 5 }, 'techniques');
      bad({ ...base, tags: { a: 1 } }, 'tags');
    });
  });

  describe('errors', () => {
    it.each([null, [], 'text', 42, true])('rejects non-objects: %j', (value) => {
      bad(value, 'indicator');
      expect(bad(value, 'items[4]', 'items[4]').details.index).toBe('4');
    });

    it.each(['vaildUntil', 'valid-until', 'ValidUntil', 'confidance', 'type', '__proto__x', 'validfrom'])('rejects unknown key %s', (key) => {
      bad({ ...base, [key]: 1 }, key);
    });

    it('names unknown keys under the path, with the index', () => {
      const err = bad({ ...base, severity: 'high' }, 'items[7].severity', 'items[7]');
      expect(err.details.index).toBe('7');
    });

    it('rejects the same key spelled two ways', () => {
      bad({ ...base, keyEpoch: 1, key_epoch: 1 }, 'key_epoch');
    });

    it.each([
      ['id', 5],
      ['kind', 5],
      ['value', 13335],
      ['campaign', ['c']],
      ['description', { text: 'x' }],
      ['normalizer', true],
      ['tlp', 3],
      ['tlp', 'orange'],
      ['action', 'deny'],
      ['action', 1],
      ['confidence', 'high'],
      ['confidence', -1],
      ['confidence', 80.5],
      ['confidence', '8e1'],
      ['keyEpoch', 4294967296],
      ['key_epoch', 1.5],
      ['maxDistance', '-3'],
    ])('rejects %s = %j', (key, value) => {
      const err = bad({ ...base, [key]: value }, `items[0].${key}`, 'items[0]');
      expect(err.details.index).toBe('0');
    });
  });

  it('feeds validateIndicatorInput', () => {
    const n = validateIndicatorInput(
      parse({ ...base, value: HASH.toUpperCase(), confidence: 90, tags: 'Hydra,hydra', validFor: '7d' }),
      NOW,
    );
    expect(n).toMatchObject({ value: HASH, action: Action.BLOCK, tags: ['hydra'], validFromMs: NOW, validUntilMs: NOW + 7 * DAY_MS });
  });
});
