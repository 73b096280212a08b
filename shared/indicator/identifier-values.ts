/**
 * Value rules for plain identifiers: AS numbers, JA4 TLS fingerprints, payment wallets, and the
 * two free-text kinds (behavior.rule, model.artifact).
 */
import { invalidArgument } from '../errors.js';
import { checkText } from './text-rules.js';

export const MAX_ASN = 4_294_967_295;

/** "AS13335", "as13335" or "13335" → "AS13335". */
export function canonicalAsn(value: string, field: string): string {
  const match = /^(?:as)?(\d{1,10})$/i.exec(value);
  const asn = match?.[1] === undefined ? NaN : Number(match[1]);
  if (!(asn >= 1 && asn <= MAX_ASN)) {
    throw invalidArgument(field, `invalid AS number '${value}': expected AS1 to AS${MAX_ASN} (e.g. AS13335)`);
  }
  return `AS${asn}`;
}

/**
 * JA4 (FoxIO): protocol t/q/d, TLS version (13..10, s3/s2 SSL, d1..d3 DTLS, 00 unknown), SNI
 * d/i, two-digit cipher and extension counts, two ALPN characters, then two truncated SHA-256
 * hashes of 12 hex digits. Only the hashed form is accepted: the raw forms (ja4_r, ja4_o)
 * would not match anyone else's hashed value.
 */
const JA4 = /^[tqd](?:1[0-3]|s[0-9]|d[0-9]|00)[di]\d{2}\d{2}[a-z0-9]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/;

export function canonicalJa4(value: string, field: string): string {
  const lower = value.toLowerCase();
  if (!JA4.test(lower)) {
    throw invalidArgument(field, `invalid JA4 fingerprint '${value}': expected e.g. t13d1516h2_8daaf6152771_b186095e22b6`);
  }
  return lower;
}

export const MIN_WALLET_LENGTH = 8;
export const MAX_WALLET_LENGTH = 128;

/** Case is kept: some chains' addresses are case-sensitive (base58) or carry a checksum in case. */
export function canonicalWallet(value: string, field: string): string {
  if (value.length < MIN_WALLET_LENGTH || value.length > MAX_WALLET_LENGTH) {
    throw invalidArgument(field, `must be ${MIN_WALLET_LENGTH} to ${MAX_WALLET_LENGTH} characters (got ${value.length})`);
  }
  if (!/^[A-Za-z0-9:._-]+$/.test(value)) {
    throw invalidArgument(field, 'may only contain A-Z, a-z, 0-9 and : . _ - (e.g. eth:0x...)');
  }
  return value;
}

export const MAX_RULE_LENGTH = 4096;
export const MAX_ARTIFACT_LENGTH = 512;

/** Rules are kept byte for byte: receivers evaluate exactly what was signed. */
export function canonicalRule(value: string, field: string): string {
  return checkText(value, field, { min: 1, max: MAX_RULE_LENGTH, multiline: true, requireNonBlank: true });
}

export function canonicalArtifact(value: string, field: string): string {
  return checkText(value, field, { min: 1, max: MAX_ARTIFACT_LENGTH, multiline: false, requireNonBlank: true });
}
