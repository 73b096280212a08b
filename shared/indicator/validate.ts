/**
 * Checks one IndicatorInput and fills in the documented defaults. The result is what gets
 * signed and stored, so every field leaves here in its one canonical form.
 */
import { invalidArgument } from '../errors.js';
import { Action, Tlp, type IndicatorInput } from '../gen/dtx/v1/indicator_pb.js';
import { formatDuration } from './duration.js';
import { TLP_NAMES } from './enums.js';
import { fieldAt, withPathIndex } from './field-path.js';
import { checkNormalizer, checkTags, checkTechniques, isUint, timestampField } from './field-rules.js';
import { KIND_NAMES, kindByName, type KindSpec } from './kinds.js';
import {
  BLOCK_CONFIDENCE,
  DEFAULT_CONFIDENCE,
  DEFAULT_MAX_DISTANCE,
  MAX_CAMPAIGN_LENGTH,
  MAX_CONFIDENCE,
  MAX_DESCRIPTION_LENGTH,
  MAX_FUTURE_START_MS,
  MAX_KEY_EPOCH,
  MAX_MAX_DISTANCE,
  MAX_VALIDITY_MS,
} from './limits.js';
import { checkText } from './text-rules.js';

export * from './limits.js';

export interface NormalizedIndicator {
  kind: string;
  value: string;
  tlp: Tlp;
  confidence: number;
  action: Action;
  validFromMs: number;
  validUntilMs: number;
  tags: string[];
  campaign: string;
  techniques: string[];
  description: string;
  normalizer: string;
  keyEpoch: number;
  maxDistance: number;
}

/**
 * `path` prefixes every error's field ("items[3]" → "items[3].value") and, when it ends in
 * [N], adds details.index = "N". Field names are the protobuf ones (snake_case). The id is
 * the caller's business: only it knows which ids this node has published.
 */
export function validateIndicatorInput(input: IndicatorInput, nowMs: number, path = ''): NormalizedIndicator {
  try {
    return validate(input, nowMs, (field) => fieldAt(path, field));
  } catch (err) {
    throw withPathIndex(err, path);
  }
}

function validate(input: IndicatorInput, nowMs: number, at: (field: string) => string): NormalizedIndicator {
  const kind = checkKind(input.kind, at('kind'));
  const value = kind.canonicalize(input.value, at('value'));

  if (!(Number.isInteger(input.tlp) && input.tlp >= Tlp.CLEAR && input.tlp <= Tlp.RED)) {
    throw invalidArgument(at('tlp'), `tlp is required: one of ${TLP_NAMES.join(', ')}`);
  }

  const confidence = input.confidence ?? DEFAULT_CONFIDENCE;
  if (!isUint(confidence, MAX_CONFIDENCE)) {
    throw invalidArgument(at('confidence'), `must be an integer from 0 to ${MAX_CONFIDENCE}`);
  }

  const action = input.action === Action.UNSPECIFIED ? defaultAction(kind, confidence) : input.action;
  if (!(Number.isInteger(action) && action >= Action.BLOCK && action <= Action.REVIEW)) {
    throw invalidArgument(at('action'), 'unknown action: one of block, challenge, flag, review');
  }

  const { validFromMs, validUntilMs } = checkValidity(input, kind, nowMs, at);

  const campaign = checkText(input.campaign, at('campaign'), { min: 0, max: MAX_CAMPAIGN_LENGTH, multiline: false });
  const description = checkText(input.description, at('description'), {
    min: 0,
    max: MAX_DESCRIPTION_LENGTH,
    multiline: true,
  });

  const normalizer = checkNormalizer(input.normalizer, kind.keyed, at('normalizer'));
  if (!isUint(input.keyEpoch, MAX_KEY_EPOCH)) throw invalidArgument(at('key_epoch'), 'must be an unsigned 32-bit integer');
  if (kind.keyed && input.keyEpoch < 1) {
    throw invalidArgument(at('key_epoch'), 'is required for keyed kinds: the federation key epoch, 1 or more');
  }

  return {
    kind: kind.name,
    value,
    tlp: input.tlp,
    confidence,
    action,
    validFromMs,
    validUntilMs,
    tags: checkTags(input.tags, at('tags')),
    campaign,
    techniques: checkTechniques(input.techniques, at('techniques')),
    description,
    normalizer,
    keyEpoch: input.keyEpoch,
    maxDistance: checkMaxDistance(input.maxDistance, kind, at('max_distance')),
  };
}

function checkKind(name: string, field: string): KindSpec {
  const kind = kindByName(name);
  if (kind === undefined) {
    const what = name === '' ? 'kind is required' : `unknown kind '${name}'`;
    throw invalidArgument(field, `${what}: one of ${KIND_NAMES.join(', ')}`);
  }
  return kind;
}

/** Only strong exact identifiers at high confidence block by default; weak kinds add to a score. */
export function defaultAction(kind: KindSpec, confidence: number): Action {
  if (kind.strength === 'strong' && confidence >= BLOCK_CONFIDENCE) return Action.BLOCK;
  if (kind.strength === 'weak') return Action.FLAG;
  return Action.REVIEW;
}

function checkValidity(
  input: IndicatorInput,
  kind: KindSpec,
  nowMs: number,
  at: (field: string) => string,
): { validFromMs: number; validUntilMs: number } {
  const validFromMs = timestampField(input.validFrom, at('valid_from')) ?? nowMs;
  if (validFromMs > nowMs + MAX_FUTURE_START_MS) {
    throw invalidArgument(at('valid_from'), `must not be more than ${formatDuration(MAX_FUTURE_START_MS)} in the future`);
  }
  const validUntilMs = timestampField(input.validUntil, at('valid_until')) ?? validFromMs + kind.defaultValidityMs;
  if (validUntilMs <= validFromMs) throw invalidArgument(at('valid_until'), 'must be after valid_from');
  if (validUntilMs - validFromMs > MAX_VALIDITY_MS) {
    throw invalidArgument(at('valid_until'), `must be at most ${formatDuration(MAX_VALIDITY_MS)} after valid_from`);
  }
  return { validFromMs, validUntilMs };
}

function checkMaxDistance(maxDistance: number | undefined, kind: KindSpec, field: string): number {
  if (kind.valueClass !== 'simhash') {
    if (maxDistance !== undefined && maxDistance !== 0) throw invalidArgument(field, 'only applies to prompt.simhash');
    return 0;
  }
  const k = maxDistance ?? DEFAULT_MAX_DISTANCE;
  if (!isUint(k, MAX_MAX_DISTANCE)) throw invalidArgument(field, `must be an integer from 0 to ${MAX_MAX_DISTANCE}`);
  return k;
}
