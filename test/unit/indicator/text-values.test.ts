import { describe, expect, it } from 'vitest';
import { canon, expectRejected } from './kind-value.js';

describe('client.ja4', () => {
  it.each([
    ['t13d1516h2_8daaf6152771_b186095e22b6', 't13d1516h2_8daaf6152771_b186095e22b6'],
    ['T13D1516H2_8DAAF6152771_B186095E22B6', 't13d1516h2_8daaf6152771_b186095e22b6'],
    ['q13i0310h3_55b375c5d22e_cd85d2d88918', 'q13i0310h3_55b375c5d22e_cd85d2d88918'],
    ['ts3i000000_000000000000_000000000000', 'ts3i000000_000000000000_000000000000'],
    ['d00d1009h2_8daaf6152771_b186095e22b6', 'd00d1009h2_8daaf6152771_b186095e22b6'],
    ['td1d1516h2_8daaf6152771_b186095e22b6', 'td1d1516h2_8daaf6152771_b186095e22b6'],
  ])('canonicalizes %s', (value, expected) => {
    expect(canon('client.ja4', value)).toBe(expected);
  });

  it.each([
    '',
    'x13d1516h2_8daaf6152771_b186095e22b6',
    't14d1516h2_8daaf6152771_b186095e22b6',
    't13x1516h2_8daaf6152771_b186095e22b6',
    't13d151h2_8daaf6152771_b186095e22b6',
    't13d1516h_8daaf6152771_b186095e22b6',
    't13d1516h2_8daaf615277_b186095e22b6',
    't13d1516h2_8daaf6152771_b186095e22b',
    't13d1516h2_8daaf615277g_b186095e22b6',
    't13d1516h2-8daaf6152771-b186095e22b6',
    't13d1516h2_8daaf6152771',
    't13d1516h2_8daaf6152771_b186095e22b6 ',
  ])('rejects %j', (value) => {
    expectRejected('client.ja4', value);
  });
});

describe('payment.wallet', () => {
  it('keeps case and accepts a chain prefix', () => {
    expect(canon('payment.wallet', 'eth:0x52908400098527886E0F7030069857D2E4169EE7')).toBe(
      'eth:0x52908400098527886E0F7030069857D2E4169EE7',
    );
    expect(canon('payment.wallet', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq')).toBe('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq');
    expect(canon('payment.wallet', 'a.b_c-d:')).toBe('a.b_c-d:');
  });

  it('accepts 8 and 128 characters, rejects 7 and 129', () => {
    expect(canon('payment.wallet', 'A'.repeat(8))).toBe('A'.repeat(8));
    expect(canon('payment.wallet', 'A'.repeat(128))).toBe('A'.repeat(128));
    expectRejected('payment.wallet', 'A'.repeat(7));
    expectRejected('payment.wallet', 'A'.repeat(129));
  });

  it.each(['', 'eth: 0x5290840009', 'eth:0x52908400\t', 'eth/0x52908400', 'wallet#12345', 'ßßßßßßßßßß', '0x5290840009\n'])('rejects %j', (value) => {
    expectRejected('payment.wallet', value);
  });
});

describe('behavior.rule', () => {
  it('keeps multi-line text byte for byte', () => {
    const rule = 'accounts_per_card > 20\n\tand tokens_out / tokens_in > 8  ';
    expect(canon('behavior.rule', rule)).toBe(rule);
  });

  it('accepts 1 and 4096 characters, rejects 0 and 4097', () => {
    expect(canon('behavior.rule', 'x')).toBe('x');
    expect(canon('behavior.rule', 'x'.repeat(4096))).toHaveLength(4096);
    expectRejected('behavior.rule', '');
    expectRejected('behavior.rule', 'x'.repeat(4097));
  });

  it('counts characters, not UTF-16 units', () => {
    expect(canon('behavior.rule', '😀'.repeat(4096))).toHaveLength(8192);
    expectRejected('behavior.rule', '😀'.repeat(4097));
  });

  it.each([
    ['blank', ' \n\t '],
    ['NUL', 'a\u0000b'],
    ['CR', 'a\r\nb'],
    ['ESC', '\u001b[31mred'],
    ['DEL', 'a\u007f'],
    ['C1 NEL', 'a\u0085b'],
    ['a lone surrogate', 'a\ud800b'],
  ])('rejects %s', (_, value) => {
    expectRejected('behavior.rule', value);
  });
});

describe('model.artifact', () => {
  it('accepts ids and hashes', () => {
    expect(canon('model.artifact', 'hf:some-org/student-7b@sha256:abc')).toBe('hf:some-org/student-7b@sha256:abc');
  });

  it('accepts 1 and 512 characters, rejects 0 and 513', () => {
    expect(canon('model.artifact', 'm')).toBe('m');
    expect(canon('model.artifact', 'm'.repeat(512))).toHaveLength(512);
    expectRejected('model.artifact', '');
    expectRejected('model.artifact', 'm'.repeat(513));
  });

  it.each(['   ', 'a\nb', 'a\tb', 'a\u0000', 'a\u009b', '\udc00'])('rejects %j', (value) => {
    expectRejected('model.artifact', value);
  });
});
