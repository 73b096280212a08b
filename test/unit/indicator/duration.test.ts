import { describe, expect, it } from 'vitest';
import { DAY_MS, formatDuration, parseDuration, YEAR_MS } from '../../../shared/indicator/duration.js';
import { expectInvalid } from './expect-invalid.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 15 * 60_000],
    ['12h', 12 * 3_600_000],
    ['30d', 30 * DAY_MS],
    ['2w', 14 * DAY_MS],
    ['1y', 365 * DAY_MS],
    ['007d', 7 * DAY_MS],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text, 'validFor')).toBe(ms);
  });

  it.each(['', '30', 'd', '1.5d', '-1d', '+1d', '1M', '1D', ' 30d', '30d ', '30 d', '1d2h', '1mo', '0d', '0s', '1000000000000000d', '999999999999999y'])(
    'rejects %j naming the field',
    (text) => {
      expectInvalid(() => parseDuration(text, 'items[2].validFor'), 'items[2].validFor');
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [90_000, '1m30s'],
    [30 * DAY_MS, '30d'],
    [14 * DAY_MS, '14d'],
    [YEAR_MS, '1y'],
    [5 * YEAR_MS, '5y'],
    [36 * 3_600_000, '1d12h'],
    [-60_000, '-1m'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips single-unit durations through parseDuration', () => {
    for (const text of ['45s', '15m', '12h', '30d', '1y']) {
      expect(formatDuration(parseDuration(text, 'f'))).toBe(text);
    }
  });
});
