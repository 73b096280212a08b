/**
 * The v1 indicator kinds (docs: INDICATORS.md, "Kinds (v1)") and how each one's value is
 * checked and canonicalized. The server signs the canonical value, so two labs sharing the same
 * indicator produce the same bytes and receivers can join on them exactly.
 *
 * Codes are for compact storage and are APPEND-ONLY: never renumber or reuse a code; a new
 * kind takes the next free number, a withdrawn kind keeps its number forever.
 */
import { canonicalDomain } from './domain-name.js';
import { DAY_MS } from './duration.js';
import { canonicalHash256, canonicalMinhash, canonicalSimhash } from './hex-values.js';
import {
  canonicalArtifact,
  canonicalAsn,
  canonicalJa4,
  canonicalRule,
  canonicalWallet,
} from './identifier-values.js';
import { canonicalCidr, canonicalIp } from './ip-values.js';

export type ValueClass =
  | 'keyed-hash' // 64 hex digits, keyed with the federation key
  | 'hash' // 64 hex digits, key optional
  | 'simhash' // 16 hex digits
  | 'minhash' // 16..256 x 8 hex digits
  | 'domain'
  | 'ip'
  | 'cidr'
  | 'asn'
  | 'ja4'
  | 'wallet'
  | 'rule'
  | 'artifact';

/**
 * How much one match says. Strong exact identifiers may default to block at high confidence;
 * weak kinds (shared by many benign clients, or fuzzy) only add to a score.
 */
export type Strength = 'strong' | 'medium' | 'weak';

export type ValueRule = (value: string, field: string) => string;

const VALUE_RULES: Readonly<Record<ValueClass, ValueRule>> = {
  'keyed-hash': canonicalHash256,
  hash: canonicalHash256,
  simhash: canonicalSimhash,
  minhash: canonicalMinhash,
  domain: canonicalDomain,
  ip: canonicalIp,
  cidr: canonicalCidr,
  asn: canonicalAsn,
  ja4: canonicalJa4,
  wallet: canonicalWallet,
  rule: canonicalRule,
  artifact: canonicalArtifact,
};

export interface KindSpec {
  readonly name: string;
  readonly code: number;
  readonly valueClass: ValueClass;
  /** Keyed with the federation key: needs a normalizer version and key_epoch >= 1. */
  readonly keyed: boolean;
  readonly strength: Strength;
  /** valid_until - valid_from when the publisher gives neither valid_until nor a duration. */
  readonly defaultValidityMs: number;
  /** Returns the canonical value or throws invalidArgument(field). */
  readonly canonicalize: ValueRule;
}

// IPs churn in days (proxies, residential pools); accounts and payment methods live for months.
export const NETWORK_VALIDITY_MS = 30 * DAY_MS;
export const ACCOUNT_VALIDITY_MS = 180 * DAY_MS;
export const DEFAULT_VALIDITY_MS = 90 * DAY_MS;

type Row = readonly [name: string, code: number, valueClass: ValueClass, keyed: boolean, strength: Strength, validityMs: number];

// In the order of the table in INDICATORS.md; codes follow it and are append-only.
const ROWS: readonly Row[] = [
  ['account.email', 1, 'keyed-hash', true, 'strong', ACCOUNT_VALIDITY_MS],
  ['account.email_canon', 2, 'keyed-hash', true, 'strong', ACCOUNT_VALIDITY_MS],
  ['account.phone', 3, 'keyed-hash', true, 'strong', ACCOUNT_VALIDITY_MS],
  ['account.org', 4, 'keyed-hash', true, 'strong', ACCOUNT_VALIDITY_MS],
  ['account.email_domain', 5, 'domain', false, 'medium', ACCOUNT_VALIDITY_MS],
  ['payment.card', 6, 'keyed-hash', true, 'strong', ACCOUNT_VALIDITY_MS],
  ['payment.wallet', 7, 'wallet', false, 'strong', ACCOUNT_VALIDITY_MS],
  ['network.ip', 8, 'ip', false, 'medium', NETWORK_VALIDITY_MS],
  ['network.cidr', 9, 'cidr', false, 'medium', NETWORK_VALIDITY_MS],
  ['network.asn', 10, 'asn', false, 'weak', DEFAULT_VALIDITY_MS],
  ['client.ja4', 11, 'ja4', false, 'weak', DEFAULT_VALIDITY_MS],
  ['client.user_agent', 12, 'hash', false, 'weak', DEFAULT_VALIDITY_MS],
  ['infra.domain', 13, 'domain', false, 'medium', DEFAULT_VALIDITY_MS],
  ['prompt.template', 14, 'keyed-hash', true, 'medium', DEFAULT_VALIDITY_MS],
  ['prompt.simhash', 15, 'simhash', true, 'weak', DEFAULT_VALIDITY_MS],
  ['prompt.minhash', 16, 'minhash', true, 'medium', DEFAULT_VALIDITY_MS],
  ['behavior.rule', 17, 'rule', false, 'medium', DEFAULT_VALIDITY_MS],
  ['model.artifact', 18, 'artifact', false, 'medium', DEFAULT_VALIDITY_MS],
];

export const KINDS: readonly KindSpec[] = ROWS.map(([name, code, valueClass, keyed, strength, defaultValidityMs]) =>
  Object.freeze({ name, code, valueClass, keyed, strength, defaultValidityMs, canonicalize: VALUE_RULES[valueClass] }),
);

export const KIND_NAMES: readonly string[] = KINDS.map((k) => k.name);

const BY_NAME: ReadonlyMap<string, KindSpec> = new Map(KINDS.map((k) => [k.name, k]));
const BY_CODE: ReadonlyMap<number, KindSpec> = new Map(KINDS.map((k) => [k.code, k]));

export function kindByName(name: string): KindSpec | undefined {
  return BY_NAME.get(name);
}

export function kindByCode(code: number): KindSpec | undefined {
  return BY_CODE.get(code);
}

export function isKind(name: string): boolean {
  return BY_NAME.has(name);
}

/** The canonical form of `value` as a value of `kind`; throws invalidArgument(field) if invalid. */
export function canonicalValue(kind: KindSpec, value: string, field: string): string {
  return kind.canonicalize(value, field);
}
