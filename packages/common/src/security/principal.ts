/**
 * Who a call acts for, and whether a statement is theirs to run. A caller with a server's
 * certificate (a master's or a region's) acts for the cluster; any other certificate
 * (clients) must also log in as a user, on every call (metadata, inside TLS). Without TLS
 * nobody is proven, and everything is open: that is what `tls: false` means.
 */
import { errors, type MiniSqlError } from '../errors.js';
import type { AnalyzedStatement } from '../sql-analysis.js';
import { callerOf, type AuthenticatedCall } from './caller.js';
import { PASSWORD_METADATA_KEY, USER_METADATA_KEY } from './tls-identity.js';
import type { UserDirectory } from './user-directory.js';
import { refusal, type Need, type UserRecord } from './users.js';

export type Principal = { kind: 'server'; name: string; roles: readonly string[] } | { kind: 'user'; record: UserRecord } | { kind: 'open' };

export interface CallWithMetadata extends AuthenticatedCall {
  metadata: { get(key: string): Array<string | Buffer> };
}

export async function principalOf(call: CallWithMetadata, users: UserDirectory | undefined): Promise<Principal> {
  const caller = callerOf(call);
  if (caller === 'plaintext') return { kind: 'open' };
  if (caller.roles.includes('master') || caller.roles.includes('region')) return { kind: 'server', ...caller };
  const user = String(call.metadata.get(USER_METADATA_KEY)[0] ?? '');
  const password = String(call.metadata.get(PASSWORD_METADATA_KEY)[0] ?? '');
  if (user === '')
    throw errors.unauthenticated(`the holder of certificate \`${caller.name}\``, 'no user given: log in with --user (or MINISQL_USER) and a password');
  if (!users) throw errors.unauthenticated(`user \`${user}\``, 'this server does not know the users yet');
  return { kind: 'user', record: await users.authenticate(user, password) };
}

/**
 * The principal as it stands now: a stream logs in once, but each statement is judged by
 * the user's grants of the moment (a revocation applies to the next statement, once the
 * etcd watch has brought it), and a dropped user's stream runs nothing more.
 */
export function currentPrincipal(principal: Principal, users: UserDirectory | undefined): Principal {
  if (principal.kind !== 'user' || !users) return principal;
  const record = users.get(principal.record.name);
  if (!record) throw errors.unauthenticated(`user \`${principal.record.name}\``, 'the user no longer exists');
  return { kind: 'user', record };
}

/** What running `statement` needs, for user `self`. */
export function statementNeeds(statement: AnalyzedStatement, self: string): Need[] {
  switch (statement.kind) {
    case 'select':
      return statement.tables.map((table) => ({ privilege: 'read', table }));
    case 'insert':
    case 'update':
    case 'delete':
      return [
        { privilege: 'write', table: statement.table },
        ...statement.tables.filter((t) => t !== statement.table).map((table) => ({ privilege: 'read' as const, table })),
      ];
    case 'show_tables':
    case 'show_indexes':
    case 'describe':
      return [];
    case 'alter_user':
      return statement.user.toLowerCase() === self.toLowerCase() ? [] : [{ privilege: 'admin' }];
    case 'show_grants':
      return statement.user === null || statement.user.toLowerCase() === self.toLowerCase() ? [] : [{ privilege: 'admin' }];
    default:
      // Tables, indexes and users change only at an admin's word.
      return [{ privilege: 'admin' }];
  }
}

/** PERMISSION_DENIED when `principal` may not run `statement`; undefined when it may. */
export function statementRefusal(principal: Principal, statement: AnalyzedStatement): MiniSqlError | undefined {
  if (principal.kind !== 'user') return undefined;
  return refusal(principal.record, statementNeeds(statement, principal.record.name), statement.kind.replace('_', ' '));
}
