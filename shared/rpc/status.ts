/**
 * One table from DtxError codes to gRPC status codes, and the two directions of the mapping.
 * The code itself travels as google.rpc.ErrorInfo.reason in the grpc-status-details-bin
 * trailer, with the error's details as metadata, so clients recover the exact DtxError.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyPack, anyUnpack } from '@bufbuild/protobuf/wkt';
import { Metadata, status as GrpcStatus, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { DtxError, isErrorCode, type ErrorCode } from '../errors.js';
import { ErrorInfoSchema } from '../gen/google/rpc/error_details_pb.js';
import { StatusSchema, type Status } from '../gen/google/rpc/status_pb.js';

export const ERROR_DOMAIN = 'dtx.v1';
const DETAILS_KEY = 'grpc-status-details-bin';

export const GRPC_STATUS_OF: Record<ErrorCode, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  ABORTED: GrpcStatus.ABORTED,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  FUTURE_CURSOR: GrpcStatus.OUT_OF_RANGE,
  BAD_SIGNATURE: GrpcStatus.INVALID_ARGUMENT,
  CHAIN_BROKEN: GrpcStatus.FAILED_PRECONDITION,
  FORK: GrpcStatus.ABORTED,
  MALFORMED_ENTRY: GrpcStatus.INVALID_ARGUMENT,
  REPLAY: GrpcStatus.INVALID_ARGUMENT,
  UNKNOWN_ORIGIN: GrpcStatus.FAILED_PRECONDITION,
  ORIGIN_HALTED: GrpcStatus.FAILED_PRECONDITION,
  TLP_RED_UNSEALED: GrpcStatus.FAILED_PRECONDITION,
  CONFIG_INVALID: GrpcStatus.FAILED_PRECONDITION,
  DATA_DIR_INITIALIZED: GrpcStatus.ALREADY_EXISTS,
  DATA_DIR_MISSING: GrpcStatus.NOT_FOUND,
  NODE_RUNNING: GrpcStatus.FAILED_PRECONDITION,
  INTERNAL: GrpcStatus.INTERNAL,
};

// For errors that carry no ErrorInfo (transport failures, other servers).
const CODE_OF_STATUS: Partial<Record<GrpcStatus, ErrorCode>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [GrpcStatus.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [GrpcStatus.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [GrpcStatus.NOT_FOUND]: 'NOT_FOUND',
  [GrpcStatus.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [GrpcStatus.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [GrpcStatus.ABORTED]: 'ABORTED',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
  [GrpcStatus.UNAVAILABLE]: 'UNAVAILABLE',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
};

/**
 * A thrown value as a google.rpc.Status: the gRPC code, the message, and the DTX code in an
 * ErrorInfo. Non-DtxErrors are hidden as "internal error".
 */
export function statusOf(err: unknown): Status {
  const error = err instanceof DtxError ? err : new DtxError('INTERNAL', 'internal error');
  const info = create(ErrorInfoSchema, { reason: error.code, domain: ERROR_DOMAIN, metadata: error.details });
  return create(StatusSchema, { code: GRPC_STATUS_OF[error.code], message: error.message, details: [anyPack(ErrorInfoSchema, info)] });
}

/** Server side: a thrown value becomes a gRPC status, its Status in the details trailer. */
export function toGrpcStatus(err: unknown): Partial<StatusObject> {
  const statusMessage = statusOf(err);
  const metadata = new Metadata();
  metadata.set(DETAILS_KEY, Buffer.from(toBinary(StatusSchema, statusMessage)));
  return { code: statusMessage.code, details: statusMessage.message, metadata };
}

/** The DtxError a Status carries in its ErrorInfo, if it carries one of ours. */
export function errorOfStatus(statusMessage: Status): DtxError | undefined {
  for (const detail of statusMessage.details) {
    const info = anyUnpack(detail, ErrorInfoSchema);
    if (info && info.domain === ERROR_DOMAIN && isErrorCode(info.reason)) {
      return new DtxError(info.reason, statusMessage.message, { details: { ...info.metadata } });
    }
  }
  return undefined;
}

/** Client side: a failed call becomes the DtxError the server threw (or the closest code). */
export function fromGrpcError(err: ServiceError): DtxError {
  const raw = err.metadata?.get(DETAILS_KEY)[0];
  if (raw instanceof Buffer) {
    try {
      const error = errorOfStatus(fromBinary(StatusSchema, raw));
      if (error) return error;
    } catch {
      // Unparseable details: fall through to the status code.
    }
  }
  const code = CODE_OF_STATUS[err.code as GrpcStatus] ?? 'INTERNAL';
  return new DtxError(code, err.details || err.message, { cause: err });
}
