/**
 * Friendly names for the protobuf enums, for CLI flags, JSON Lines input and display. Parsing
 * is lenient about case, separators and the "TLP:" prefix people copy from marked documents;
 * display uses one spelling (TLP 2.0 upper case, actions and reasons lower case).
 */
import { invalidArgument } from '../errors.js';
import { Action, RetractReason, SightingType, Tlp } from '../gen/dtx/v1/indicator_pb.js';

const TLP_BY_NAME: ReadonlyMap<string, Tlp> = new Map([
  ['clear', Tlp.CLEAR],
  ['green', Tlp.GREEN],
  ['amber', Tlp.AMBER],
  ['amber_strict', Tlp.AMBER_STRICT],
  ['red', Tlp.RED],
]);

const TLP_DISPLAY: Readonly<Record<number, string>> = {
  [Tlp.CLEAR]: 'CLEAR',
  [Tlp.GREEN]: 'GREEN',
  [Tlp.AMBER]: 'AMBER',
  [Tlp.AMBER_STRICT]: 'AMBER+STRICT',
  [Tlp.RED]: 'RED',
};

const ACTION_BY_NAME: ReadonlyMap<string, Action> = new Map([
  ['block', Action.BLOCK],
  ['challenge', Action.CHALLENGE],
  ['flag', Action.FLAG],
  ['review', Action.REVIEW],
]);

const RETRACT_REASON_BY_NAME: ReadonlyMap<string, RetractReason> = new Map([
  ['false_positive', RetractReason.FALSE_POSITIVE],
  ['expired', RetractReason.EXPIRED],
  ['legal', RetractReason.LEGAL],
  ['superseded', RetractReason.SUPERSEDED],
]);

const SIGHTING_TYPE_BY_NAME: ReadonlyMap<string, SightingType> = new Map([
  ['seen', SightingType.SEEN],
  ['false_positive', SightingType.FALSE_POSITIVE],
]);

/** Display names, in enum order, for help texts and error messages. */
export const TLP_NAMES: readonly string[] = Object.values(TLP_DISPLAY);
export const ACTION_NAMES: readonly string[] = [...ACTION_BY_NAME.keys()];
export const RETRACT_REASON_NAMES: readonly string[] = [...RETRACT_REASON_BY_NAME.keys()];
export const SIGHTING_TYPE_NAMES: readonly string[] = [...SIGHTING_TYPE_BY_NAME.keys()];

/** Lower case, one separator: "TLP:Amber+Strict", "amber-strict", "TLP_AMBER_STRICT" all agree. */
function key(text: string, prefix: RegExp): string {
  return text.trim().toLowerCase().replace(prefix, '').replace(/[+\- ]/g, '_');
}

function lookup<T>(table: ReadonlyMap<string, T>, text: string, prefix: RegExp, what: string, field: string, names: readonly string[]): T {
  const found = table.get(key(text, prefix));
  if (found === undefined) throw invalidArgument(field, `unknown ${what} '${text}': one of ${names.join(', ')}`);
  return found;
}

export function parseTlp(text: string, field: string): Tlp {
  // "TLP:" as in document markings, "TLP_" as in the protobuf enum value names.
  return lookup(TLP_BY_NAME, text, /^tlp[:_]\s*/, 'TLP', field, TLP_NAMES);
}

export function parseAction(text: string, field: string): Action {
  return lookup(ACTION_BY_NAME, text, /^action_/, 'action', field, ACTION_NAMES);
}

export function parseRetractReason(text: string, field: string): RetractReason {
  return lookup(RETRACT_REASON_BY_NAME, text, /^retract_reason_/, 'retract reason', field, RETRACT_REASON_NAMES);
}

export function parseSightingType(text: string, field: string): SightingType {
  return lookup(SIGHTING_TYPE_BY_NAME, text, /^sighting_type_/, 'sighting type', field, SIGHTING_TYPE_NAMES);
}

function nameOf<T extends number>(table: ReadonlyMap<string, T>, value: T): string | undefined {
  for (const [name, v] of table) if (v === value) return name;
  return undefined;
}

/** "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"; "UNSPECIFIED" or "UNKNOWN(n)" otherwise. */
export function tlpName(tlp: Tlp): string {
  return TLP_DISPLAY[tlp] ?? (tlp === Tlp.UNSPECIFIED ? 'UNSPECIFIED' : `UNKNOWN(${tlp})`);
}

/** "block", "challenge", "flag", "review"; "unspecified" or "unknown(n)" otherwise. */
export function actionName(action: Action): string {
  return nameOf(ACTION_BY_NAME, action) ?? (action === Action.UNSPECIFIED ? 'unspecified' : `unknown(${action})`);
}

/** "false_positive", "expired", "legal", "superseded"; "unspecified" or "unknown(n)" otherwise. */
export function retractReasonName(reason: RetractReason): string {
  return (
    nameOf(RETRACT_REASON_BY_NAME, reason) ??
    (reason === RetractReason.UNSPECIFIED ? 'unspecified' : `unknown(${reason})`)
  );
}

/** "seen", "false_positive"; "unspecified" or "unknown(n)" otherwise. */
export function sightingTypeName(type: SightingType): string {
  return nameOf(SIGHTING_TYPE_BY_NAME, type) ?? (type === SightingType.UNSPECIFIED ? 'unspecified' : `unknown(${type})`);
}
