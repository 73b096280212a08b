/**
 * The one error type of DTX. Every failure that crosses a module boundary is a DtxError with a
 * code from this closed union; the gRPC layer maps codes to status codes in one table
 * (shared/rpc/status.ts) and tests assert codes, never message text.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'ABORTED',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'FUTURE_CURSOR',
  'BAD_SIGNATURE',
  'CHAIN_BROKEN',
  'FORK',
  'MALFORMED_ENTRY',
  'REPLAY',
  'UNKNOWN_ORIGIN',
  'ORIGIN_HALTED',
  'TLP_RED_UNSEALED',
  'CONFIG_INVALID',
  'DATA_DIR_INITIALIZED',
  'DATA_DIR_MISSING',
  'NODE_RUNNING',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value);
}

export interface DtxErrorOptions {
  /** Machine-readable context (field paths, indexes); travels in google.rpc.ErrorInfo metadata. */
  details?: Record<string, string>;
  cause?: unknown;
}

export class DtxError extends Error {
  override readonly name = 'DtxError';
  readonly code: ErrorCode;
  readonly details: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: DtxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}


/** Shorthand for the most common failure: bad input, naming the field. */
export function invalidArgument(field: string, message: string, details: Record<string, string> = {}): DtxError {
  return new DtxError('INVALID_ARGUMENT', `${field}: ${message}`, { details: { field, ...details } });
}
