/**
 * The one place where gRPC transport statuses become catalog errors. SQL errors travel
 * inside responses; a gRPC status only ever means the call itself did not complete.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { errors, MiniSqlError } from '@minisql/common';

/** The part of a gRPC ServiceError this mapping reads. */
export interface GrpcFailure {
  code?: number;
  details?: string;
  message?: string;
}

export function errorFromGrpcStatus(error: GrpcFailure, address: string, timeoutMs: number): MiniSqlError {
  switch (error.code) {
    case GrpcStatus.DEADLINE_EXCEEDED:
      return errors.timeout(address, timeoutMs);
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.CANCELLED:
      return errors.unavailable(address, error.details || error.message || 'connection failed');
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return errors.limitExceeded(`message to ${address}`, 0);
    default:
      return errors.internal(`call to ${address} failed with gRPC status ${error.code ?? '?'}: ${error.details ?? error.message ?? ''}`);
  }
}
