import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ErrorCode, errors, MiniSqlError } from '../src/errors.js';

describe('the error policy of the catalog', () => {
  it('no code is both retryable and definite: a failure either may pass on retry or is certain', () => {
    for (const code of Object.values(ErrorCode)) {
      const error = new MiniSqlError(code, 'x');
      assert.ok(!(error.retryable && error.definite), `${code} is both`);
    }
  });

  it('a refused statement is definite; an unreachable member, a timeout, a lost primacy, a full disk or a bug leave the outcome unknown', () => {
    for (const code of ['SYNTAX_ERROR', 'DUPLICATE_KEY', 'TABLE_NOT_FOUND', 'NON_DETERMINISTIC'] as const)
      assert.equal(new MiniSqlError(code, 'x').definite, true, code);
    for (const code of ['UNAVAILABLE', 'TIMEOUT', 'NOT_PRIMARY', 'DISK_FULL', 'INTERNAL', 'LIMIT_EXCEEDED'] as const)
      assert.equal(new MiniSqlError(code, 'x').definite, false, code);
  });

  it('a statement the server stopped at its deadline is not retryable, on either side of the wire; a transport timeout is', () => {
    const stopped = errors.statementTimeout(3_000);
    assert.equal(stopped.code, 'TIMEOUT');
    assert.equal(stopped.retryable, false);
    assert.equal(MiniSqlError.fromProto(stopped.toProto() as never).retryable, false);
    const noAnswer = errors.timeout('10.0.0.1:7001', 3_000);
    assert.equal(noAnswer.retryable, true);
    assert.equal(MiniSqlError.fromProto(noAnswer.toProto() as never).retryable, true);
  });
});
