/**
 * Checks for the indicator fields that are not the value: lists, timestamps, normalizer.
 * Each takes the full field name for its errors (see field-path.ts).
 */
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { invalidArgument } from '../errors.js';
import {
  MAX_TAGS,
  MAX_TECHNIQUES,
  MAX_TIMESTAMP_SECONDS,
  MIN_TIMESTAMP_SECONDS,
  NORMALIZER_PATTERN,
  TAG_PATTERN,
  TECHNIQUE_PATTERN,
} from './limits.js';

/** Milliseconds of a set timestamp, undefined when unset; rejects out-of-range protobuf values. */
export function timestampField(ts: Timestamp | undefined, field: string): number | undefined {
  if (ts === undefined) return undefined;
  if (ts.seconds < MIN_TIMESTAMP_SECONDS || ts.seconds > MAX_TIMESTAMP_SECONDS) {
    throw invalidArgument(field, 'timestamp out of range (years 0001 to 9999)');
  }
  if (!Number.isInteger(ts.nanos) || ts.nanos < 0 || ts.nanos > 999_999_999) {
    throw invalidArgument(field, 'timestamp nanos must be 0 to 999999999');
  }
  return timestampMs(ts);
}

export function isUint(n: number, max: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= max;
}

/** Lower-cased, de-duplicated in first-seen order. */
export function checkTags(tags: readonly string[], field: string): string[] {
  if (tags.length > MAX_TAGS) throw invalidArgument(field, `at most ${MAX_TAGS} tags (got ${tags.length})`);
  const out = new Set<string>();
  tags.forEach((tag, i) => {
    const lower = tag.toLowerCase();
    if (!TAG_PATTERN.test(lower)) {
      throw invalidArgument(`${field}[${i}]`, `invalid tag '${tag}': 1 to 64 characters of a-z 0-9 . _ : -`);
    }
    out.add(lower);
  });
  return [...out];
}

/** MITRE ATLAS technique ids, upper-cased and de-duplicated in first-seen order. */
export function checkTechniques(techniques: readonly string[], field: string): string[] {
  if (techniques.length > MAX_TECHNIQUES) {
    throw invalidArgument(field, `at most ${MAX_TECHNIQUES} techniques (got ${techniques.length})`);
  }
  const out = new Set<string>();
  techniques.forEach((technique, i) => {
    const upper = technique.toUpperCase();
    if (!TECHNIQUE_PATTERN.test(upper)) {
      throw invalidArgument(`${field}[${i}]`, `invalid MITRE ATLAS technique id '${technique}': e.g. AML.T0024 or AML.T0024.002`);
    }
    out.add(upper);
  });
  return [...out];
}

/**
 * Keyed kinds name the normalizer version their fingerprints were computed with (receivers
 * must run the same one) and the federation key epoch; other kinds may name a normalizer.
 */
export function checkNormalizer(normalizer: string, keyed: boolean, field: string): string {
  if (normalizer === '') {
    if (keyed) throw invalidArgument(field, 'is required for keyed kinds: the normalizer version, e.g. norm-v1');
    return normalizer;
  }
  if (!NORMALIZER_PATTERN.test(normalizer)) {
    throw invalidArgument(field, `invalid normalizer '${normalizer}': a lower-case name ending in -v<N>, e.g. norm-v1`);
  }
  return normalizer;
}
