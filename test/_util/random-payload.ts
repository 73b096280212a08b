/** Random IndicatorPayload fields for codec tests: empty strings, zeros, negative times, non-ASCII text. */
import type { IndicatorPayloadFields } from '../../shared/log/indicator-payload-writer.js';

export function randomPayloadFields(next: () => number): IndicatorPayloadFields {
  const int = (max: number) => (next() < 0.2 ? 0 : Math.floor(next() * max));
  const text = (max: number) => (next() < 0.3 ? '' : Array.from({ length: 1 + int(max) }, () => String.fromCodePoint(32 + int(0x2ff))).join(''));
  const list = (max: number) => Array.from({ length: int(max) }, () => text(20) || 'x');
  return {
    id: next() < 0.1 ? new Uint8Array() : Uint8Array.from({ length: 16 }, () => int(256)),
    version: int(2 ** 32),
    kind: text(20),
    value: text(80),
    tlp: int(6),
    confidence: int(101),
    action: int(5),
    validFromMs: next() < 0.5 ? int(2 ** 45) : -int(2 ** 40),
    validUntilMs: int(2 ** 52),
    tags: list(5),
    campaign: text(30),
    techniques: list(4),
    description: text(300),
    normalizer: text(10),
    keyEpoch: int(2 ** 32),
    maxDistance: int(9),
  };
}
