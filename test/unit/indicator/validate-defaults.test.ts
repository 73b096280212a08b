import { describe, expect, it } from 'vitest';
import { Action, Tlp } from '../../../shared/gen/dtx/v1/indicator_pb.js';
import { DAY_MS } from '../../../shared/indicator/duration.js';
import { DEFAULT_CONFIDENCE, validateIndicatorInput } from '../../../shared/indicator/validate.js';
import { at, HASH, input, ipInput, NOW } from './indicator-input.js';

describe('validateIndicatorInput defaults', () => {
  it('fills in every documented default', () => {
    expect(validateIndicatorInput(input(), NOW)).toEqual({
      kind: 'account.email',
      value: HASH,
      tlp: Tlp.AMBER,
      confidence: DEFAULT_CONFIDENCE,
      action: Action.REVIEW,
      validFromMs: NOW,
      validUntilMs: NOW + 180 * DAY_MS,
      tags: [],
      campaign: '',
      techniques: [],
      description: '',
      normalizer: 'email-v1',
      keyEpoch: 1,
      maxDistance: 0,
    });
    expect(DEFAULT_CONFIDENCE).toBe(50);
  });

  it('returns the canonical value', () => {
    expect(validateIndicatorInput(input({ value: HASH.toUpperCase() }), NOW).value).toBe(HASH);
    expect(validateIndicatorInput(ipInput({ value: '::ffff:192.0.2.1' }), NOW).value).toBe('192.0.2.1');
  });

  it('keeps set fields', () => {
    const n = validateIndicatorInput(
      input({
        tlp: Tlp.RED,
        confidence: 0,
        action: Action.CHALLENGE,
        validFrom: at(NOW - DAY_MS),
        validUntil: at(NOW + DAY_MS),
        tags: ['hydra'],
        campaign: 'Campaign 7 (hydra)',
        techniques: ['AML.T0024.002'],
        description: 'line 1\nline 2',
        keyEpoch: 7,
      }),
      NOW,
    );
    expect(n).toMatchObject({
      tlp: Tlp.RED,
      confidence: 0,
      action: Action.CHALLENGE,
      validFromMs: NOW - DAY_MS,
      validUntilMs: NOW + DAY_MS,
      tags: ['hydra'],
      campaign: 'Campaign 7 (hydra)',
      techniques: ['AML.T0024.002'],
      description: 'line 1\nline 2',
      keyEpoch: 7,
    });
  });

  describe('default action', () => {
    it.each([
      ['account.email', 80, Action.BLOCK],
      ['account.email', 100, Action.BLOCK],
      ['account.email', 79, Action.REVIEW],
      ['payment.card', 90, Action.BLOCK],
      ['client.ja4', 100, Action.FLAG],
      ['client.ja4', 0, Action.FLAG],
      ['network.asn', 95, Action.FLAG],
      ['client.user_agent', 95, Action.FLAG],
      ['prompt.simhash', 95, Action.FLAG],
      ['network.ip', 100, Action.REVIEW],
      ['prompt.template', 100, Action.REVIEW],
    ])('%s at confidence %d → %s', (kind, confidence, action) => {
      const values: Record<string, string> = {
        'client.ja4': 't13d1516h2_8daaf6152771_b186095e22b6',
        'network.asn': 'AS64500',
        'prompt.simhash': '0123456789abcdef',
        'network.ip': '192.0.2.1',
      };
      const n = validateIndicatorInput(input({ kind, value: values[kind] ?? HASH, confidence }), NOW);
      expect(n.action).toBe(action);
    });

    it('uses 50 when confidence is unset: strong kinds review', () => {
      expect(validateIndicatorInput(input({ kind: 'payment.card' }), NOW).action).toBe(Action.REVIEW);
    });

    it('never overrides an explicit action', () => {
      expect(validateIndicatorInput(input({ confidence: 100, action: Action.FLAG }), NOW).action).toBe(Action.FLAG);
    });
  });

  describe('default validity', () => {
    it.each([
      ['network.ip', '192.0.2.1', 30],
      ['network.cidr', '192.0.2.0/24', 30],
      ['account.email_domain', 'example.com', 180],
      ['payment.wallet', 'eth:0x5290840009', 180],
      ['infra.domain', 'proxy.example', 90],
      ['network.asn', 'AS64500', 90],
      ['behavior.rule', 'accounts_per_card > 20', 90],
    ])('%s lasts %d days', (kind, value, days) => {
      const n = validateIndicatorInput(ipInput({ kind, value }), NOW);
      expect(n.validUntilMs - n.validFromMs).toBe(days * DAY_MS);
    });

    it('counts from valid_from when it is set', () => {
      const n = validateIndicatorInput(ipInput({ validFrom: at(NOW - 10 * DAY_MS) }), NOW);
      expect(n.validFromMs).toBe(NOW - 10 * DAY_MS);
      expect(n.validUntilMs).toBe(NOW + 20 * DAY_MS);
    });
  });

  describe('max_distance', () => {
    const simhash = { kind: 'prompt.simhash', value: '0123456789abcdef' };

    it('defaults to 3 for prompt.simhash and keeps 0..8', () => {
      expect(validateIndicatorInput(input(simhash), NOW).maxDistance).toBe(3);
      expect(validateIndicatorInput(input({ ...simhash, maxDistance: 0 }), NOW).maxDistance).toBe(0);
      expect(validateIndicatorInput(input({ ...simhash, maxDistance: 8 }), NOW).maxDistance).toBe(8);
    });

    it('stores 0 for other kinds', () => {
      expect(validateIndicatorInput(input({ maxDistance: 0 }), NOW).maxDistance).toBe(0);
      expect(validateIndicatorInput(ipInput(), NOW).maxDistance).toBe(0);
    });
  });

  it('lower-cases and de-duplicates tags, upper-cases and de-duplicates techniques, keeping order', () => {
    const n = validateIndicatorInput(
      input({ tags: ['b', 'Hydra', 'a', 'HYDRA', 'b'], techniques: ['aml.t0040', 'AML.T0024.002', 'AML.T0040'] }),
      NOW,
    );
    expect(n.tags).toEqual(['b', 'hydra', 'a']);
    expect(n.techniques).toEqual(['AML.T0040', 'AML.T0024.002']);
  });

  it('lets non-keyed kinds carry a normalizer and key epoch', () => {
    const n = validateIndicatorInput(
      ipInput({ kind: 'client.user_agent', value: HASH, normalizer: 'ua-v1', keyEpoch: 2 }),
      NOW,
    );
    expect(n).toMatchObject({ normalizer: 'ua-v1', keyEpoch: 2 });
  });

  it('does not look at the id', () => {
    expect(() => validateIndicatorInput(input({ id: 'anything at all' }), NOW)).not.toThrow();
  });
});
