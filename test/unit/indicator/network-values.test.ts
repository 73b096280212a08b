import { describe, expect, it } from 'vitest';
import { canon, expectRejected } from './kind-value.js';
import { expectInvalid } from './expect-invalid.js';

describe('network.ip', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8::0001', '2001:db8::1'],
    ['::1', '::1'],
    ['::', '::'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:c000:0201', '192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    // Deprecated IPv4-compatible form: not the same address as ::ffff:192.0.2.1.
    ['::192.0.2.1', '::c000:201'],
  ])('canonicalizes %s to %s', (value, expected) => {
    expect(canon('network.ip', value)).toBe(expected);
  });

  it.each([
    '',
    '10.1',
    '10.1.2',
    '167772161',
    '0x7f.0.0.1',
    '010.1.1.1',
    '1.2.3.04',
    '256.1.1.1',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1.2.3.4\n',
    '1.2.3.00',
    '300.1.1.1',
    '255.255.255.256',
    '1.2.3.4/32',
    'fe80::1%eth0',
    '[::1]',
    '2001:db8::g',
    '1:2:3:4:5:6:7:8:9',
    '::ffff:1.2.3',
    '::ffff:1.2.3.256',
    'localhost',
  ])('rejects %j', (value) => {
    expectRejected('network.ip', value);
  });

  it('answers dotted quads (the fast path) exactly as parsing them does', () => {
    // Every octet value in every position, plus leading-zero spellings, which must be refused.
    for (let octet = 0; octet <= 255; octet++) {
      for (let position = 0; position < 4; position++) {
        const parts = ['10', '0', '255', '7'];
        parts[position] = String(octet);
        const value = parts.join('.');
        expect(canon('network.ip', value)).toBe(value);
        expect(canon('network.ip', `::ffff:${value}`)).toBe(value);
        parts[position] = `0${octet}`;
        expectRejected('network.ip', parts.join('.'));
      }
    }
  });
});

describe('network.cidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['192.0.2.1/32', '192.0.2.1/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['2001:db8:0:0::/64', '2001:db8::/64'],
    ['2001:db8::1/128', '2001:db8::1/128'],
    ['::/0', '::/0'],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
    ['::ffff:192.0.2.1/128', '192.0.2.1/32'],
  ])('canonicalizes %s to %s', (value, expected) => {
    expect(canon('network.cidr', value)).toBe(expected);
  });

  it('rejects host bits, naming the network meant', () => {
    expectRejected('network.cidr', '10.1.2.3/8');
    expectRejected('network.cidr', '2001:db8::1/64');
    expectRejected('network.cidr', '192.0.2.1/31');
  });

  it.each([
    '',
    '10.0.0.0',
    '10.0.0.0/',
    '/8',
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/08',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    '10.0/8',
    '10.0.0.0 /8',
    'fe80::%eth0/64',
  ])('rejects %j', (value) => {
    expectRejected('network.cidr', value);
  });
});

describe('network.asn', () => {
  it.each([
    ['AS13335', 'AS13335'],
    ['as13335', 'AS13335'],
    ['As13335', 'AS13335'],
    ['13335', 'AS13335'],
    ['AS1', 'AS1'],
    ['4294967295', 'AS4294967295'],
  ])('canonicalizes %s to %s', (value, expected) => {
    expect(canon('network.asn', value)).toBe(expected);
  });

  it.each(['', 'AS', '0', 'AS0', '4294967296', 'AS99999999999', 'ASN13335', 'AS 13335', '13335.5', '-1', 'AS-1', '1.10'])('rejects %j', (value) => {
    expectRejected('network.asn', value);
  });
});

describe.each(['account.email_domain', 'infra.domain'])('%s', (kind) => {
  const label = (c: string, n: number): string => c.repeat(n);

  it.each([
    ['example.com', 'example.com'],
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['mail.example.co.uk', 'mail.example.co.uk'],
    ['xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['a-b.c0', 'a-b.c0'],
    ['1password.com', '1password.com'],
  ])('canonicalizes %s to %s', (value, expected) => {
    expect(canon(kind, value)).toBe(expected);
  });

  it('accepts a 63-character label and a 253-character name', () => {
    expect(canon(kind, `${label('a', 63)}.com`)).toBe(`${label('a', 63)}.com`);
    const name = [label('a', 63), label('b', 63), label('c', 63), label('d', 61)].join('.');
    expect(name).toHaveLength(253);
    expect(canon(kind, name)).toBe(name);
    expect(canon(kind, `${name}.`)).toBe(name);
  });

  it.each([
    ['empty', ''],
    ['a single label', 'com'],
    ['a single label with dot', 'localhost.'],
    ['a 64-character label', `${label('a', 64)}.com`],
    ['a 254-character name', [label('a', 63), label('b', 63), label('c', 63), label('d', 62)].join('.')],
    ['a leading hyphen', '-example.com'],
    ['a trailing hyphen', 'example-.com'],
    ['an empty label', 'example..com'],
    ['a leading dot', '.example.com'],
    ['two trailing dots', 'example.com..'],
    ['an underscore', '_dmarc.example.com'],
    ['a space', 'exa mple.com'],
    ['a scheme', 'https://example.com'],
    ['an email address', 'user@example.com'],
    ['an IPv4 address', '192.0.2.1'],
    ['a wildcard', '*.example.com'],
  ])('rejects %s', (_, value) => {
    expectRejected(kind, value);
  });

  it('rejects Unicode names (punycode is required)', () => {
    const err = expectInvalid(() => canon(kind, 'bücher.de'), 'value');
    expect(err.details.index).toBeUndefined();
    expectRejected(kind, 'EXAMPLE.ＣＯＭ');
  });
});
