/** Asserting DtxError codes and details (never message text). */
import { expect } from 'vitest';
import { DtxError, type ErrorCode } from '../../shared/errors.js';

/** Awaits a promise that must reject with a DtxError of this code whose details include `details`. */
export async function expectDtxError(promise: Promise<unknown>, code: ErrorCode, details?: Record<string, string>): Promise<DtxError> {
  const outcome = await promise.then(
    (value: unknown) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  if (outcome.ok) throw new Error(`expected a DtxError ${code}, but the call succeeded`);
  const err = outcome.err;
  expect(err).toBeInstanceOf(DtxError);
  const dtx = err as DtxError;
  expect({ code: dtx.code, details: dtx.details }).toMatchObject({ code, ...(details ? { details } : {}) });
  return dtx;
}

/** The same for synchronous code. */
export function expectDtxErrorSync(fn: () => unknown, code: ErrorCode, details?: Record<string, string>): DtxError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) throw new Error(`expected a DtxError ${code}, but nothing was thrown`);
  expect(caught).toBeInstanceOf(DtxError);
  const dtx = caught as DtxError;
  expect({ code: dtx.code, details: dtx.details }).toMatchObject({ code, ...(details ? { details } : {}) });
  return dtx;
}

/** Drains an async iterable into an array (bounded by what the server sends). */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
