/**
 * The users, as a master or region knows them: read from etcd at start and kept by a
 * watch. It checks a login: the first time a password is seen it costs a scrypt (tens of
 * milliseconds); a login already checked against the same record costs a SHA-256 (the
 * record and the password's digest are kept, never the password). A wrong login is
 * answered UNAUTHENTICATED only after a pause, so guessing is slow.
 */
import { createHash } from 'node:crypto';
import type { Etcd3, Watcher } from 'etcd3';
import { errors } from '../errors.js';
import type { EtcdKeys } from '../etcd-keys.js';
import type { Logger } from '../logger.js';
import { nameKey } from '../sql-names.js';
import { passwordMatches, type UserRecord } from './users.js';

/** How long a refused login waits before it is answered, in milliseconds. */
export const LOGIN_FAILURE_DELAY_MS = 1_000;

export class UserDirectory {
  private readonly users = new Map<string, UserRecord>();
  /** Per user: the digest of the password last checked against the current record. */
  private readonly checked = new Map<string, string>();
  private watcher: Watcher | undefined;

  constructor(
    private readonly etcd: Etcd3,
    private readonly keys: EtcdKeys,
    private readonly logger: Logger,
    private readonly failureDelayMs = LOGIN_FAILURE_DELAY_MS,
  ) {}

  async start(): Promise<void> {
    this.watcher = await this.etcd.watch().prefix(this.keys.users).create();
    this.watcher.on('put', (kv) => this.store(kv.value.toString()));
    this.watcher.on('delete', (kv) => this.forget(kv.key.toString().slice(this.keys.users.length)));
    this.watcher.on('connected', () => void this.reload());
    this.watcher.on('error', (error) => this.logger.warn('the users watch failed; it reconnects', { error: error.message }));
    await this.reload();
  }

  async stop(): Promise<void> {
    await this.watcher?.cancel();
  }

  get(name: string): UserRecord | undefined {
    return this.users.get(nameKey(name));
  }

  /** The user's record when the password is theirs; UNAUTHENTICATED (after the pause) otherwise. */
  async authenticate(user: string, password: string): Promise<UserRecord> {
    const record = this.get(user);
    const digest = createHash('sha256')
      .update(`${record?.salt ?? ''}\0${password}`)
      .digest('hex');
    if (record && this.checked.get(nameKey(user)) === digest) return record;
    if (record && (await passwordMatches(record, password))) {
      this.checked.set(nameKey(user), digest);
      return record;
    }
    this.logger.warn('login refused', { user });
    await new Promise((resolve) => setTimeout(resolve, this.failureDelayMs));
    throw errors.unauthenticated(`user \`${user}\``, 'wrong user name or password');
  }

  private async reload(): Promise<void> {
    const all = await this.etcd.getAll().prefix(this.keys.users).strings();
    const seen = new Set<string>();
    for (const value of Object.values(all)) seen.add(this.store(value));
    for (const key of [...this.users.keys()]) if (!seen.has(key)) this.forget(key);
  }

  private store(value: string): string {
    try {
      const record = JSON.parse(value) as UserRecord;
      const key = nameKey(record.name);
      const before = this.users.get(key);
      if (!before || before.hash !== record.hash || before.salt !== record.salt) this.checked.delete(key);
      this.users.set(key, record);
      return key;
    } catch (error) {
      this.logger.error('skipping an unreadable user record', { error: (error as Error).message });
      return '';
    }
  }

  private forget(key: string): void {
    this.users.delete(key);
    this.checked.delete(key);
  }
}
