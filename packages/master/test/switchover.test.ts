import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupRecord, RegionRecord } from '@minisql/common';
import type { ClusterView } from '../src/cluster-view.js';
import { planSwitchover } from '../src/switchover.js';

const region = (id: string): RegionRecord => ({ id, host: id, grpcAddress: `${id}:1`, ftpAddress: `${id}:2`, incarnation: `inc-${id}`, startedAtMs: 0 });
const view = (regions: string[], ...groups: GroupRecord[]): ClusterView => ({
  regions: new Map(regions.map((id) => [id, region(id)])),
  groups: new Map(groups.map((g) => [g.id, g])),
  tables: new Map(),
});
const g1: GroupRecord = { id: 'g1', epoch: 4, primary: 'r1', primaryIncarnation: 'inc-r1', inSync: ['r2', 'r3'], catchingUp: ['r4'] };

describe('planSwitchover', () => {
  it('makes the target primary at the next epoch, with its own incarnation, and the old primary an in-sync replica', () => {
    assert.deepEqual(planSwitchover(view(['r1', 'r2', 'r3', 'r4'], g1), 'g1', 'r3'), {
      from: 'r1',
      to: 'r3',
      group: { id: 'g1', epoch: 5, primary: 'r3', primaryIncarnation: 'inc-r3', inSync: ['r2', 'r1'], catchingUp: ['r4'] },
    });
  });

  it('without a target picks the most advanced live in-sync replica', () => {
    const positions = new Map([
      ['r2', new Map([['t', 7]])],
      ['r3', new Map([['t', 9]])],
    ]);
    assert.equal(planSwitchover(view(['r1', 'r2', 'r3'], g1), 'g1', null, positions).to, 'r3');
    assert.equal(planSwitchover(view(['r1', 'r3'], g1), 'g1', null).to, 'r3', 'r2 is not running');
  });

  it('refuses, naming why: no such group, a target that is catching up or gone, a dead primary, no replica', () => {
    assert.throws(() => planSwitchover(view(['r1'], g1), 'g9', null), /group `g9`: it does not exist \(groups: g1\)/);
    assert.throws(() => planSwitchover(view(['r1', 'r2', 'r3', 'r4'], g1), 'g1', 'r4'), /`r4`: it is not a live in-sync replica of g1 \(in sync: r2, r3\)/);
    assert.throws(() => planSwitchover(view(['r2', 'r3'], g1), 'g1', null), /its primary r1 is not running: a failover is under way/);
    assert.throws(() => planSwitchover(view(['r1'], g1), 'g1', null), /no live in-sync replica to hand over to/);
  });
});
