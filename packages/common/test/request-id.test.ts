import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { newRequestId } from '../src/request-id.js';

describe('request ids', () => {
  it('are UUIDs of version 7 carrying the time they were made', () => {
    const nowMs = Date.UTC(2026, 10, 21, 12, 0, 0);
    const id = newRequestId(nowMs);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), nowMs);
  });

  it('sort by the time they were made, so a region indexes them at the right edge', () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => newRequestId(1_700_000_000_000 + i));
    assert.deepEqual([...ids].sort(), ids);
  });

  it('made in the same millisecond are still distinct', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newRequestId(1_700_000_000_000)));
    assert.equal(ids.size, 10_000);
  });
});
