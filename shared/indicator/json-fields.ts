/**
 * Typed reads of JSON values for indicator input. JSON Lines files and CLI flags both end up
 * here, so numbers may arrive as digit strings (flags are text) but never the other way round.
 */
import { invalidArgument } from '../errors.js';

export function readString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalidArgument(field, `expected a string, got ${jsonType(value)}`);
  return value;
}

/** A non-negative integer that fits a uint32, from a JSON number or a string of digits. */
export function readUint32(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
    throw invalidArgument(field, `expected a non-negative integer, got ${JSON.stringify(value) ?? jsonType(value)}`);
  }
  return n;
}

/** An array of strings, or one comma-separated string ("a, b" → ["a", "b"]; empty pieces dropped). */
export function readStringList(value: unknown, field: string): string[] {
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  if (!Array.isArray(value)) throw invalidArgument(field, `expected an array of strings or a comma-separated string, got ${jsonType(value)}`);
  return value.map((item: unknown, i) => readString(item, `${field}[${i}]`));
}

// Date only (midnight UTC) or date and time with an explicit zone: a bare local time would mean
// different instants on different machines.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2})))?$/i;

/** Unix milliseconds from a JSON number, or from an ISO 8601 / RFC 3339 string. */
export function readTime(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw invalidArgument(field, 'expected whole Unix milliseconds');
    return value;
  }
  if (typeof value !== 'string') throw invalidArgument(field, `expected an ISO 8601 string or Unix milliseconds, got ${jsonType(value)}`);
  const ms = parseIso8601(value);
  if (ms === undefined) {
    throw invalidArgument(field, `invalid time '${value}': expected e.g. 2026-03-01 or 2026-03-01T12:00:00Z`);
  }
  return ms;
}

function parseIso8601(text: string): number | undefined {
  const m = ISO_8601.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number, number, number, number, number, number,
  ];
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (m[4] !== undefined && m[8] === undefined) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  date.setUTCHours(hour, minute, second, millis);
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  return date.getTime() - offsetMinutes * 60_000;
}

export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
