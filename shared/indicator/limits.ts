/**
 * Bounds and defaults of an indicator's fields. They bound what one publisher can make every
 * member store and replicate, so they are part of the protocol: raise them only together with
 * every node that validates incoming entries.
 */
import { DAY_MS, YEAR_MS } from './duration.js';

/** STIX 2.1 scale; unset means "moderate". */
export const DEFAULT_CONFIDENCE = 50;
export const MAX_CONFIDENCE = 100;
/** Strong kinds at or above this confidence default to ACTION_BLOCK. */
export const BLOCK_CONFIDENCE = 80;

export const MAX_TAGS = 32;
export const MAX_TAG_LENGTH = 64;
export const MAX_TECHNIQUES = 32;
export const MAX_CAMPAIGN_LENGTH = 128;
export const MAX_DESCRIPTION_LENGTH = 4096;

/** valid_until - valid_from. Longer lived indicators must be re-published. */
export const MAX_VALIDITY_MS = 5 * YEAR_MS;
/** How far valid_from may lie ahead of the validating node's clock (scheduling plus skew). */
export const MAX_FUTURE_START_MS = DAY_MS;

/** prompt.simhash: Hamming distance k; k <= 3 is the published sweet spot, 8 the ceiling. */
export const DEFAULT_MAX_DISTANCE = 3;
export const MAX_MAX_DISTANCE = 8;

/** key_epoch is a uint32 on the wire. */
export const MAX_KEY_EPOCH = 0xffff_ffff;

/** google.protobuf.Timestamp range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
export const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
export const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;

export const NORMALIZER_PATTERN = /^[a-z0-9][a-z0-9.-]{0,31}-v\d{1,4}$/;
export const TAG_PATTERN = /^[a-z0-9._:-]{1,64}$/;
export const TECHNIQUE_PATTERN = /^AML\.T\d{4}(?:\.\d{3})?$/;
