import { create } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { Action, Tlp } from '../../../shared/gen/dtx/v1/indicator_pb.js';
import { DAY_MS, YEAR_MS } from '../../../shared/indicator/duration.js';
import {
  MAX_CAMPAIGN_LENGTH,
  MAX_DESCRIPTION_LENGTH,
  MAX_FUTURE_START_MS,
  MAX_MAX_DISTANCE,
  MAX_TAGS,
  MAX_TECHNIQUES,
  MAX_VALIDITY_MS,
  validateIndicatorInput,
} from '../../../shared/indicator/validate.js';
import type { IndicatorInput } from '../../../shared/gen/dtx/v1/indicator_pb.js';
import { expectInvalid } from './expect-invalid.js';
import { at, input, ipInput, NOW, type InputInit } from './indicator-input.js';

const ok = (i: IndicatorInput) => validateIndicatorInput(i, NOW);
const bad = (i: IndicatorInput, field: string) => expectInvalid(() => validateIndicatorInput(i, NOW), field);

describe('validateIndicatorInput bounds', () => {
  it('documents the bounds', () => {
    expect([MAX_TAGS, MAX_TECHNIQUES, MAX_CAMPAIGN_LENGTH, MAX_DESCRIPTION_LENGTH, MAX_MAX_DISTANCE]).toEqual([32, 32, 128, 4096, 8]);
    expect(MAX_VALIDITY_MS).toBe(5 * YEAR_MS);
    expect(MAX_FUTURE_START_MS).toBe(DAY_MS);
  });

  it('kind must be a known v1 kind, exactly spelled', () => {
    for (const kind of ['', 'account.mail', 'Account.Email', ' account.email', 'email']) bad(input({ kind }), 'kind');
  });

  it('value follows the kind', () => {
    bad(input({ value: 'not a hash' }), 'value');
    bad(input({ value: '' }), 'value');
    bad(ipInput({ value: '10.1' }), 'value');
  });

  it('tlp is required and must be a known level', () => {
    bad(input({ tlp: Tlp.UNSPECIFIED }), 'tlp');
    bad(input({ tlp: 6 as Tlp }), 'tlp');
    for (const tlp of [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]) expect(ok(input({ tlp })).tlp).toBe(tlp);
  });

  it('confidence is an integer 0..100', () => {
    expect(ok(input({ confidence: 0 })).confidence).toBe(0);
    expect(ok(input({ confidence: 100 })).confidence).toBe(100);
    bad(input({ confidence: 101 }), 'confidence');
    bad(input({ confidence: 50.5 }), 'confidence');
    bad(input({ confidence: -1 }), 'confidence');
  });

  it('action must be a known value', () => {
    bad(input({ action: 5 as Action }), 'action');
    expect(ok(input({ action: Action.REVIEW })).action).toBe(Action.REVIEW);
  });

  describe('validity window', () => {
    it('valid_from may be at most one day ahead', () => {
      expect(ok(input({ validFrom: at(NOW + DAY_MS) })).validFromMs).toBe(NOW + DAY_MS);
      bad(input({ validFrom: at(NOW + DAY_MS + 1) }), 'valid_from');
      expect(ok(input({ validFrom: at(NOW - 3 * YEAR_MS) })).validFromMs).toBe(NOW - 3 * YEAR_MS);
    });

    it('valid_until must be after valid_from', () => {
      bad(input({ validUntil: at(NOW) }), 'valid_until');
      bad(input({ validUntil: at(NOW - 1) }), 'valid_until');
      expect(ok(input({ validUntil: at(NOW + 1) })).validUntilMs).toBe(NOW + 1);
    });

    it('valid_until at most five years after valid_from', () => {
      const from = NOW - DAY_MS;
      expect(ok(input({ validFrom: at(from), validUntil: at(from + 5 * YEAR_MS) })).validUntilMs).toBe(from + 5 * YEAR_MS);
      bad(input({ validFrom: at(from), validUntil: at(from + 5 * YEAR_MS + 1) }), 'valid_until');
    });

    it('rejects timestamps outside the protobuf range', () => {
      bad(input({ validFrom: create(TimestampSchema, { seconds: -62_135_596_801n }) }), 'valid_from');
      bad(input({ validUntil: create(TimestampSchema, { seconds: 253_402_300_800n }) }), 'valid_until');
      bad(input({ validUntil: create(TimestampSchema, { seconds: BigInt(NOW / 1000 + 60), nanos: 1_000_000_000 }) }), 'valid_until');
      bad(input({ validUntil: create(TimestampSchema, { seconds: BigInt(NOW / 1000 + 60), nanos: -1 }) }), 'valid_until');
    });
  });

  describe('tags', () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

    it('at most 32', () => {
      expect(ok(input({ tags: tags(32) })).tags).toHaveLength(32);
      bad(input({ tags: tags(33) }), 'tags');
    });

    it('each 1 to 64 characters of a-z 0-9 . _ : -', () => {
      expect(ok(input({ tags: ['x'.repeat(64), 'a.b_c:d-e0'] })).tags).toEqual(['x'.repeat(64), 'a.b_c:d-e0']);
      bad(input({ tags: ['ok', 'x'.repeat(65)] }), 'tags[1]');
      bad(input({ tags: [''] }), 'tags[0]');
      for (const tag of ['a b', 'a/b', 'é', 'a,b', '#tag']) bad(input({ tags: ['ok', tag] }), 'tags[1]');
    });
  });

  describe('techniques', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `AML.T${String(i).padStart(4, '0')}`);

    it('at most 32', () => {
      expect(ok(input({ techniques: ids(32) })).techniques).toHaveLength(32);
      bad(input({ techniques: ids(33) }), 'techniques');
    });

    it('each a MITRE ATLAS technique id', () => {
      expect(ok(input({ techniques: ['AML.T0024', 'aml.t0008.005'] })).techniques).toEqual(['AML.T0024', 'AML.T0008.005']);
      for (const id of ['', 'T0024', 'AML.T024', 'AML.T00240', 'AML.T0024.02', 'AML.T0024.0020', 'AML.TA0001', 'AML.T0024 ']) {
        bad(input({ techniques: ['AML.T0040', id] }), 'techniques[1]');
      }
    });
  });

  it('campaign: at most 128 characters, single line', () => {
    expect(ok(input({ campaign: 'c'.repeat(128) })).campaign).toHaveLength(128);
    bad(input({ campaign: 'c'.repeat(129) }), 'campaign');
    bad(input({ campaign: 'a\nb' }), 'campaign');
    bad(input({ campaign: 'a\tb' }), 'campaign');
    bad(input({ campaign: '\u001b[2J' }), 'campaign');
  });

  it('description: at most 4096 characters, newline and tab allowed', () => {
    expect(ok(input({ description: 'd'.repeat(4096) })).description).toHaveLength(4096);
    expect(ok(input({ description: 'a\n\tb' })).description).toBe('a\n\tb');
    bad(input({ description: 'd'.repeat(4097) }), 'description');
    bad(input({ description: 'a\r\nb' }), 'description');
    bad(input({ description: 'bell\u0007' }), 'description');
    bad(input({ description: 'half \ud83d' }), 'description');
  });

  describe('normalizer and key_epoch', () => {
    it('keyed kinds need both', () => {
      bad(input({ normalizer: '' }), 'normalizer');
      bad(input({ keyEpoch: 0 }), 'key_epoch');
      bad(input({ kind: 'prompt.simhash', value: '0123456789abcdef', normalizer: '' }), 'normalizer');
      expect(ok(input({ keyEpoch: 0xffff_ffff })).keyEpoch).toBe(0xffff_ffff);
      bad(input({ keyEpoch: 0x1_0000_0000 }), 'key_epoch');
    });

    it.each(['norm-v1', 'email-v1', 'a-v1', 'norm.v2-v9999', `${'n'.repeat(32)}-v1`])('accepts normalizer %s', (normalizer) => {
      expect(ok(input({ normalizer })).normalizer).toBe(normalizer);
    });

    it.each(['norm', 'norm-v', 'Norm-v1', 'norm-V1', '-norm-v1', 'norm-v12345', `${'n'.repeat(33)}-v1`, 'norm v1', 'norm_x-v1'])(
      'rejects normalizer %j',
      (normalizer) => {
        bad(input({ normalizer }), 'normalizer');
        bad(ipInput({ normalizer }), 'normalizer');
      },
    );

    it('non-keyed kinds may leave both empty', () => {
      expect(ok(ipInput())).toMatchObject({ normalizer: '', keyEpoch: 0 });
    });
  });

  it('max_distance: 0..8 for prompt.simhash, unset or 0 elsewhere', () => {
    const simhash: InputInit = { kind: 'prompt.simhash', value: '0123456789abcdef' };
    bad(input({ ...simhash, maxDistance: 9 }), 'max_distance');
    bad(input({ maxDistance: 1 }), 'max_distance');
    bad(ipInput({ maxDistance: 3 }), 'max_distance');
  });

  describe('field paths', () => {
    it('prefixes fields with the path and adds the index', () => {
      const err = expectInvalid(() => validateIndicatorInput(input({ value: 'x' }), NOW, 'items[3]'), 'items[3].value');
      expect(err.details.index).toBe('3');
      const tagErr = expectInvalid(() => validateIndicatorInput(input({ tags: ['ok', 'NOT OK'] }), NOW, 'items[12]'), 'items[12].tags[1]');
      expect(tagErr.details.index).toBe('12');
      expect(expectInvalid(() => validateIndicatorInput(input({ tlp: Tlp.UNSPECIFIED }), NOW, 'items[0]'), 'items[0].tlp').details.index).toBe('0');
    });

    it('adds no index when the path does not end in [N]', () => {
      expect(expectInvalid(() => validateIndicatorInput(input({ kind: 'x' }), NOW, 'indicator'), 'indicator.kind').details.index).toBeUndefined();
      expect(expectInvalid(() => validateIndicatorInput(input({ kind: 'x' }), NOW, 'items[2].indicator'), 'items[2].indicator.kind').details.index).toBeUndefined();
      expect(expectInvalid(() => validateIndicatorInput(input({ kind: 'x' }), NOW), 'kind').details.index).toBeUndefined();
    });
  });
});
