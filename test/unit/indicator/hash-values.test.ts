import { describe, expect, it } from 'vitest';
import { canon, expectRejected } from './kind-value.js';

const HASH = '0123456789abcdef'.repeat(4);

describe.each(['account.email', 'account.email_canon', 'account.phone', 'account.org', 'payment.card', 'prompt.template', 'client.user_agent'])(
  '%s (64 hex digits)',
  (kind) => {
    it('accepts 64 hex digits and lower-cases them', () => {
      expect(canon(kind, HASH)).toBe(HASH);
      expect(canon(kind, HASH.toUpperCase())).toBe(HASH);
      expect(canon(kind, `${HASH.slice(0, 32)}${HASH.slice(32).toUpperCase()}`)).toBe(HASH);
    });

    it.each([
      ['empty', ''],
      ['63 digits', HASH.slice(1)],
      ['65 digits', `${HASH}0`],
      ['a non-hex digit', `g${HASH.slice(1)}`],
      ['a 0x prefix', `0x${HASH.slice(2)}`],
      ['white space', ` ${HASH.slice(1)}`],
      ['base64', 'ASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4mrze8='],
      // Each just outside a range of hex digits, and letters that lower-case outside ASCII.
      ...['/', ':', '@', 'G', '`', 'g', '\uff21', '\u212a', '\u0130'].map((c) => [`${JSON.stringify(c)} in place of a digit`, `${c}${HASH.slice(1)}`]),
    ])('rejects %s', (_, value) => {
      expectRejected(kind, value);
    });
  },
);

describe('prompt.simhash (16 hex digits)', () => {
  it('accepts 16 hex digits, keeping leading zeros, lower-cased', () => {
    expect(canon('prompt.simhash', '00000000DEADBEEF')).toBe('00000000deadbeef');
  });

  it.each(['', 'deadbeef', '0'.repeat(15), '0'.repeat(17), 'xxxxxxxxxxxxxxxx', '0xdeadbeefdeadbe', HASH])('rejects %j', (value) => {
    expectRejected('prompt.simhash', value);
  });
});

describe('prompt.minhash (16 to 256 x 32-bit values)', () => {
  const values = (n: number): string => '89abcdef'.repeat(n);

  it('accepts the smallest and largest signatures, lower-cased', () => {
    expect(canon('prompt.minhash', values(16))).toBe(values(16));
    expect(canon('prompt.minhash', values(128).toUpperCase())).toBe(values(128));
    expect(canon('prompt.minhash', values(256))).toHaveLength(2048);
  });

  it.each([
    ['15 values', values(15)],
    ['257 values', values(257)],
    ['a partial value', `${values(16)}0a`],
    ['a non-hex digit', `${values(15)}89abcdeg`],
    ['empty', ''],
  ])('rejects %s', (_, value) => {
    expectRejected('prompt.minhash', value);
  });
});
