/**
 * Who may touch what in etcd, once authentication is on. Every process reaches etcd with
 * its host's certificate, and etcd takes the certificate's common name as the user name,
 * so a host's etcd user is its name and needs no password (one is set, random, and
 * forgotten: etcd 3.4 wants one). Least rights:
 * - a master reads and writes the whole prefix (catalog, groups, election, events, and the
 *   revocation of a dead region's lease, which needs write rights on its key);
 * - a region reads the prefix (it watches the group view), writes its own registration
 *   key and the groups (a primary changes its group's in-sync set);
 * - clients (the `client` certificate) get nothing: users reach minisql, not etcd;
 * - `root` (the only user with a password, kept in the certificates folder, mode 600) is
 *   the operator's, for etcdctl.
 * The plan is a pure function of the configuration; enableEtcdAccess applies it once.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Range, type Etcd3 } from 'etcd3';
import type { ClusterConfig } from '../cluster-config.js';
import { EtcdKeys } from '../etcd-keys.js';

export const ETCD_ROOT_PASSWORD_FILE = 'etcd-root.password';
/** The password of the cluster's first admin, made with the cluster, in the certificates folder (mode 600). */
export const ADMIN_PASSWORD_FILE = 'admin.password';

export interface EtcdGrant {
  permission: 'Read' | 'Write' | 'Readwrite';
  /** A prefix of keys, or one key. */
  prefix?: string;
  key?: string;
}

export interface EtcdAccessPlan {
  roles: Array<{ name: string; grants: EtcdGrant[] }>;
  users: Array<{ name: string; roles: string[] }>;
}

export const MASTER_ROLE = 'minisql-master';

export function etcdAccessPlan(config: ClusterConfig): EtcdAccessPlan {
  const keys = new EtcdKeys(config.etcdPrefix);
  const regions = config.hosts.filter((host) => host.roles.includes('region'));
  const roles = [
    { name: MASTER_ROLE, grants: [{ permission: 'Readwrite' as const, prefix: config.etcdPrefix }] },
    ...regions.map((host) => ({
      name: `minisql-region-${host.name}`,
      grants: [
        { permission: 'Read' as const, prefix: config.etcdPrefix },
        { permission: 'Readwrite' as const, key: keys.region(host.name) },
        { permission: 'Readwrite' as const, prefix: keys.groups },
        // A primary whose hold on a moving table ran out rewrites the placement to keep it.
        { permission: 'Readwrite' as const, prefix: keys.placements },
      ],
    })),
  ];
  const users = config.hosts
    .map((host) => ({
      name: host.name,
      roles: [...(host.roles.includes('master') ? [MASTER_ROLE] : []), ...(host.roles.includes('region') ? [`minisql-region-${host.name}`] : [])],
    }))
    .filter((user) => user.roles.length > 0);
  return { roles, users };
}

/** The operator's etcd root password, made on first use, in the certificates folder (mode 600). */
export function etcdRootPassword(certsDir: string): string {
  return secretInFile(join(certsDir, ETCD_ROOT_PASSWORD_FILE));
}

/** A random secret kept in `path` (mode 600): read when it exists, made when it does not. */
export function secretInFile(path: string): string {
  if (!existsSync(path)) writeFileSync(path, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

/**
 * Creates the roles and users of `plan` and the root user, then turns etcd's
 * authentication on. `etcd` must reach etcd over TLS while authentication is still off.
 * Returns false when it was already on (nothing is changed then).
 */
export async function enableEtcdAccess(etcd: Etcd3, plan: EtcdAccessPlan, rootPassword: string): Promise<boolean> {
  try {
    await etcd.getUsers();
  } catch (error) {
    // With authentication on, a caller without the root role may not list users.
    if (/permission denied|user name is empty|user name not found|invalid auth token/i.test((error as Error).message)) return false;
    throw error;
  }
  const existing = new Set((await etcd.getRoles()).map((role) => role.name));
  for (const role of [...plan.roles, { name: 'root', grants: [] }]) {
    if (!existing.has(role.name)) await etcd.role(role.name).create();
    for (const grant of role.grants) {
      await etcd
        .role(role.name)
        .grant(
          grant.key !== undefined
            ? { permission: grant.permission, key: grant.key }
            : { permission: grant.permission, range: Range.prefix(grant.prefix ?? '') },
        );
    }
  }
  const users = new Set((await etcd.getUsers()).map((user) => user.name));
  for (const user of [...plan.users, { name: 'root', roles: ['root'] }]) {
    if (!users.has(user.name)) await etcd.user(user.name).create(user.name === 'root' ? rootPassword : randomBytes(24).toString('base64url'));
    for (const role of user.roles) await etcd.user(user.name).addRole(role);
  }
  await etcd.auth.authEnable();
  return true;
}
