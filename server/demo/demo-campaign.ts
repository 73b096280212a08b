/**
 * The sample campaign `dtx demo` publishes: what one lab might share about a distillation
 * operation run through a proxy reseller. Identifier values are keyed-hash stand-ins derived
 * from a label, never real data.
 */
import { createHash } from 'node:crypto';
import { Action, Tlp } from '../../shared/gen/dtx/v1/indicator_pb.js';
import type { IndicatorInputInit } from '../../client/index.js';

const hash = (label: string) => createHash('sha256').update(`dtx-demo:${label}`).digest('hex');

export const DEMO_CAMPAIGN = 'hydra-reseller-2026';

export function demoCampaign(): IndicatorInputInit[] {
  const common = { campaign: DEMO_CAMPAIGN, techniques: ['AML.T0024.002', 'AML.T0008.005'], tags: ['distillation', 'reseller'] };
  const accounts = Array.from({ length: 12 }, (_, i) => ({
    kind: 'account.email',
    value: hash(`account-${i}`),
    tlp: Tlp.AMBER,
    confidence: 85,
    action: Action.BLOCK,
    normalizer: 'email-v1',
    keyEpoch: 1,
    ...common,
  }));
  return [
    ...accounts,
    { kind: 'network.cidr', value: '203.0.113.0/24', tlp: Tlp.GREEN, confidence: 70, action: Action.CHALLENGE, ...common },
    { kind: 'network.ip', value: '198.51.100.23', tlp: Tlp.GREEN, confidence: 75, action: Action.CHALLENGE, ...common },
    { kind: 'client.ja4', value: 't13d1516h2_8daaf6152771_b186095e22b6', tlp: Tlp.AMBER, confidence: 40, action: Action.FLAG, ...common },
    { kind: 'payment.card', value: hash('card-1'), tlp: Tlp.AMBER_STRICT, confidence: 90, action: Action.BLOCK, normalizer: 'pan-v1', keyEpoch: 1, ...common },
    { kind: 'prompt.simhash', value: hash('template-1').slice(0, 16), tlp: Tlp.AMBER, confidence: 60, action: Action.REVIEW, normalizer: 'norm-v1', keyEpoch: 1, maxDistance: 3, ...common },
  ];
}

/** A few more proxy exit IPs, published after the campaign (the entries the tampering relay alters). */
export function demoFollowUp(): IndicatorInputInit[] {
  return [40, 41, 42].map((n) => ({ kind: 'network.ip', value: `198.51.100.${n}`, tlp: Tlp.GREEN, confidence: 70, action: Action.CHALLENGE, campaign: DEMO_CAMPAIGN }));
}
