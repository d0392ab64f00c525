/**
 * Verify, the primary's half: compares one table on every in-sync member of the group
 * at one log position, as Vitess's VDiff or pt-table-checksum compare copies. Writes to
 * the group pause (no batch in flight, none starting), so every in-sync member holds the
 * same position; each computes the checksum of all its rows (RowChecksum) and the primary
 * gathers them. The pause lasts as long as the slowest member's checksum: about 1 µs a
 * row on this design's machines, so run it on large tables when a pause is acceptable.
 * Each member reads its rows in steps of 20 ms (TableFile.checksum), so its event loop
 * keeps renewing its lease and answering reads while it sums a large table.
 */
import {
  errors,
  type GroupRecord,
  type Logger,
  type MemberChecksum,
  type TableChecksumResponse__Output,
  type VerifyResponse,
  type TlsIdentity,
} from '@minisql/common';
import { replicationStub } from '@minisql/wire';
import type { ClusterExecutor } from './cluster-executor.js';
import type { GroupMembership } from './group-membership.js';
import type { SqlEngine } from './sql-engine.js';

/** Time a replica has to checksum one table, in milliseconds. */
export const TABLE_CHECKSUM_TIMEOUT_MS = 120_000;

export class TableVerifier {
  constructor(
    private readonly engine: SqlEngine,
    private readonly membership: GroupMembership,
    private readonly executor: ClusterExecutor,
    private readonly tls: TlsIdentity | undefined,
    private readonly logger: Logger,
  ) {}

  async verify(table: string): Promise<VerifyResponse> {
    this.requirePrimary();
    const name = this.engine.tableName(table); // refuses an unknown table before pausing anything
    return this.executor.whileWritesPaused(async () => {
      const group = this.requirePrimary();
      // Entries a replica may still lack are being shipped again: a comparison now would
      // report a difference that is about to vanish. NOT_PRIMARY is retried by clients.
      const unconfirmed = this.executor.unconfirmedEntries;
      if (unconfirmed > 0)
        throw errors.notPrimary(this.membership.regionId, `${unconfirmed} write(s) are not yet confirmed on its replicas; verify again shortly`);
      // The replicas sum their copies while this one sums its own: the pause lasts as long
      // as the slowest member, not the primary's time and then the slowest replica's.
      const [own, replicas] = await Promise.all([
        this.engine.tableChecksum(name),
        Promise.all(group.inSync.map((replica) => this.askReplica(replica, group, name))),
      ]);
      const members: MemberChecksum[] = [
        { region_id: this.membership.regionId, role: 'primary', position: own.position, rows: own.rows, checksum: own.checksum },
        ...replicas,
      ];
      const differ = replicas.filter((m) => m.error === undefined && (m.position !== own.position || m.checksum !== own.checksum || m.rows !== own.rows));
      if (differ.length > 0)
        this.logger.error('verify found replicas that differ from the primary', { table: own.table, replicas: differ.map((m) => m.region_id) });
      return { table: own.table, group_id: group.id, epoch: group.epoch, members, catching_up: group.catchingUp };
    });
  }

  private requirePrimary(): GroupRecord {
    const role = this.membership.current;
    if (role.kind !== 'primary') throw errors.notPrimary(this.membership.regionId, "verify runs on the primary of the table's group");
    return role.group;
  }

  private async askReplica(replica: string, group: GroupRecord, table: string): Promise<MemberChecksum> {
    const address = this.membership.addressOf(replica);
    if (address === undefined) return { region_id: replica, role: 'replica', error: errors.unavailable(replica, 'it is not registered').toProto() };
    const client = replicationStub(address, this.tls);
    try {
      const response = await new Promise<TableChecksumResponse__Output>((resolve, reject) =>
        client.TableChecksum(
          { group_id: group.id, epoch: group.epoch, primary_id: this.membership.regionId, table },
          { deadline: Date.now() + TABLE_CHECKSUM_TIMEOUT_MS },
          (error, answer) => (error || !answer ? reject(error ?? new Error('empty answer')) : resolve(answer)),
        ),
      );
      if (response.error && response.error.code !== '') return { region_id: replica, role: 'replica', error: response.error };
      return { region_id: replica, role: 'replica', position: response.position, rows: response.rows, checksum: response.checksum };
    } catch (thrown) {
      return { region_id: replica, role: 'replica', error: errors.unavailable(address, (thrown as Error).message).toProto() };
    } finally {
      client.close();
    }
  }
}
