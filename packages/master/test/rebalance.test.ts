import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupRecord, RegionRecord, TableRecord } from '@minisql/common';
import type { ClusterView } from '../src/cluster-view.js';
import { planRebalance } from '../src/rebalance.js';
import { planMove } from '../src/table-move.js';

const region = (id: string): RegionRecord => ({ id, host: id, grpcAddress: `${id}:1`, ftpAddress: `${id}:2`, incarnation: `inc-${id}`, startedAtMs: 0 });
const group = (id: string, primary: string, inSync: string[] = []): GroupRecord => ({ id, epoch: 1, primary, inSync, catchingUp: [] });
const table = (name: string, groupId: string, extra: Partial<TableRecord> = {}): TableRecord => ({
  name,
  group: groupId,
  definition: { columns: [], primaryKey: [] } as unknown as TableRecord['definition'],
  createSql: `create table ${name} (id int primary key)`,
  state: 'ready',
  indexes: [],
  ...extra,
});
const view = (regions: string[], groups: GroupRecord[], tables: TableRecord[]): ClusterView => ({
  regions: new Map(regions.map((id) => [id, region(id)])),
  groups: new Map(groups.map((g) => [g.id, g])),
  tables: new Map(tables.map((t) => [t.name.toLowerCase(), t])),
});
const live = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
const three = [group('g1', 'r1', ['r2']), group('g2', 'r3', ['r4']), group('g3', 'r5', ['r6'])];
const countByGroup = (v: ClusterView, moves: Array<{ table: string; to: string }>) => {
  const counts = new Map<string, number>();
  for (const t of v.tables.values()) {
    const to = moves.find((m) => m.table === t.name)?.to ?? t.group;
    counts.set(to, (counts.get(to) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort());
};

describe('planRebalance', () => {
  it('a new group takes tables from the full ones until counts differ by one at most', () => {
    const tables = ['a', 'b', 'c', 'd', 'e', 'f'].map((name, i) => table(name, i < 4 ? 'g1' : 'g2'));
    const v = view(live, three, tables);
    const moves = planRebalance(v);
    assert.deepEqual(countByGroup(v, moves), { g1: 2, g2: 2, g3: 2 });
    assert.ok(
      moves.every((m) => m.to === 'g3' || m.from === 'g1'),
      JSON.stringify(moves),
    );
  });

  it('with sizes, the move that brings the two groups closest in bytes goes first', () => {
    const v = view(live.slice(0, 4), three.slice(0, 2), [table('big', 'g1'), table('mid', 'g1'), table('small', 'g1'), table('other', 'g2')]);
    const sizes = new Map([
      ['big', 900],
      ['mid', 400],
      ['small', 10],
      ['other', 500],
    ]);
    // g1 holds 1310 bytes, g2 500: moving `mid` leaves 910 against 900.
    assert.deepEqual(planRebalance(v, sizes), [{ table: 'mid', from: 'g1', to: 'g2' }]);
  });

  it('moves nothing when counts already differ by one at most, or with one group', () => {
    assert.deepEqual(planRebalance(view(live, three, [table('a', 'g1'), table('b', 'g1'), table('c', 'g2'), table('d', 'g3')])), []);
    assert.deepEqual(planRebalance(view(live, three.slice(0, 1), [table('a', 'g1'), table('b', 'g1'), table('c', 'g1')])), []);
  });

  it('leaves out groups whose primary is down, and tables that are being created, dropped or moved', () => {
    const tables = [table('a', 'g1'), table('b', 'g1'), table('c', 'g1'), table('d', 'g1', { state: 'creating' }), table('e', 'g1', { movingTo: 'g3' })];
    // r3 (g2's primary) is down: g3 alone takes tables, and only the settled ones.
    const moves = planRebalance(view(['r1', 'r5'], three, tables));
    assert.deepEqual(moves, [{ table: 'a', from: 'g1', to: 'g3' }]);
  });

  it('is bounded: at most movesMax moves, and the next run continues', () => {
    const tables = Array.from({ length: 12 }, (_, i) => table(`t${i}`, 'g1'));
    const v = view(live, three, tables);
    const first = planRebalance(v, new Map(), 3);
    assert.equal(first.length, 3);
    const moved = new Set(first.map((m) => m.table));
    const after = view(
      live,
      three,
      tables.map((t) => (moved.has(t.name) ? { ...t, group: first.find((m) => m.table === t.name)?.to as string } : t)),
    );
    assert.deepEqual(countByGroup(after, planRebalance(after, new Map(), 10)), { g1: 4, g2: 4, g3: 4 });
  });
});

describe('planMove', () => {
  const v = view(live, three, [table('a', 'g1'), table('b', 'g2', { movingTo: 'g3' })]);

  it('names the source primary and every live member of the target group', () => {
    const plan = planMove(v, 'A', 'g2');
    assert.deepEqual(
      [plan.record.name, plan.from.id, plan.to.id, plan.sourcePrimary.id, plan.targetPrimary, plan.targetMembers],
      ['a', 'g1', 'g2', 'r1', 'r3:1', ['r3:1', 'r4:1']],
    );
  });

  it('refuses, naming why: no such table or group, the group it is on, a move under way, a dead primary', () => {
    assert.throws(() => planMove(v, 'nowhere', 'g2'), /nowhere/);
    assert.throws(() => planMove(v, 'a', 'g9'), /group `g9`: it does not exist \(groups: g1, g2, g3\)/);
    assert.throws(() => planMove(v, 'a', 'g1'), /it is on group g1 already/);
    assert.throws(() => planMove(v, 'b', 'g1'), /it is already being moved to g3/);
    assert.throws(() => planMove(view(['r1', 'r2'], three, [table('a', 'g1')]), 'a', 'g2'), /primary of group g2 is not running/);
  });
});
