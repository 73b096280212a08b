/**
 * DNS names as shared for account.email_domain and infra.domain: ASCII only, so every lab
 * compares the same bytes. Internationalized names travel as punycode (A-labels); converting
 * here would hide from the publisher what the receivers will match on.
 */
import { domainToASCII } from 'node:url';
import { invalidArgument } from '../errors.js';

export const MAX_DOMAIN_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export function canonicalDomain(value: string, field: string): string {
  if (/[^\x00-\x7f]/.test(value)) {
    const ascii = domainToASCII(value);
    const hint = ascii === '' ? '' : ` (did you mean ${ascii.replace(/\.$/, '')})`;
    throw invalidArgument(field, `must be ASCII: write internationalized names in punycode${hint}`);
  }
  // One trailing dot is the fully-qualified spelling of the same name.
  const name = value.toLowerCase().replace(/\.$/, '');
  if (name === '') throw invalidArgument(field, 'must not be empty');
  if (name.length > MAX_DOMAIN_LENGTH) {
    throw invalidArgument(field, `must be at most ${MAX_DOMAIN_LENGTH} characters (got ${name.length})`);
  }
  const labels = name.split('.');
  if (labels.length < 2) throw invalidArgument(field, 'must have at least two labels (e.g. example.com)');
  for (const label of labels) {
    if (label.length === 0) throw invalidArgument(field, 'must not contain empty labels');
    if (label.length > MAX_LABEL_LENGTH) {
      throw invalidArgument(field, `labels must be at most ${MAX_LABEL_LENGTH} characters (got ${label.length})`);
    }
    if (!LABEL.test(label)) {
      throw invalidArgument(field, `invalid label '${label}': use a-z, 0-9 and '-', not at the start or end`);
    }
  }
  // An all-numeric last label means an IP address slipped in (RFC 3696 section 2).
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) {
    throw invalidArgument(field, 'the top-level label must not be all digits; share IP addresses as network.ip');
  }
  return name;
}
