import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseGroupRecord, withAssignmentsPruned, withCatchingUp, type GroupRecord } from '../src/index.js';

const base: GroupRecord = { id: 'g1', epoch: 3, primary: 'r1', inSync: ['r2'], catchingUp: ['r3'], assignments: { r3: 'a' } };

describe('catch-up assignments in the group record', () => {
  it('gives a new id to each region put into catchingUp, and keeps the id of one already copying', () => {
    let next = 0;
    const changed = withCatchingUp(base, ['r3', 'r4', 'r5'], () => `new${++next}`);
    assert.deepEqual(changed.catchingUp, ['r3', 'r4', 'r5']);
    assert.deepEqual(changed.assignments, { r3: 'a', r4: 'new1', r5: 'new2' });
    assert.equal(
      withCatchingUp(base, ['r3'], () => assert.fail('no new id for a region already copying')),
      base,
    );
  });

  it('drops the ids of regions no longer catching up, and the field when none is left', () => {
    assert.deepEqual(withAssignmentsPruned({ ...base, assignments: { r3: 'a', r9: 'b' } }).assignments, { r3: 'a' });
    assert.equal('assignments' in withAssignmentsPruned({ ...base, catchingUp: [] }), false);
    assert.equal(withAssignmentsPruned(base), base, 'nothing to drop: the same record');
  });

  it('refuses a stored record whose assignments are not a map of strings, naming the key and field', () => {
    for (const assignments of [['r3'], { r3: 7 }, 'r3']) {
      assert.throws(
        () => parseGroupRecord('/minisql/groups/g1', JSON.stringify({ ...base, assignments })),
        /etcd key \/minisql\/groups\/g1 has a bad or missing field assignments/,
      );
    }
    assert.deepEqual(parseGroupRecord('/minisql/groups/g1', JSON.stringify(base)).assignments, { r3: 'a' });
  });
});
