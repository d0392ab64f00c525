/**
 * The statements that manage users, run by the leading master: records in etcd under
 * `<prefix>users/`, written with compare-and-swap so two masters' changes cannot mix.
 * A password is hashed here (users.ts) and goes nowhere else: not into a log, not into
 * etcd. The last admin cannot be dropped or lose admin: the cluster would have no one
 * left to manage it.
 */
import type { Etcd3 } from 'etcd3';
import { errors } from '../errors.js';
import type { EtcdKeys } from '../etcd-keys.js';
import type { Logger } from '../logger.js';
import type { ResultSet } from '../proto-types.js';
import { doneResult, textRows } from '../catalog-listing.js';
import type { UserStatement } from '../sql-user-statements.js';
import { changeGrants, grantRows, newUserRecord, withPassword, type UserRecord } from './users.js';

export class UserAdmin {
  constructor(
    private readonly etcd: Etcd3,
    private readonly keys: EtcdKeys,
    private readonly logger: Logger,
  ) {}

  async execute(statement: UserStatement): Promise<ResultSet> {
    switch (statement.kind) {
      case 'create_user': {
        const record = await newUserRecord(statement.user, statement.password);
        const key = this.keys.user(statement.user);
        const created = await this.etcd
          .if(key, 'Create', '==', 0)
          .then(this.etcd.put(key).value(JSON.stringify(record)))
          .commit();
        if (!created.succeeded) {
          if (statement.ifNotExists) return doneResult('create_user', `user \`${statement.user}\` already exists`);
          throw errors.userExists(statement.user);
        }
        this.logger.info('user created', { user: statement.user });
        return doneResult('create_user', `user \`${statement.user}\` created`);
      }
      case 'alter_user': {
        await this.change(statement.user, (record) => withPassword(record, statement.password));
        this.logger.info('password changed', { user: statement.user });
        return doneResult('alter_user', `password of user \`${statement.user}\` changed`);
      }
      case 'drop_user': {
        const found = await this.read(statement.user);
        if (!found) {
          if (statement.ifExists) return doneResult('drop_user', `user \`${statement.user}\` does not exist`);
          throw errors.userNotFound(statement.user);
        }
        if (found.record.admin) await this.refuseLastAdmin(statement.user, 'dropped');
        const dropped = await this.etcd
          .if(this.keys.user(statement.user), 'Mod', '==', found.revision)
          .then(this.etcd.delete().key(this.keys.user(statement.user)))
          .commit();
        if (!dropped.succeeded) throw errors.invalidArgument(`drop user \`${statement.user}\``, 'the user changed meanwhile; run it again');
        this.logger.info('user dropped', { user: statement.user });
        return doneResult('drop_user', `user \`${statement.user}\` dropped`);
      }
      case 'grant':
      case 'revoke': {
        const grant = statement.kind === 'grant';
        if (!grant && statement.privileges.includes('admin')) await this.refuseLastAdmin(statement.user, 'stripped of admin');
        await this.change(statement.user, async (record) => changeGrants(record, { grant, privileges: statement.privileges, table: statement.table }));
        this.logger.info(grant ? 'privileges granted' : 'privileges revoked', {
          user: statement.user,
          privileges: statement.privileges,
          table: statement.table ?? '',
        });
        return doneResult(
          statement.kind,
          `${grant ? 'granted' : 'revoked'} ${statement.privileges.join(', ')}${statement.table === null ? '' : ` on ${statement.table === '*' ? 'every table' : `\`${statement.table}\``}`} ${grant ? 'to' : 'from'} \`${statement.user}\``,
        );
      }
      case 'show_users': {
        const users = await this.all();
        return textRows(
          'show_users',
          ['user', 'admin'],
          users.map((u) => [u.name, u.admin ? 'yes' : 'no']),
        );
      }
      case 'show_grants': {
        if (statement.user === null) throw errors.invalidArgument('show grants', 'name the user: SHOW GRANTS FOR name');
        const found = await this.read(statement.user);
        if (!found) throw errors.userNotFound(statement.user);
        return textRows('show_grants', ['privilege', 'on'], grantRows(found.record));
      }
    }
  }

  /** Makes the cluster's first admin when it has no user at all (the cluster's creation); false when users exist. */
  async createFirstAdmin(name: string, password: string): Promise<boolean> {
    if ((await this.all()).length > 0) return false;
    const record = { ...(await newUserRecord(name, password)), admin: true };
    const key = this.keys.user(name);
    const result = await this.etcd
      .if(key, 'Create', '==', 0)
      .then(this.etcd.put(key).value(JSON.stringify(record)))
      .commit();
    if (result.succeeded) this.logger.info('first admin created', { user: name });
    return result.succeeded;
  }

  private async change(user: string, update: (record: UserRecord) => Promise<UserRecord>): Promise<void> {
    const found = await this.read(user);
    if (!found) throw errors.userNotFound(user);
    const next = await update(found.record);
    const key = this.keys.user(user);
    const written = await this.etcd
      .if(key, 'Mod', '==', found.revision)
      .then(this.etcd.put(key).value(JSON.stringify(next)))
      .commit();
    if (!written.succeeded) throw errors.invalidArgument(`the change to user \`${user}\``, 'the user changed meanwhile; run it again');
  }

  private async refuseLastAdmin(user: string, what: string): Promise<void> {
    const admins = (await this.all()).filter((u) => u.admin);
    if (admins.length === 1 && admins[0]?.name.toLowerCase() === user.toLowerCase()) {
      throw errors.invalidArgument(`user \`${user}\``, `it is the last admin and cannot be ${what}: grant admin to another user first`);
    }
  }

  private async read(user: string): Promise<{ record: UserRecord; revision: number } | undefined> {
    const response = await this.etcd.get(this.keys.user(user)).exec();
    const kv = response.kvs[0];
    return kv ? { record: JSON.parse(kv.value.toString()) as UserRecord, revision: Number(kv.mod_revision) } : undefined;
  }

  private async all(): Promise<UserRecord[]> {
    const values = await this.etcd.getAll().prefix(this.keys.users).strings();
    return Object.values(values)
      .map((value) => JSON.parse(value) as UserRecord)
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}
