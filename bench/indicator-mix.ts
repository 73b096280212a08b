/**
 * Realistic indicators for the load: mostly keyed hashes of accounts and payment cards (64 hex
 * digits), then IP addresses, prompt SimHashes, JA4 fingerprints and domains, with the fields a
 * lab would fill in (TLP, confidence, tags, campaign, techniques, sometimes a description).
 */
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { IndicatorInputInit } from '../client/index.js';
import { Tlp } from '../shared/gen/dtx/v1/indicator_pb.js';
import type { Random } from './random.js';

export interface LookupPair {
  kind: string;
  value: string;
}

type ValueMaker = (random: Random) => string;

interface KindShare {
  kind: string;
  weight: number;
  value: ValueMaker;
  /** Keyed kinds name their normalizer and federation key epoch. */
  normalizer?: string;
}

const ipv4: ValueMaker = (r) => `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
const ipv6: ValueMaker = (r) => `2001:db8:${Array.from({ length: 6 }, () => r.int(1, 0xffff).toString(16)).join(':')}`;

export const KIND_MIX: readonly KindShare[] = [
  { kind: 'account.email', weight: 35, value: (r) => r.hex(64), normalizer: 'email-v1' },
  { kind: 'payment.card', weight: 15, value: (r) => r.hex(64), normalizer: 'card-v1' },
  { kind: 'account.phone', weight: 10, value: (r) => r.hex(64), normalizer: 'phone-v1' },
  { kind: 'network.ip', weight: 20, value: (r) => (r.next() < 0.8 ? ipv4(r) : ipv6(r)) },
  { kind: 'prompt.simhash', weight: 10, value: (r) => r.hex(16), normalizer: 'simhash-v1' },
  { kind: 'client.ja4', weight: 5, value: (r) => `t13d${r.int(10, 99)}${r.int(10, 99)}h2_${r.hex(12)}_${r.hex(12)}` },
  { kind: 'infra.domain', weight: 5, value: (r) => `x${r.hex(10)}.proxy-${r.int(1, 999)}.example.net` },
];

const TOTAL_WEIGHT = KIND_MIX.reduce((sum, k) => sum + k.weight, 0);
const TECHNIQUES = ['AML.T0024', 'AML.T0024.002', 'AML.T0040', 'AML.T0048'];
const TAGS = ['distillation', 'scraping', 'api-abuse', 'proxy-pool', 'account-farm', 'bench'];

function share(random: Random): KindShare {
  let roll = random.next() * TOTAL_WEIGHT;
  for (const k of KIND_MIX) {
    roll -= k.weight;
    if (roll < 0) return k;
  }
  return KIND_MIX[0]!;
}

/** A (kind, value) pair in the same mix, for lookups that should miss. */
export function randomPair(random: Random): LookupPair {
  const k = share(random);
  return { kind: k.kind, value: k.value(random) };
}

export interface MixOptions {
  /** valid_until as epoch ms; omitted means the kind's default validity. */
  validUntilMs?: number;
}

export function randomIndicator(random: Random, options: MixOptions = {}): IndicatorInputInit {
  const k = share(random);
  const input: IndicatorInputInit = {
    kind: k.kind,
    value: k.value(random),
    tlp: random.next() < 0.7 ? Tlp.AMBER : Tlp.GREEN,
    confidence: random.int(40, 95),
    tags: [random.pick(TAGS), 'bench'],
    campaign: `campaign-${random.int(1, 200)}`,
    techniques: random.next() < 0.5 ? [random.pick(TECHNIQUES)] : [],
    description: random.next() < 0.2 ? `seen in a distillation run against the chat API, cluster ${random.hex(8)}` : '',
  };
  if (k.normalizer !== undefined) {
    input.normalizer = k.normalizer;
    input.keyEpoch = 1;
  }
  if (options.validUntilMs !== undefined) input.validUntil = timestampFromMs(options.validUntilMs);
  return input;
}
