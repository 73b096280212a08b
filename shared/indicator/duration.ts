/**
 * Durations as people type them on the command line and in JSON Lines files: "90s", "15m",
 * "12h", "30d", "2w", "1y". One integer amount and one lower-case unit; no fractions, no
 * compounds, no upper case (so "1M" can never be misread as a month or a minute).
 */
import { invalidArgument } from '../errors.js';

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;
/** A year is 365 days: validity windows need a fixed length, not calendar arithmetic. */
export const YEAR_MS = 365 * DAY_MS;

const UNIT_MS: Readonly<Record<string, number>> = {
  s: SECOND_MS,
  m: MINUTE_MS,
  h: HOUR_MS,
  d: DAY_MS,
  w: WEEK_MS,
  y: YEAR_MS,
};

const DURATION = /^(\d{1,15})([smhdwy])$/;

/** Milliseconds in `text`; a zero or malformed duration throws invalidArgument(field). */
export function parseDuration(text: string, field: string): number {
  const match = DURATION.exec(text);
  const unitMs = match?.[2] === undefined ? undefined : UNIT_MS[match[2]];
  if (match?.[1] === undefined || unitMs === undefined) {
    throw invalidArgument(field, `invalid duration '${text}': expected a whole number and a unit s, m, h, d, w or y (e.g. "30d")`);
  }
  const amount = Number(match[1]);
  if (amount === 0) throw invalidArgument(field, 'duration must be greater than zero');
  const ms = amount * unitMs;
  if (!Number.isSafeInteger(ms)) throw invalidArgument(field, `duration '${text}' is too long`);
  return ms;
}

// Largest first; weeks are left out so 30 days reads "30d", not "4w2d".
const DISPLAY_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', YEAR_MS],
  ['d', DAY_MS],
  ['h', HOUR_MS],
  ['m', MINUTE_MS],
  ['s', SECOND_MS],
  ['ms', 1],
];

/**
 * For display: "30d", "1y", "1d12h", "1m30s", "250ms". A single-unit result parses back with
 * parseDuration; compounds are for people only.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of DISPLAY_UNITS) {
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      parts.push(`${amount}${unit}`);
      rest -= amount * size;
    }
  }
  return parts.join('');
}
