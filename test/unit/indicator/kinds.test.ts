import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../shared/indicator/duration.js';
import { canonicalValue, isKind, KIND_NAMES, kindByCode, kindByName, KINDS } from '../../../shared/indicator/kinds.js';
import { expectInvalid } from './expect-invalid.js';

// Frozen: codes are stored on disk and are append-only. A change here breaks existing data.
const CODES: Record<string, number> = {
  'account.email': 1,
  'account.email_canon': 2,
  'account.phone': 3,
  'account.org': 4,
  'account.email_domain': 5,
  'payment.card': 6,
  'payment.wallet': 7,
  'network.ip': 8,
  'network.cidr': 9,
  'network.asn': 10,
  'client.ja4': 11,
  'client.user_agent': 12,
  'infra.domain': 13,
  'prompt.template': 14,
  'prompt.simhash': 15,
  'prompt.minhash': 16,
  'behavior.rule': 17,
  'model.artifact': 18,
};

describe('kind table', () => {
  it('holds the v1 kinds in document order with frozen codes', () => {
    expect(KIND_NAMES).toEqual(Object.keys(CODES));
    for (const kind of KINDS) expect(kind.code).toBe(CODES[kind.name]);
    expect(new Set(KINDS.map((k) => k.code)).size).toBe(KINDS.length);
  });

  it('looks kinds up by name and by code', () => {
    for (const kind of KINDS) {
      expect(kindByName(kind.name)).toBe(kind);
      expect(kindByCode(kind.code)).toBe(kind);
      expect(isKind(kind.name)).toBe(true);
    }
    expect(kindByName('account.mail')).toBeUndefined();
    expect(kindByName('Account.Email')).toBeUndefined();
    expect(kindByCode(0)).toBeUndefined();
    expect(kindByCode(19)).toBeUndefined();
    expect(isKind('')).toBe(false);
    expect(isKind('toString')).toBe(false);
  });

  it('marks exactly the keyed-hash kinds as keyed', () => {
    expect(KINDS.filter((k) => k.keyed).map((k) => k.name)).toEqual([
      'account.email',
      'account.email_canon',
      'account.phone',
      'account.org',
      'payment.card',
      'prompt.template',
      'prompt.simhash',
      'prompt.minhash',
    ]);
    expect(kindByName('client.user_agent')?.keyed).toBe(false);
  });

  it('rates weak and strong kinds', () => {
    expect(KINDS.filter((k) => k.strength === 'weak').map((k) => k.name)).toEqual([
      'network.asn',
      'client.ja4',
      'client.user_agent',
      'prompt.simhash',
    ]);
    expect(KINDS.filter((k) => k.strength === 'strong').map((k) => k.name)).toEqual([
      'account.email',
      'account.email_canon',
      'account.phone',
      'account.org',
      'payment.card',
      'payment.wallet',
    ]);
  });

  it('gives IPs 30 days, accounts and payments 180 days, the rest 90 days', () => {
    for (const kind of KINDS) {
      const expected = kind.name.startsWith('network.ip') || kind.name === 'network.cidr'
        ? 30
        : kind.name.startsWith('account.') || kind.name.startsWith('payment.')
          ? 180
          : 90;
      expect(kind.defaultValidityMs, kind.name).toBe(expected * DAY_MS);
    }
  });

  it('cannot be modified', () => {
    const kind = kindByName('network.ip')!;
    expect(() => {
      (kind as { code: number }).code = 99;
    }).toThrow(TypeError);
  });

  it('canonicalValue applies the kind rule and names the field', () => {
    expect(canonicalValue(kindByName('network.asn')!, 'as13335', 'queries[0].value')).toBe('AS13335');
    const err = expectInvalid(() => canonicalValue(kindByName('network.asn')!, 'x', 'queries[0].value'), 'queries[0].value');
    expect(err.details.index).toBeUndefined();
  });
});
