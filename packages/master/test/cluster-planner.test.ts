import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { admittedToInSync, assignmentOf, joinRefusal, type GroupRecord, type RegionRecord, type TableRecord } from '@minisql/common';
import {
  chooseGroupForTable,
  groupsChoosingPrimary,
  nextGroupId,
  planGroupRepairs,
  planNewGroups,
  planReplacements,
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

describe('catch-up assignments: a replica given back to its group in the same epoch', () => {
  /** Assignment ids in order, so the scenario can name them. */
  const ids =
    (...names: string[]) =>
    () =>
      names.shift() ?? assert.fail('more assignments than the scenario expected');
  const only = (groups: GroupRecord[]): GroupRecord => (assert.equal(groups.length, 1, JSON.stringify(groups)), groups[0] as GroupRecord);

  it('copies under a new assignment, and a Join left from the first one is refused (it discarded that copy while a spare)', () => {
    // r2 is given to g1 and copies; its Join waits on the primary r1.
    const assigned = only(planReplacements(view(['r1', 'r2'], [group('g1', 'r1')]), 2, ids('first')));
    assert.deepEqual(assigned.catchingUp, ['r2']);
    assert.deepEqual(assigned.assignments, { r2: 'first' });
    assert.equal(joinRefusal(assigned, 'r2', 'first'), undefined);
    // Its lease runs out: the master takes it out (and its assignment with it).
    const removed = only(planGroupRepairs(view(['r1'], [assigned])));
    assert.deepEqual(removed.catchingUp, []);
    assert.equal(removed.assignments, undefined);
    // It registers again as a spare (and discards its copy); the master gives it back, same epoch.
    const givenBack = only(planReplacements(view(['r1', 'r2'], [removed]), 2, ids('second')));
    assert.equal(givenBack.epoch, assigned.epoch);
    assert.deepEqual(givenBack.catchingUp, ['r2']);
    // The waiting Join now completes: under the first assignment it must not admit r2.
    assert.match(joinRefusal(givenBack, 'r2', 'first') ?? '', /assignment first of g1, which has ended \(now second\)/);
    assert.equal(admittedToInSync(givenBack, 'r2', 'first'), undefined);
    // The copy it makes under the second does.
    const joined = admittedToInSync(givenBack, 'r2', 'second');
    assert.deepEqual(joined && { inSync: joined.inSync, catchingUp: joined.catchingUp, assignments: joined.assignments }, {
      inSync: ['r2'],
      catchingUp: [],
      assignments: undefined,
    });
  });

  it('keeps the assignment of a replica still catching up when the group changes around it', () => {
    const copying = { ...group('g1', 'r1', 'r2'), catchingUp: ['r3'], assignments: { r3: 'first' } };
    // r2 dies: r3 keeps copying under the same assignment.
    const repaired = only(planGroupRepairs(view(['r1', 'r3'], [copying])));
    assert.deepEqual(repaired.assignments, { r3: 'first' });
    // A failover keeps it too (the new primary admits it under the same id).
    const promoted = only(planGroupRepairs(view(['r2', 'r3'], [copying])));
    assert.equal(promoted.primary, 'r2');
    assert.deepEqual(promoted.assignments, { r3: 'first' });
    assert.equal(joinRefusal(promoted, 'r3', 'first'), undefined);
  });

  it('refuses a Join from a region that is not catching up; one from a version before assignments (none sent) is checked as before', () => {
    const copying = { ...group('g1', 'r1'), catchingUp: ['r2'], assignments: { r2: 'first' } };
    assert.match(joinRefusal(copying, 'r3', 'first') ?? '', /r3 is not catching up in g1/);
    assert.match(joinRefusal(copying, 'r2', 'other') ?? '', /assignment other of g1, which has ended \(now first\)/);
    // An older region sends no id: checked as before (refused, it would copy forever during an upgrade).
    assert.deepEqual(admittedToInSync(copying, 'r2', '')?.inSync, ['r2']);
    assert.match(joinRefusal(copying, 'r3', '') ?? '', /r3 is not catching up in g1/);
    // A record written by an older master, with no ids, admits this version's replica (which read none).
    const older = { ...group('g1', 'r1'), catchingUp: ['r2'] };
    assert.deepEqual(admittedToInSync(older, 'r2', '')?.inSync, ['r2']);
  });

  it('during an upgrade, a copy begun under a record of an earlier master (no id) keeps the old check even once the new master gives the replica back: the window that upgrading masters first keeps to copies already under way', () => {
    // Written by a master of an earlier version: r2 catching up, with no id to copy under.
    const older = { ...group('g1', 'r1'), catchingUp: ['r2'] };
    const sentByThatCopy = assignmentOf(older, 'r2');
    assert.equal(sentByThatCopy, '');
    // The masters are upgraded; r2's lease runs out while its Join waits; the new master takes it out and gives it back.
    const removed = only(planGroupRepairs(view(['r1'], [older])));
    const givenBack = only(planReplacements(view(['r1', 'r2'], [removed]), 2, ids('second')));
    assert.deepEqual(givenBack.assignments, { r2: 'second' });
    // The Join of the copy begun before the upgrade sends no id, as a region of an earlier version does, and is checked as that version checked it.
    assert.deepEqual(admittedToInSync(givenBack, 'r2', sentByThatCopy)?.inSync, ['r2']);
    // Every copy begun from now on carries an id, and is held to it.
    assert.equal(assignmentOf(givenBack, 'r2'), 'second');
    assert.match(joinRefusal(givenBack, 'r2', 'first') ?? '', /assignment first of g1, which has ended \(now second\)/);
  });
});
