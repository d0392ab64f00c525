/**
 * The error shown when the client cannot connect. Whatever went wrong (refused, no answer
 * to the first ping), the user learns the same thing: the server at this address is
 * unavailable, and why.
 */
import { ErrorCode, errors, MiniSqlError } from '@minisql/common';

export function connectionError(thrown: unknown, address: string): MiniSqlError {
  if (thrown instanceof MiniSqlError && thrown.code === ErrorCode.UNAVAILABLE && thrown.message.includes(address)) return thrown;
  return errors.unavailable(address, thrown instanceof Error ? thrown.message : String(thrown));
}
