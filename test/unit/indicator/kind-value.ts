/** Runs a kind's value rule the way validate.ts does, with the field "value". */
import { canonicalValue, kindByName } from '../../../shared/indicator/kinds.js';
import { expectInvalid } from './expect-invalid.js';

export function canon(kind: string, value: string): string {
  const spec = kindByName(kind);
  if (spec === undefined) throw new Error(`no kind ${kind}`);
  return canonicalValue(spec, value, 'value');
}

export function expectRejected(kind: string, value: string): void {
  expectInvalid(() => canon(kind, value), 'value');
}
