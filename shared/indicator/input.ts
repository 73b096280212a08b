/**
 * One indicator from JSON: a line of a JSON Lines file, or CLI flags gathered into an object.
 * Friendly spellings (TLP names, durations, comma lists, ISO times) become an IndicatorInput;
 * the rules on values stay in validate.ts so the server applies exactly the same ones.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { invalidArgument } from '../errors.js';
import { IndicatorInputSchema, type IndicatorInput } from '../gen/dtx/v1/indicator_pb.js';
import { parseDuration } from './duration.js';
import { parseAction, parseTlp } from './enums.js';
import { fieldAt, withPathIndex } from './field-path.js';
import { readString, readStringList, readTime, readUint32 } from './json-fields.js';

/** Accepted keys: the camelCase name, and its snake_case twin where that differs. */
export const INDICATOR_JSON_KEYS = [
  'id', 'kind', 'value', 'tlp', 'confidence', 'action', 'validFrom', 'validUntil', 'validFor',
  'tags', 'campaign', 'techniques', 'description', 'normalizer', 'keyEpoch', 'maxDistance',
] as const;

type Key = (typeof INDICATOR_JSON_KEYS)[number];

const KEY_BY_SPELLING: ReadonlyMap<string, Key> = new Map(
  INDICATOR_JSON_KEYS.flatMap((key) => {
    const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    return snake === key ? [[key, key]] : [[key, key], [snake, key]];
  }),
);

/**
 * `path` prefixes error fields ("items[3]" → "items[3].tlp", details.index = "3"); errors name
 * keys as the input spelled them. null counts as absent. nowMs anchors validFor when there is
 * no validFrom.
 */
export function parseIndicatorJson(obj: unknown, path: string, nowMs: number): IndicatorInput {
  try {
    return parse(obj, path, nowMs);
  } catch (err) {
    throw withPathIndex(err, path);
  }
}

function parse(obj: unknown, path: string, nowMs: number): IndicatorInput {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw invalidArgument(path === '' ? 'indicator' : path, 'expected a JSON object');
  }
  // Key → [spelling used, value]; typos fail loudly rather than silently dropping a field.
  const fields = new Map<Key, [string, unknown]>();
  for (const [spelling, value] of Object.entries(obj)) {
    const key = KEY_BY_SPELLING.get(spelling);
    if (key === undefined) {
      const hint = suggestKey(spelling);
      throw invalidArgument(fieldAt(path, spelling), `unknown key${hint === undefined ? '' : ` (did you mean ${hint}?)`}`);
    }
    const seen = fields.get(key);
    if (seen !== undefined) {
      throw invalidArgument(fieldAt(path, spelling), `duplicates ${seen[0]}: give one or the other`);
    }
    if (value !== null) fields.set(key, [spelling, value]);
  }

  const read = <T>(key: Key, reader: (value: unknown, field: string) => T): T | undefined => {
    const entry = fields.get(key);
    return entry === undefined ? undefined : reader(entry[1], fieldAt(path, entry[0]));
  };
  const init: MessageInitShape<typeof IndicatorInputSchema> = {
    id: read('id', readString) ?? '',
    kind: read('kind', readString) ?? '',
    value: read('value', readString) ?? '',
    tags: read('tags', readStringList) ?? [],
    campaign: read('campaign', readString) ?? '',
    techniques: read('techniques', readStringList) ?? [],
    description: read('description', readString) ?? '',
    normalizer: read('normalizer', readString) ?? '',
    keyEpoch: read('keyEpoch', readUint32) ?? 0,
  };
  const tlp = read('tlp', (v, f) => parseTlp(readString(v, f), f));
  if (tlp !== undefined) init.tlp = tlp;
  const action = read('action', (v, f) => parseAction(readString(v, f), f));
  if (action !== undefined) init.action = action;
  const confidence = read('confidence', readUint32);
  if (confidence !== undefined) init.confidence = confidence;
  const maxDistance = read('maxDistance', readUint32);
  if (maxDistance !== undefined) init.maxDistance = maxDistance;

  const validFromMs = read('validFrom', readTime);
  let validUntilMs = read('validUntil', readTime);
  const validFor = fields.get('validFor');
  if (validFor !== undefined) {
    const field = fieldAt(path, validFor[0]);
    if (validUntilMs !== undefined) {
      throw invalidArgument(field, `conflicts with ${fields.get('validUntil')?.[0] ?? 'validUntil'}: give one or the other`);
    }
    validUntilMs = (validFromMs ?? nowMs) + parseDuration(readString(validFor[1], field), field);
    if (!Number.isSafeInteger(validUntilMs)) throw invalidArgument(field, 'ends too far in the future');
  }
  if (validFromMs !== undefined) init.validFrom = timestampFromMs(validFromMs);
  if (validUntilMs !== undefined) init.validUntil = timestampFromMs(validUntilMs);

  return create(IndicatorInputSchema, init);
}

/** The accepted key closest to a typo (edit distance <= 2, ignoring case), if any. */
function suggestKey(spelling: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of KEY_BY_SPELLING.keys()) {
    const d = editDistance(spelling.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
