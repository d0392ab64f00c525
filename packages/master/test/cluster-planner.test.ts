import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupRecord, RegionRecord, TableRecord } from '@minisql/common';
import { chooseGroupForTable, nextGroupId, planNewGroups, spareRegions } from '../src/cluster-planner.js';
import type { ClusterView } from '../src/cluster-view.js';

function region(id: string): RegionRecord {
  return { id, host: id, grpcAddress: `${id}:1`, ftpAddress: `${id}:2`, incarnation: 'x', startedAtMs: 0 };
}

function view(regions: string[], groups: GroupRecord[] = [], tables: Array<[string, string]> = []): ClusterView {
  return {
    regions: new Map(regions.map((id) => [id, region(id)])),
    groups: new Map(groups.map((g) => [g.id, g])),
    tables: new Map(tables.map(([name, group]) => [name, { name, group, state: 'ready' } as TableRecord])),
  };
}

const group = (id: string, primary: string, ...inSync: string[]): GroupRecord => ({ id, epoch: 1, primary, inSync, catchingUp: [] });

describe('planNewGroups', () => {
  it('waits until enough spares exist to fill a group', () => {
    assert.deepEqual(planNewGroups(view(['r1']), 2), []);
  });

  it('pairs spares in id order, the first of each pair as primary', () => {
    assert.deepEqual(planNewGroups(view(['r4', 'r2', 'r3', 'r1', 'r5']), 2), [group('g1', 'r1', 'r2'), group('g2', 'r3', 'r4')]);
  });

  it('leaves grouped regions alone and numbers new groups after the highest', () => {
    const current = view(['r1', 'r2', 'r3', 'r4'], [group('g7', 'r1', 'r2')]);
    assert.deepEqual(spareRegions(current), ['r3', 'r4']);
    assert.deepEqual(planNewGroups(current, 2), [group('g8', 'r3', 'r4')]);
  });

  it('forms groups of any replication factor', () => {
    assert.deepEqual(planNewGroups(view(['a', 'b', 'c']), 3), [group('g1', 'a', 'b', 'c')]);
    assert.deepEqual(planNewGroups(view(['a', 'b']), 1), [group('g1', 'a'), group('g2', 'b')]);
  });

  it('counts a region that has died as still in its group', () => {
    assert.deepEqual(spareRegions(view(['r1', 'r3'], [group('g1', 'r1', 'r2')])), ['r3']);
  });
});

describe('chooseGroupForTable', () => {
  it('says why there is no group yet', () => {
    const choice = chooseGroupForTable(view(['r1']), 2);
    assert.deepEqual(choice, { none: 'no replica group has formed: 1 region(s) registered, 2 needed per group' });
  });

  it('places a table on the group with the fewest tables, ties going to the lower id', () => {
    const groups = [group('g1', 'r1', 'r2'), group('g2', 'r3', 'r4'), group('g10', 'r5', 'r6')];
    const regions = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    const empty = chooseGroupForTable(view(regions, groups), 2);
    assert.equal('group' in empty ? empty.group.id : '', 'g1');
    const loaded = view(regions, groups, [['a', 'g1'], ['b', 'g2']]);
    const choice = chooseGroupForTable(loaded, 2);
    assert.equal('group' in choice ? choice.group.id : '', 'g10');
  });

  it('skips a group whose primary is not running', () => {
    const choice = chooseGroupForTable(view(['r2', 'r3', 'r4'], [group('g1', 'r1', 'r2'), group('g2', 'r3', 'r4')], [['a', 'g2']]), 2);
    assert.equal('group' in choice ? choice.group.id : '', 'g2');
    assert.deepEqual(chooseGroupForTable(view(['r2'], [group('g1', 'r1', 'r2')]), 2), { none: 'no group has a live primary' });
  });

  it('numbers groups g1..g9 before g10', () => {
    assert.equal(nextGroupId(view([], [group('g9', 'a'), group('g10', 'b')])), 'g11');
  });
});
