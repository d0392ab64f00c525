import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { underWayRows } from '../src/activity-rows.js';
import type { ClusterStatusResponse } from '../src/proto-types.js';

describe('copies and moves under way, as the status page and status; show them', () => {
  it('a copy shows its region, group, table, share done and rate; a move its table, groups, phase and entries', () => {
    const status: ClusterStatusResponse = {
      regions: [
        { region_id: 'region3', group_id: 'g1', alive: true, copy: { table: 'orders', bytes: 30e6, expected_bytes: 120e6, bytes_per_second: 95e6 } },
        { region_id: 'region1', group_id: 'g1', alive: true },
      ],
      moves: [{ table: 'users', from_group: 'g1', to_group: 'g2', phase: 'catching-up', bytes: 2.5e6, entries: 340, started_at_ms: 10_000 }],
    };
    assert.deepEqual(underWayRows(status, 12_500), [
      ['copy', "region3 copies group g1's tables (now orders)", '25%: 30.0 MB of 120.0 MB at 95.0 MB/s'],
      ['move', 'table users from g1 to g2', 'catching-up: 2.5 MB copied, 340 entries since, for 2.5 s'],
    ]);
  });

  it('nothing under way: no rows', () => {
    assert.deepEqual(underWayRows({ regions: [{ region_id: 'region1', alive: true }], moves: [] }), []);
  });
});
