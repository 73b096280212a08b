/** Assertions on DtxError INVALID_ARGUMENT by code and details, never by message text. */
import { expect } from 'vitest';
import { DtxError } from '../../../shared/errors.js';

export function catchDtxError(fn: () => unknown): DtxError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DtxError) return err;
    throw err;
  }
  throw new Error('expected a DtxError, nothing was thrown');
}

/** Asserts fn throws INVALID_ARGUMENT naming `field`; returns the error for further checks. */
export function expectInvalid(fn: () => unknown, field: string): DtxError {
  const err = catchDtxError(fn);
  expect(err.code).toBe('INVALID_ARGUMENT');
  expect(err.details.field).toBe(field);
  return err;
}
