import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupRecord, RegionRecord, TableRecord } from '@minisql/common';
import {
  chooseGroupForTable,
  groupsChoosingPrimary,
  nextGroupId,
  planGroupRepairs,
  planNewGroups,
  promotionOrder,
  spareRegions,
} from '../src/cluster-planner.js';
import type { ClusterView } from '../src/cluster-view.js';

function region(id: string): RegionRecord {
  return { id, host: id, grpcAddress: `${id}:1`, ftpAddress: `${id}:2`, incarnation: `inc-${id}`, startedAtMs: 0 };
}

function view(regions: string[], groups: GroupRecord[] = [], tables: Array<[string, string]> = []): ClusterView {
  return {
    regions: new Map(regions.map((id) => [id, region(id)])),
    groups: new Map(groups.map((g) => [g.id, g])),
    tables: new Map(tables.map(([name, group]) => [name, { name, group, state: 'ready' } as TableRecord])),
  };
}

const group = (id: string, primary: string, ...inSync: string[]): GroupRecord => ({
  id,
  epoch: 1,
  primary,
  primaryIncarnation: `inc-${primary}`,
  inSync,
  catchingUp: [],
});

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
    const loaded = view(regions, groups, [
      ['a', 'g1'],
      ['b', 'g2'],
    ]);
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

describe('planGroupRepairs', () => {
  it('promotes the first live in-sync replica when the primary dies, bumping the epoch', () => {
    const [next] = planGroupRepairs(view(['r2', 'r3'], [group('g1', 'r1', 'r2', 'r3')]));
    assert.deepEqual(next, { id: 'g1', epoch: 2, primary: 'r2', primaryIncarnation: 'inc-r2', inSync: ['r3'], catchingUp: [] });
  });

  it('does not replace a primary whose lease it revoked until the fence ends (a REJECT firewall looks like death), but removes dead replicas meanwhile', () => {
    const groups = [group('g1', 'r1', 'r2'), group('g2', 'r3', 'r4', 'r5')];
    const fenced = new Set(['r1', 'r5']);
    assert.deepEqual(planGroupRepairs(view(['r2', 'r3', 'r4'], groups), fenced), [group('g2', 'r3', 'r4')]);
    const [promoted] = planGroupRepairs(view(['r2', 'r3', 'r4'], [group('g1', 'r1', 'r2')]), new Set());
    assert.equal(promoted?.primary, 'r2', 'once the fence ended the replica took over');
  });

  it('waits for a dead primary when no in-sync replica lives: promoting a lagging one would lose writes', () => {
    const lagging: GroupRecord = { ...group('g1', 'r1'), catchingUp: ['r2'] };
    assert.deepEqual(planGroupRepairs(view(['r2'], [lagging])), []);
  });

  it('takes dead replicas out of the group without changing the epoch', () => {
    assert.deepEqual(planGroupRepairs(view(['r1', 'r3'], [group('g1', 'r1', 'r2', 'r3')])), [group('g1', 'r1', 'r3')]);
  });

  it('treats a restarted primary as dead when a replica can take over', () => {
    const regions = view(['r1', 'r2'], [group('g1', 'r1', 'r2')]);
    const restarted = { ...regions, regions: new Map([...regions.regions].map(([id, r]) => [id, id === 'r1' ? { ...r, incarnation: 'new' } : r])) };
    const [next] = planGroupRepairs(restarted);
    assert.deepEqual([next?.primary, next?.epoch, next?.inSync], ['r2', 2, []]);
  });

  it('adopts a restarted primary that is the only member left, with a new epoch', () => {
    const alone = view(['r1'], [group('g1', 'r1')]);
    const restarted = { ...alone, regions: new Map([['r1', { ...region('r1'), incarnation: 'new' }]]) };
    assert.deepEqual(planGroupRepairs(restarted), [{ ...group('g1', 'r1'), epoch: 2, primaryIncarnation: 'new' }]);
  });

  it('changes nothing in a healthy cluster', () => {
    assert.deepEqual(planGroupRepairs(view(['r1', 'r2'], [group('g1', 'r1', 'r2')])), []);
  });

  it('promotes the most advanced live in-sync replica: the one holding the most entries, unacknowledged ones included', () => {
    const positions = new Map([
      [
        'r2',
        new Map([
          ['a', 10],
          ['b', 4],
        ]),
      ],
      [
        'r3',
        new Map([
          ['a', 11],
          ['b', 4],
        ]),
      ],
    ]);
    const [next] = planGroupRepairs(view(['r2', 'r3'], [group('g1', 'r1', 'r2', 'r3')]), new Set(), positions);
    assert.deepEqual([next?.primary, next?.inSync, next?.epoch], ['r3', ['r2'], 2]);
  });

  it('among equals keeps the group order, and puts a replica that did not say where it stands last', () => {
    assert.deepEqual(
      promotionOrder(
        ['r2', 'r3', 'r4'],
        new Map([
          ['r3', new Map([['a', 5]])],
          ['r4', new Map([['a', 5]])],
        ]),
      ),
      ['r3', 'r4', 'r2'],
    );
    assert.deepEqual(promotionOrder(['r2', 'r3'], new Map()), ['r2', 'r3']);
  });

  it('asks for positions only in groups that must choose among several in-sync replicas', () => {
    const groups = [group('g1', 'r1', 'r2', 'r3'), group('g2', 'r4', 'r5'), group('g3', 'r6', 'r7', 'r8'), group('g4', 'r9', 'r10', 'r11')];
    const live = ['r2', 'r3', 'r5', 'r6', 'r7', 'r8', 'r10', 'r11'];
    assert.deepEqual(
      groupsChoosingPrimary(view(live, groups), new Set(['r9'])).map((g) => g.id),
      ['g1'],
    );
  });
});
