/** A valid IndicatorInput with overrides, and a fixed clock, for validate tests. */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { IndicatorInputSchema, Tlp, type IndicatorInput } from '../../../shared/gen/dtx/v1/indicator_pb.js';

export const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
export const HASH = '0123456789abcdef'.repeat(4);

export type InputInit = MessageInitShape<typeof IndicatorInputSchema>;

/** account.email, TLP:AMBER, keyed with email-v1 at epoch 1; everything else unset. */
export function input(overrides: InputInit = {}): IndicatorInput {
  return create(IndicatorInputSchema, {
    kind: 'account.email',
    value: HASH,
    tlp: Tlp.AMBER,
    normalizer: 'email-v1',
    keyEpoch: 1,
    ...overrides,
  });
}

/** A non-keyed kind, so normalizer and key_epoch can be left empty. */
export function ipInput(overrides: InputInit = {}): IndicatorInput {
  return input({ kind: 'network.ip', value: '192.0.2.1', normalizer: '', keyEpoch: 0, ...overrides });
}

export const at = timestampFromMs;
