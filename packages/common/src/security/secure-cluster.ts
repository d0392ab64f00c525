import { Etcd3 } from 'etcd3';
import { join } from 'node:path';
import type { ClusterConfig } from '../cluster-config.js';
import { EtcdKeys } from '../etcd-keys.js';
import { Logger } from '../logger.js';
import { ADMIN_PASSWORD_FILE, enableEtcdAccess, etcdAccessPlan, etcdRootPassword, ETCD_ROOT_PASSWORD_FILE, secretInFile } from './etcd-access.js';
import { etcdOptions } from './etcd-options.js';
import { CLIENT_CERT_NAME, loadTlsIdentity } from './tls-identity.js';
import { UserAdmin } from './user-admin.js';
import { FIRST_ADMIN } from './users.js';

/**
 * Makes a new cluster safe to use, once: etcd's authentication on with least rights per
 * host (etcd-access.ts), and the first admin user, whose password is made at random into
 * `<certsDir>/admin.password` (mode 600). `certsDir` is this machine's copy of the
 * certificates (the client's, and the secrets made here). Returns what it did, for the person waiting;
 * nothing when it was done before.
 */
export async function secureCluster(config: ClusterConfig, certsDir: string): Promise<string[]> {
  const done: string[] = [];
  const client = loadTlsIdentity(certsDir, CLIENT_CERT_NAME);
  const etcd = new Etcd3(etcdOptions(config.etcdEndpoints, client));
  try {
    if (await enableEtcdAccess(etcd, etcdAccessPlan(config), etcdRootPassword(certsDir))) {
      done.push(`etcd authentication on: each host is its own etcd user; etcd's root password is in ${join(certsDir, ETCD_ROOT_PASSWORD_FILE)}`);
    }
  } finally {
    etcd.close();
  }
  const admin = new Etcd3({ ...etcdOptions(config.etcdEndpoints, client), auth: { username: 'root', password: etcdRootPassword(certsDir) } });
  try {
    const users = new UserAdmin(admin, new EtcdKeys(config.etcdPrefix), new Logger('cluster', 'users', 'error'));
    const passwordFile = join(certsDir, ADMIN_PASSWORD_FILE);
    if (await users.createFirstAdmin(FIRST_ADMIN, secretInFile(passwordFile))) {
      done.push(`first admin user \`${FIRST_ADMIN}\` made; its password is in ${passwordFile}`);
    }
  } finally {
    admin.close();
  }
  return done;
}
