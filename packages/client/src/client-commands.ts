/**
 * The commands the client runs itself instead of sending them to the server:
 * `execfile F;` (or `source F;`, MySQL's name), `quit;`, `exit;`, `help;`, `status;`,
 * `verify [T];`, `dump [T];`. Pure: this file
 * only recognises them.
 */
import { errors, isSignificant, tokenize, type Token } from '@minisql/common';

export type ClientCommand =
  | { kind: 'execfile'; path: string }
  | { kind: 'quit' }
  | { kind: 'help' }
  | { kind: 'status' }
  | { kind: 'verify'; table?: string }
  | { kind: 'dump'; table?: string };

/**
 * The client command a statement is, or null for SQL meant for the server. Keywords are
 * case-insensitive and may follow comments. Throws INVALID_ARGUMENT for `execfile` without
 * a file.
 */
export function parseClientCommand(statementText: string): ClientCommand | null {
  let tokens: Token[];
  try {
    tokens = tokenize(statementText).filter(isSignificant);
  } catch {
    return null; // not even tokens: let the server say what is wrong with it
  }
  const [first, ...args] = tokens;
  if (first === undefined || first.kind !== 'identifier') return null;
  switch (first.text.toLowerCase()) {
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    case 'help':
      return { kind: 'help' };
    case 'status':
      return args.length === 0 ? { kind: 'status' } : null;
    case 'verify':
    case 'dump': {
      const kind = first.text.toLowerCase() as 'verify' | 'dump';
      if (args.length === 0) return { kind };
      const [table] = args;
      // A bare name is its text; a quoted one its value (the quotes taken off).
      if (args.length === 1 && table !== undefined && table.kind === 'identifier') return { kind, table: table.text };
      if (args.length === 1 && table !== undefined && table.kind === 'quoted_identifier') return { kind, table: table.value };
      throw errors.invalidArgument(kind, `expected a table name or nothing, as in ${kind}; or ${kind} T;`);
    }
    case 'execfile':
    case 'source':
      return { kind: 'execfile', path: execfilePath(statementText, args, first.text.toLowerCase()) };
    default:
      return null;
  }
}

/**
 * The file named after `execfile`: the content of a quoted string or quoted name, or else
 * the raw text up to the end of the statement (so `data/big.sql` needs no quotes).
 */
function execfilePath(statementText: string, args: readonly Token[], command: string): string {
  const first = args[0];
  const last = args.at(-1);
  if (first === undefined || last === undefined) throw errors.invalidArgument(command, `expected a file name, as in ${command} data.sql;`);
  if (args.length === 1 && (first.kind === 'string' || first.kind === 'quoted_identifier')) return first.value;
  return statementText.slice(first.start, last.end);
}

/** True for `quit`, `exit` or `help` typed alone without `;`, which the REPL accepts as MySQL's client does. */
export function isBareCommand(line: string): boolean {
  return /^\s*(quit|exit|help|status)\s*$/i.test(line);
}

export const HELP_TEXT = `Statements (end each with ; or with \\G to show the rows vertically; they may span lines):
  create table T (a int, b char(n) unique, c float, primary key (a));
  drop table [if exists] T;
  create [unique] index I on T (a [, b ...]);    drop index [if exists] I [on T];
  insert into T [(cols)] values (...) [, (...)];
  select ... from T [where ...] [group by ...] [order by ...] [limit n [offset m]];
  update T set c = v [, ...] [where ...];         delete from T [where ...];
  show tables;    show indexes [from T];    describe T;
  create user U identified by 'passphrase';  alter user U identified by '...';  drop user U;
  grant read|write|admin [on T|*] to U;      revoke ... from U;   show users;   show grants [for U];
  switchover G [to REGION];                  (admins: hand group G's primary role over)
Client commands:
  execfile FILE;  run the statements in FILE (relative to the current directory;
                  quote names holding spaces, ; or --); source FILE; is the same
  status;         show the cluster: regions, replica groups, tables
  verify [T];     compare the copies of T (of every table) on each member of its
                  group at one log position; writes to the group pause meanwhile
  dump [T];       T (every table) as SQL that execfile runs back, read on its primary
                  at one log position (for large tables: minisql-cluster backup)
  help;           show this text
  quit; exit;     leave (Ctrl-D too); Ctrl-C clears the statement being typed, or
                  cancels the one running (a select stops; a write sent may still apply)
Tab completes keywords and table names.
`;
