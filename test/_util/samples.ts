/**
 * Valid IndicatorInput inits for integration tests, one per common kind, with values derived
 * from a seed so every test (and every batch) can have its own.
 */
import { createHash } from 'node:crypto';
import type { IndicatorInputInit } from '../../client/index.js';
import { Tlp } from '../../shared/gen/dtx/v1/indicator_pb.js';

/** 64 lower-case hex digits derived from the seed (a stand-in for a keyed hash). */
export function hex64(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** 16 lower-case hex digits (a 64-bit SimHash code). */
export function hex16(seed: string): string {
  return hex64(seed).slice(0, 16);
}

/** account.email: keyed hash, normalizer email-v1, key epoch 1, TLP:AMBER. */
export function emailInput(seed: string, overrides: IndicatorInputInit = {}): IndicatorInputInit {
  return { kind: 'account.email', value: hex64(`email:${seed}`), tlp: Tlp.AMBER, normalizer: 'email-v1', keyEpoch: 1, ...overrides };
}

/** network.cidr, TLP:GREEN (not keyed: no normalizer or key epoch). */
export function cidrInput(value = '203.0.113.0/24', overrides: IndicatorInputInit = {}): IndicatorInputInit {
  return { kind: 'network.cidr', value, tlp: Tlp.GREEN, ...overrides };
}

/** One valid input for each of several kinds, values in canonical form. */
export function sampleInputs(seed = 'sample'): IndicatorInputInit[] {
  return [
    emailInput(seed, { confidence: 90, tags: ['hydra', 'reseller'], techniques: ['AML.T0024.002'] }),
    cidrInput('203.0.113.0/24'),
    { kind: 'network.ip', value: '198.51.100.7', tlp: Tlp.GREEN },
    { kind: 'network.cidr', value: '2001:db8::/32', tlp: Tlp.CLEAR },
    { kind: 'infra.domain', value: 'proxy-router.example', tlp: Tlp.GREEN, campaign: 'hydra-2026' },
    { kind: 'client.ja4', value: 't13d1516h2_8daaf6152771_b186095e22b6', tlp: Tlp.AMBER },
    { kind: 'prompt.simhash', value: hex16(`simhash:${seed}`), tlp: Tlp.AMBER, normalizer: 'norm-v1', keyEpoch: 1, maxDistance: 2 },
    { kind: 'network.asn', value: 'AS64500', tlp: Tlp.CLEAR },
    { kind: 'payment.card', value: hex64(`card:${seed}`), tlp: Tlp.AMBER_STRICT, normalizer: 'pan-v1', keyEpoch: 3 },
  ];
}

/** n distinct account.email inputs: `${seed}/${i}`. */
export function emailBatch(seed: string, n: number, overrides: IndicatorInputInit = {}): IndicatorInputInit[] {
  return Array.from({ length: n }, (_, i) => emailInput(`${seed}/${i}`, overrides));
}
