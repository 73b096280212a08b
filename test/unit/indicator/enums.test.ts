import { describe, expect, it } from 'vitest';
import { Action, RetractReason, Tlp } from '../../../shared/gen/dtx/v1/indicator_pb.js';
import {
  ACTION_NAMES,
  actionName,
  parseAction,
  parseRetractReason,
  parseTlp,
  RETRACT_REASON_NAMES,
  retractReasonName,
  TLP_NAMES,
  tlpName,
} from '../../../shared/indicator/enums.js';
import { expectInvalid } from './expect-invalid.js';

describe('TLP', () => {
  it.each([
    ['clear', Tlp.CLEAR],
    ['CLEAR', Tlp.CLEAR],
    ['TLP:CLEAR', Tlp.CLEAR],
    ['green', Tlp.GREEN],
    ['tlp:green', Tlp.GREEN],
    ['amber', Tlp.AMBER],
    ['Amber', Tlp.AMBER],
    ['amber+strict', Tlp.AMBER_STRICT],
    ['AMBER+STRICT', Tlp.AMBER_STRICT],
    ['TLP:AMBER+STRICT', Tlp.AMBER_STRICT],
    ['amber_strict', Tlp.AMBER_STRICT],
    ['amber-strict', Tlp.AMBER_STRICT],
    ['TLP_AMBER_STRICT', Tlp.AMBER_STRICT],
    ['red', Tlp.RED],
    ['TLP:RED', Tlp.RED],
  ])('parses %s', (text, tlp) => {
    expect(parseTlp(text, 'tlp')).toBe(tlp);
  });

  it.each(['', 'unspecified', 'TLP_UNSPECIFIED', 'orange', 'white', 'tlp:', 'amberstrict', 'amber+', '3'])('rejects %j', (text) => {
    expectInvalid(() => parseTlp(text, 'items[0].tlp'), 'items[0].tlp');
  });

  it('displays TLP 2.0 spelling in upper case', () => {
    expect([Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED].map(tlpName)).toEqual([
      'CLEAR',
      'GREEN',
      'AMBER',
      'AMBER+STRICT',
      'RED',
    ]);
    expect(TLP_NAMES).toEqual(['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED']);
    expect(tlpName(Tlp.UNSPECIFIED)).toBe('UNSPECIFIED');
    expect(tlpName(42 as Tlp)).toBe('UNKNOWN(42)');
  });

  it('parses every display name back', () => {
    for (const name of TLP_NAMES) expect(tlpName(parseTlp(name, 'tlp'))).toBe(name);
  });
});

describe('Action', () => {
  it.each([
    ['block', Action.BLOCK],
    ['BLOCK', Action.BLOCK],
    ['challenge', Action.CHALLENGE],
    [' Flag ', Action.FLAG],
    ['review', Action.REVIEW],
    ['ACTION_REVIEW', Action.REVIEW],
  ])('parses %j', (text, action) => {
    expect(parseAction(text, 'action')).toBe(action);
  });

  it.each(['', 'unspecified', 'deny', 'blocked'])('rejects %j', (text) => {
    expectInvalid(() => parseAction(text, 'action'), 'action');
  });

  it('displays lower-case names and parses them back', () => {
    expect(ACTION_NAMES).toEqual(['block', 'challenge', 'flag', 'review']);
    for (const name of ACTION_NAMES) expect(actionName(parseAction(name, 'action'))).toBe(name);
    expect(actionName(Action.UNSPECIFIED)).toBe('unspecified');
    expect(actionName(9 as Action)).toBe('unknown(9)');
  });
});

describe('RetractReason', () => {
  it.each([
    ['false_positive', RetractReason.FALSE_POSITIVE],
    ['false-positive', RetractReason.FALSE_POSITIVE],
    ['FALSE_POSITIVE', RetractReason.FALSE_POSITIVE],
    ['False-Positive', RetractReason.FALSE_POSITIVE],
    ['expired', RetractReason.EXPIRED],
    ['LEGAL', RetractReason.LEGAL],
    ['superseded', RetractReason.SUPERSEDED],
    ['RETRACT_REASON_SUPERSEDED', RetractReason.SUPERSEDED],
  ])('parses %j', (text, reason) => {
    expect(parseRetractReason(text, 'reason')).toBe(reason);
  });

  it.each(['', 'unspecified', 'falsepositive', 'fp', 'obsolete'])('rejects %j', (text) => {
    expectInvalid(() => parseRetractReason(text, 'reason'), 'reason');
  });

  it('displays lower-case names and parses them back', () => {
    expect(RETRACT_REASON_NAMES).toEqual(['false_positive', 'expired', 'legal', 'superseded']);
    for (const name of RETRACT_REASON_NAMES) expect(retractReasonName(parseRetractReason(name, 'r'))).toBe(name);
    expect(retractReasonName(RetractReason.UNSPECIFIED)).toBe('unspecified');
  });
});
