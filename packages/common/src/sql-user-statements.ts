/**
 * The statements that manage users, read by the master alone:
 *   CREATE USER [IF NOT EXISTS] name IDENTIFIED BY 'password'
 *   ALTER USER name IDENTIFIED BY 'password'
 *   DROP USER [IF EXISTS] name
 *   GRANT priv[, priv...] [ON table | ON *] TO name      (priv: READ, WRITE, ADMIN; ALL = READ, WRITE)
 *   REVOKE priv[, priv...] [ON table | ON *] FROM name
 *   SHOW USERS    SHOW GRANTS [FOR name]
 * A password is a string literal; nothing here keeps it beyond the statement.
 */
import type { TokenCursor } from './sql-cursor.js';
import type { Privilege } from './security/users.js';

export type UserStatement =
  | { kind: 'create_user'; user: string; password: string; ifNotExists: boolean }
  | { kind: 'alter_user'; user: string; password: string }
  | { kind: 'drop_user'; user: string; ifExists: boolean }
  | { kind: 'grant' | 'revoke'; privileges: Privilege[]; table: string | null; user: string }
  | { kind: 'show_users' }
  | { kind: 'show_grants'; user: string | null };

export const USER_STATEMENT_KINDS: ReadonlySet<string> = new Set(['create_user', 'alter_user', 'drop_user', 'grant', 'revoke', 'show_users', 'show_grants']);

/** After CREATE / ALTER / DROP, when USER follows. */
export function analyzeUserChange(cursor: TokenCursor, verb: 'create' | 'alter' | 'drop'): UserStatement {
  cursor.next();
  cursor.expectKeyword('user');
  if (verb === 'drop') {
    const ifExists = cursor.accept('if') ? (cursor.expectKeyword('exists'), true) : false;
    const user = cursor.expectName('user');
    cursor.expectEnd();
    return { kind: 'drop_user', user, ifExists };
  }
  const ifNotExists = verb === 'create' && cursor.accept('if') ? (cursor.expectKeyword('not'), cursor.expectKeyword('exists'), true) : false;
  const user = cursor.expectName('user');
  cursor.expectKeyword('identified');
  cursor.expectKeyword('by');
  const token = cursor.next();
  if (token?.kind !== 'string') {
    throw cursor.errorHere("the password as a string in quotes, as in IDENTIFIED BY 'a long passphrase'");
  }
  cursor.expectEnd();
  return verb === 'create' ? { kind: 'create_user', user, password: token.value, ifNotExists } : { kind: 'alter_user', user, password: token.value };
}

export function analyzeGrant(cursor: TokenCursor, kind: 'grant' | 'revoke'): UserStatement {
  cursor.next();
  const privileges: Privilege[] = [];
  do {
    if (cursor.accept('read') || cursor.accept('select')) privileges.push('read');
    else if (cursor.accept('write')) privileges.push('write');
    else if (cursor.accept('admin')) privileges.push('admin');
    else if (cursor.accept('all')) privileges.push('read', 'write');
    else throw cursor.errorHere('READ, WRITE, ALL or ADMIN');
  } while (cursor.acceptOperator(','));
  let table: string | null = null;
  if (cursor.accept('on')) {
    cursor.accept('table');
    table = cursor.acceptOperator('*') ? '*' : cursor.expectName('table');
  }
  const onlyAdmin = privileges.every((p) => p === 'admin');
  if (!onlyAdmin && table === null) throw cursor.errorHere('ON followed by a table, or ON * for every table');
  cursor.expectKeyword(kind === 'grant' ? 'to' : 'from');
  const user = cursor.expectName('user');
  cursor.expectEnd();
  return { kind, privileges: [...new Set(privileges)], table, user };
}

/** After SHOW, when USERS or GRANTS follows. */
export function analyzeShowUsers(cursor: TokenCursor): UserStatement {
  if (cursor.accept('users')) {
    cursor.expectEnd();
    return { kind: 'show_users' };
  }
  cursor.expectKeyword('grants');
  const user = cursor.accept('for') ? cursor.expectName('user') : null;
  cursor.expectEnd();
  return { kind: 'show_grants', user };
}
