/**
 * One worker's connection to a minisql cluster: a ClusterClient, which routes each
 * statement to its group's primary and retries through failovers with the same request
 * id (so a retried write is answered from the primary's log rather than applied twice).
 *
 * Registers are rows `(k, v)` made before the test, so every operation is one statement:
 * a read is a select, a write an update, a CAS an update guarded by the old value.
 *
 * Every write also stores values the primary makes up: registers a `noise` column from
 * `random()`, set elements a token from `randomblob()` and the time of `'now'`. The
 * checker never reads them; `verify` after the run compares every member's copy, so a
 * replica that did not repeat its primary's choices makes the run invalid.
 */
import { ClusterClient } from '@minisql/client';
import { MiniSqlError, type Login, type TlsIdentity } from '@minisql/common';
import type { MinisqlOptions } from './minisql-options.js';
import { DefiniteFailure, type StoreConnection } from './store-connection.js';

export const REGISTER_TABLE_PREFIX = 'jepsen_registers_';
const SET_TABLE = 'jepsen_set';
const LOCK_TABLE = 'jepsen_lock';
/** What every register write also sets: a value only the primary's random() decides. */
const NOISE = 'noise = random() % 1000000000';
/** Rows per provisioning insert. */
const PROVISION_BATCH_ROWS = 250;
/** How long a statement is retried through a failover before its outcome is left unknown. */
const RETRY_DEADLINE_MS = 4_000;

export function registerTable(key: string, tables: number): string {
  const number = Number(key);
  return `${REGISTER_TABLE_PREFIX}${Number.isInteger(number) ? Math.abs(number) % tables : 0}`;
}

/** The keys made before the test: 0..count-1, and the seed's single key "foo". */
function provisionedKeys(count: number): string[] {
  return ['foo', ...Array.from({ length: count }, (_, key) => String(key))];
}

export class MinisqlConnection implements StoreConnection {
  private constructor(
    private readonly client: ClusterClient,
    private readonly options: MinisqlOptions,
  ) {}

  static async open(masterAddresses: readonly string[], options: MinisqlOptions, security: { client: TlsIdentity; login: Login }): Promise<MinisqlConnection> {
    const client = await ClusterClient.connect({
      masterAddresses: [...masterAddresses],
      tls: security.client,
      login: security.login,
      retryDeadlineMs: RETRY_DEADLINE_MS,
      masterFailoverWaitMs: RETRY_DEADLINE_MS,
      consistency: options.reads,
    });
    return new MinisqlConnection(client, options);
  }

  async read(key: string): Promise<number | null> {
    const result = await this.run(`select v from ${registerTable(key, this.options.tables)} where k = ?`, [key]);
    const value = result.rows[0]?.[0];
    return value === undefined || value === null ? null : Number(value);
  }

  async write(key: string, value: number): Promise<void> {
    const result = await this.run(`update ${registerTable(key, this.options.tables)} set v = ?, ${NOISE} where k = ?`, [value, key]);
    if (result.rowsAffected !== 1)
      throw new DefiniteFailure(`KEY_NOT_PROVISIONED: register ${key} has no row (keys 0..${this.options.keysProvisioned - 1} exist)`);
  }

  async cas(key: string, expected: number, next: number): Promise<boolean> {
    const result = await this.run(`update ${registerTable(key, this.options.tables)} set v = ?, ${NOISE} where k = ? and v = ?`, [next, key, expected]);
    return result.rowsAffected === 1;
  }

  async add(element: number): Promise<void> {
    await this.run(`insert into ${SET_TABLE} (e, token, added_at) values (?, hex(randomblob(8)), strftime('%Y-%m-%d %H:%M:%f', 'now'))`, [element]);
  }

  async readSet(): Promise<number[]> {
    const result = await this.run(`select e from ${SET_TABLE}`, []);
    return result.rows.map((row) => Number(row[0]));
  }

  async acquire(owner: string): Promise<boolean> {
    const result = await this.run(`update ${LOCK_TABLE} set owner = ? where name = 'lock' and owner is null`, [owner]);
    return result.rowsAffected === 1;
  }

  async release(owner: string): Promise<boolean> {
    const result = await this.run(`update ${LOCK_TABLE} set owner = null where name = 'lock' and owner = ?`, [owner]);
    return result.rowsAffected === 1;
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private async run(sql: string, params: (string | number | null)[]) {
    try {
      return await this.client.execute(sql, { params });
    } catch (error) {
      // The catalog says which failures leave the outcome unknown (MiniSqlError.definite).
      if (error instanceof MiniSqlError && error.definite) throw new DefiniteFailure(`${error.code}: ${error.message}`, { cause: error });
      throw error;
    }
  }
}

/** Creates the test's tables and rows; safe to run again after a partial attempt. */
export async function provisionMinisql(
  masterAddresses: readonly string[],
  options: MinisqlOptions,
  security: { client: TlsIdentity; login: Login },
): Promise<void> {
  const client = await ClusterClient.connect({
    masterAddresses: [...masterAddresses],
    tls: security.client,
    login: security.login,
    masterFailoverWaitMs: 2_000,
    retryDeadlineMs: 2_000,
  });
  try {
    const createIfMissing = async (sql: string) => {
      try {
        await client.execute(sql);
      } catch (error) {
        if (!(error instanceof MiniSqlError && error.code === 'TABLE_EXISTS')) throw error;
      }
    };
    const keys = provisionedKeys(options.keysProvisioned);
    for (let table = 0; table < options.tables; table++) {
      const name = `${REGISTER_TABLE_PREFIX}${table}`;
      await createIfMissing(`create table ${name} (k varchar(64) primary key, v int, noise bigint)`);
      const mine = keys.filter((key) => registerTable(key, options.tables) === name);
      const count = await client.execute(`select count(*) from ${name}`);
      if (Number(count.rows[0]?.[0]) === mine.length) continue;
      await client.execute(`delete from ${name}`);
      for (let start = 0; start < mine.length; start += PROVISION_BATCH_ROWS) {
        const batch = mine.slice(start, start + PROVISION_BATCH_ROWS);
        await client.execute(`insert into ${name} (k, v) values ${batch.map(() => '(?, null)').join(', ')}`, { params: batch });
      }
    }
    await createIfMissing(`create table ${SET_TABLE} (e int primary key, token varchar(16), added_at varchar(24))`);
    await createIfMissing(`create table ${LOCK_TABLE} (name varchar(16) primary key, owner varchar(32))`);
    const lock = await client.execute(`select count(*) from ${LOCK_TABLE}`);
    if (Number(lock.rows[0]?.[0]) === 0) await client.execute(`insert into ${LOCK_TABLE} (name, owner) values ('lock', null)`);
  } finally {
    client.close();
  }
}
