/**
 * A Join is tied to the catch-up assignment it was copied under, with a real etcd: the
 * primary's JoinCoordinator and GroupMembership as the region runs them, the master's
 * planner making the changes. The sequence is the one that once lost acknowledged writes:
 * while a replica's Join waits on the primary (its tail still going), its lease runs out,
 * the master takes it out of the group, it registers again and is given back in the same
 * epoch (having discarded its copy while it was a spare). The old Join must then be
 * refused, and the replica admitted only with a copy made under the new assignment.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdKeys, Logger, parseGroupRecord, type GroupRecord, type JoinRequest__Output, type RegionRecord } from '@minisql/common';
import { planGroupRepairs, planReplacements, type ClusterView } from '@minisql/master';
import { GroupMembership, JoinCoordinator } from '@minisql/region';
import { etcdForSuite } from './support/test-cluster.js';

const quiet = new Logger('test', 'join', 'error', { write: () => undefined });

function region(id: string): RegionRecord {
  return { id, host: id, grpcAddress: `${id}:1`, ftpAddress: `${id}:2`, incarnation: `inc-${id}`, startedAtMs: 0 };
}

function view(regions: string[], group: GroupRecord): ClusterView {
  return { regions: new Map(regions.map((id) => [id, region(id)])), groups: new Map([[group.id, group]]), tables: new Map() };
}

describe('a Join left from an ended catch-up assignment (real etcd)', () => {
  const suite = etcdForSuite();

  it('is refused when the replica was taken out and given back while its tail went; a copy under the new assignment joins', async () => {
    const { test, etcd } = suite;
    const keys = new EtcdKeys(test.config.etcdPrefix);
    const readGroup = async (): Promise<GroupRecord> => parseGroupRecord(keys.group('g1'), (await etcd.get(keys.group('g1')).string()) ?? 'missing');
    const writeGroup = (group: GroupRecord) => etcd.put(keys.group(group.id)).value(JSON.stringify(group));
    const [assigned] = planReplacements(
      view(['r1', 'r2'], { id: 'g1', epoch: 1, primary: 'r1', primaryIncarnation: 'inc-r1', inSync: [], catchingUp: [] }),
      2,
      () => 'first',
    );
    await writeGroup(assigned as GroupRecord);

    const membership = new GroupMembership(etcd, keys, 'r1', 'inc-r1', quiet);
    await membership.start();
    try {
      assert.equal(membership.current.kind, 'primary');
      let tails = 0;
      let snapshotsMade = 0;
      // The master's two steps, as it makes them, while the first part of the tail is on its way.
      const replicator = {
        sendTo: async () => {
          if (tails++ > 0) return;
          const [removed] = planGroupRepairs(view(['r1'], await readGroup()));
          await writeGroup(removed as GroupRecord);
          const [givenBack] = planReplacements(view(['r1', 'r2'], await readGroup()), 2, () => 'second');
          await writeGroup(givenBack as GroupRecord);
          await membership.refresh();
        },
      };
      const coordinator = new JoinCoordinator(
        membership,
        { list: () => [] } as never,
        {
          snapshotAll: async () => {
            snapshotsMade++;
            return [];
          },
          remove: () => undefined,
        } as never,
        replicator as never,
        { whileWritesPaused: (work: () => Promise<void>) => work() } as never,
        { issue: () => ({ user: 'u', password: 'p' }), revokeFor: () => undefined } as never,
        quiet,
      );
      const joinUnder = (assignment: string): JoinRequest__Output => ({ group_id: 'g1', epoch: 1, replica_id: 'r2', positions: [], files: [], assignment });

      await assert.rejects(coordinator.join(joinUnder('first')), /r2 copied under assignment first of g1, which has ended \(now second\)/);
      const afterStaleJoin = await readGroup();
      assert.equal(afterStaleJoin.epoch, 1, 'the scenario needs the same epoch throughout');
      assert.deepEqual(afterStaleJoin.inSync, [], 'a Join from the ended assignment admitted the replica');
      assert.deepEqual(afterStaleJoin.catchingUp, ['r2']);
      assert.deepEqual(afterStaleJoin.assignments, { r2: 'second' });

      // A Snapshot asked for under the ended assignment is refused before any copy is made.
      await assert.rejects(coordinator.snapshot({ group_id: 'g1', epoch: 1, replica_id: 'r2', assignment: 'first' }), /which has ended/);
      assert.equal(snapshotsMade, 0);

      await coordinator.snapshot({ group_id: 'g1', epoch: 1, replica_id: 'r2', assignment: 'second' });
      await coordinator.join(joinUnder('second'));
      const joined = await readGroup();
      assert.deepEqual([joined.inSync, joined.catchingUp, joined.assignments], [['r2'], [], undefined]);
    } finally {
      await membership.stop();
    }
  });
});
