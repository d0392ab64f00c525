import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from '@minisql/common';
import { connectionError } from '../src/connection-error.js';
import { formatError } from '../src/result-format.js';

describe('connectionError', () => {
  it('keeps an UNAVAILABLE error that already names the address', () => {
    const original = errors.unavailable('db:7001', 'connection refused');
    assert.equal(connectionError(original, 'db:7001'), original);
  });

  it('turns a timeout of the first ping into UNAVAILABLE naming the address', () => {
    const shown = formatError(connectionError(errors.timeout('db:7001', 5000), 'db:7001'));
    assert.equal(shown, 'ERROR UNAVAILABLE: server at db:7001 is unavailable: no answer from db:7001 within 5000 ms\n');
  });

  it('names the address even for an unexpected failure', () => {
    assert.match(
      formatError(connectionError(new Error('socket hang up'), '10.0.0.9:7001')),
      /^ERROR UNAVAILABLE: server at 10\.0\.0\.9:7001 is unavailable: socket hang up\n$/,
    );
  });
});
