/**
 * Checks on free text that ends up signed and replicated. Lengths count Unicode code points
 * (what a person would call characters), not UTF-16 units or bytes.
 */
import { invalidArgument } from '../errors.js';

// C0, DEL and C1 controls. They hide text in terminals and logs (ANSI escapes, NUL, CR).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const CONTROL_EXCEPT_NL_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;
// A lone surrogate cannot be encoded as UTF-8: protobuf would replace it with U+FFFD, and the
// bytes signed would differ from the text checked here.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

export interface TextRule {
  min: number;
  max: number;
  /** Whether "\n" and "\t" are allowed (multi-line text); other controls never are. */
  multiline: boolean;
  /** Whether a value of only white space counts as empty. */
  requireNonBlank?: boolean;
}

/** Throws invalidArgument(field) unless text satisfies the rule; returns text unchanged. */
export function checkText(text: string, field: string, rule: TextRule): string {
  if (hasLoneSurrogate(text)) throw invalidArgument(field, 'contains an unpaired UTF-16 surrogate');
  const length = codePointLength(text);
  if (length < rule.min) {
    throw invalidArgument(field, rule.min === 1 ? 'must not be empty' : `must be at least ${rule.min} characters`);
  }
  if (length > rule.max) throw invalidArgument(field, `must be at most ${rule.max} characters (got ${length})`);
  if ((rule.multiline ? CONTROL_EXCEPT_NL_TAB : CONTROL).test(text)) {
    throw invalidArgument(
      field,
      rule.multiline ? 'must not contain control characters other than newline and tab' : 'must not contain control characters',
    );
  }
  if (rule.requireNonBlank === true && text.trim() === '') throw invalidArgument(field, 'must not be blank');
  return text;
}
