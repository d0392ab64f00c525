/**
 * Users and what they may do. A user record lives in etcd (`<prefix>users/<name>`) with
 * its password as a salted scrypt hash (node:crypto), never the password. Privileges:
 * `read` (select) and `write` (insert, update, delete; write includes read) on one table
 * or on every table (`*`), and `admin` (everything: tables, indexes, users). Deciding what
 * a user may do is a pure function (allows); tested by scenarios.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { errors, type MiniSqlError } from '../errors.js';
import { nameKey } from '../sql-names.js';

export type TablePrivilege = 'read' | 'write';
export type Privilege = TablePrivilege | 'admin';

export interface UserRecord {
  name: string;
  /** scrypt of the password with `salt`; base64. */
  hash: string;
  salt: string;
  /** scrypt's cost parameters, kept with the hash so they can rise later. */
  cost: { N: number; r: number; p: number };
  admin: boolean;
  /** Privileges by lowercased table name, `*` for every table. */
  tables: Record<string, TablePrivilege[]>;
}

/** scrypt's work factor: about 40 ms of one core per check, what a login costs. */
export const SCRYPT_COST = Object.freeze({ N: 16_384, r: 8, p: 1 });
const HASH_BYTES = 32;
export const PASSWORD_LENGTH_MIN = 10;
/** A login carrying it must fit the statement protocol's first frame (LOGIN_FRAME_BYTES_MAX, 16 KiB) with room to spare. */
export const PASSWORD_LENGTH_MAX = 1_024;
/** The name of the first user, made with the cluster. */
export const FIRST_ADMIN = 'admin';

/** Passwords that ship in examples and that anyone tries first: refused whatever their length. */
const PLACEHOLDERS = [
  'password',
  'change-me',
  'changeme',
  'change-me-before-use',
  'secret',
  'minisql',
  'admin',
  'letmein',
  'qwerty',
  '12345678',
  '1234567890',
  'local-cluster-only',
  'test-password',
  'not-used-here',
];

/** Why a password is refused, or undefined when it may be used. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_LENGTH_MIN) return `it is shorter than ${PASSWORD_LENGTH_MIN} characters`;
  if (password.length > PASSWORD_LENGTH_MAX) return `it is longer than ${PASSWORD_LENGTH_MAX} characters`;
  const plain = password.toLowerCase().replace(/[^a-z0-9-]/g, '');
  if (PLACEHOLDERS.some((placeholder) => plain === placeholder || plain.startsWith(placeholder))) return 'it is a known placeholder';
  if (new Set(password).size < 4) return 'it repeats too few characters';
  return undefined;
}

function scrypt(password: string, salt: Buffer, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, HASH_BYTES, { ...cost, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** A new user's record: the password checked (INVALID_ARGUMENT naming why), salted and hashed. */
export async function newUserRecord(name: string, password: string, admin = false): Promise<UserRecord> {
  const problem = passwordProblem(password);
  if (problem) throw errors.invalidArgument(`password of user \`${name}\``, `${problem}; choose another`);
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, SCRYPT_COST);
  return { name, hash: hash.toString('base64'), salt: salt.toString('base64'), cost: { ...SCRYPT_COST }, admin, tables: {} };
}

export async function withPassword(record: UserRecord, password: string): Promise<UserRecord> {
  const fresh = await newUserRecord(record.name, password, record.admin);
  return { ...record, hash: fresh.hash, salt: fresh.salt, cost: fresh.cost };
}

export async function passwordMatches(record: UserRecord, password: string): Promise<boolean> {
  const expected = Buffer.from(record.hash, 'base64');
  const given = await scrypt(password, Buffer.from(record.salt, 'base64'), record.cost);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** What one statement needs: a privilege, on a table or on the cluster. */
export type Need = { privilege: TablePrivilege; table: string } | { privilege: 'admin' };

export function allows(record: UserRecord, need: Need): boolean {
  if (record.admin) return true;
  if (need.privilege === 'admin') return false;
  const held = [...(record.tables[nameKey(need.table)] ?? []), ...(record.tables['*'] ?? [])];
  return need.privilege === 'read' ? held.length > 0 : held.includes('write');
}

/** PERMISSION_DENIED naming the user and what was missing, or undefined when every need is met. */
export function refusal(record: UserRecord, needs: readonly Need[], what: string): MiniSqlError | undefined {
  const missing = needs.find((need) => !allows(record, need));
  if (!missing) return undefined;
  const on = missing.privilege === 'admin' ? 'admin' : `${missing.privilege} on table \`${missing.table}\``;
  return errors.permissionDenied(`user \`${record.name}\``, `${what} needs ${on}`);
}

/** The record after `grant` (or `revoke`) of privileges on a table (`*`: every table) or of admin. */
export function changeGrants(record: UserRecord, change: { grant: boolean; privileges: Privilege[]; table: string | null }): UserRecord {
  const admin = change.privileges.includes('admin') ? change.grant : record.admin;
  const tablePrivileges = change.privileges.filter((p): p is TablePrivilege => p !== 'admin');
  if (tablePrivileges.length === 0 || change.table === null) return { ...record, admin };
  const key = change.table === '*' ? '*' : nameKey(change.table);
  const before = new Set(record.tables[key] ?? []);
  for (const privilege of tablePrivileges) {
    if (change.grant) before.add(privilege);
    else before.delete(privilege);
  }
  const tables = { ...record.tables };
  if (before.size === 0) delete tables[key];
  else tables[key] = [...before].sort();
  return { ...record, admin, tables };
}

/** The grants of a user as rows: (privilege, on). */
export function grantRows(record: UserRecord): Array<[string, string]> {
  const rows: Array<[string, string]> = record.admin ? [['admin', '*']] : [];
  for (const [table, privileges] of Object.entries(record.tables).sort()) for (const privilege of privileges) rows.push([privilege, table]);
  return rows;
}
