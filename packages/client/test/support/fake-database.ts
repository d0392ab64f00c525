/**
 * An in-memory stand-in for a region, just enough SQL for the runner and REPL tests:
 * create/drop table, insert of one integer, select *, describe (one column, v), show tables. Anything else is a
 * SYNTAX_ERROR, a missing table TABLE_NOT_FOUND, as the real server answers.
 */
import { errors } from '@minisql/common';
import type { QueryResult } from '@minisql/wire';
import type { StatementExecutor } from '../../src/script-runner.js';

export function rowSet(kind: string, columns: string[], rows: QueryResult['rows']): QueryResult {
  return { kind, columns: columns.map((name) => ({ name, type: '' })), rows, rowsAffected: 0, message: '', truncated: false, stale: false, serverMicros: 0 };
}

export function writeOutcome(kind: string, rowsAffected: number, message = ''): QueryResult {
  return { kind, columns: [], rows: [], rowsAffected, message, truncated: false, stale: false, serverMicros: 0 };
}

export class FakeDatabase implements StatementExecutor {
  /** Every statement text the runner sent, in order. */
  readonly executed: string[] = [];
  private readonly tables = new Map<string, number[]>();

  async execute(text: string): Promise<QueryResult> {
    this.executed.push(text);
    // Line comments and line breaks mean nothing to the statements understood here.
    const sql = text
      .replace(/--[^\n]*/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    let match: RegExpExecArray | null;
    if ((match = /^create table (\w+)/i.exec(sql))) {
      const name = match[1] as string;
      if (this.tables.has(name)) throw errors.tableExists(name);
      this.tables.set(name, []);
      return writeOutcome('create_table', 0, `table \`${name}\` created`);
    }
    if ((match = /^drop table (\w+)$/i.exec(sql))) {
      if (!this.tables.delete(match[1] as string)) throw errors.tableNotFound(match[1] as string);
      return writeOutcome('drop_table', 0, `table \`${match[1]}\` dropped`);
    }
    if ((match = /^insert into (\w+) values \((\d+)\)$/i.exec(sql))) {
      this.table(match[1] as string).push(Number(match[2]));
      return writeOutcome('insert', 1);
    }
    if ((match = /^select \* from (\w+)$/i.exec(sql))) {
      return rowSet(
        'select',
        ['v'],
        this.table(match[1] as string).map((v) => [v]),
      );
    }
    if ((match = /^describe (\w+)$/i.exec(sql))) {
      this.table(match[1] as string);
      return rowSet('describe', ['Field', 'Type', 'Null', 'Key', 'Default'], [['v', 'int', 'YES', '', null]]);
    }
    if (/^show tables$/i.test(sql))
      return rowSet(
        'show_tables',
        ['Tables'],
        [...this.tables.keys()].map((name) => [name]),
      );
    throw errors.syntax(sql.split(/\s/)[0] ?? '', 1, 1, 1);
  }

  private table(name: string): number[] {
    const rows = this.tables.get(name);
    if (!rows) throw errors.tableNotFound(name);
    return rows;
  }
}

/** Collects what is written, as a stream would receive it. */
export class TextCollector {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** A clock that advances `stepMs` each time it is read, so timings in output are fixed. */
export function steppingClock(stepMs: number): () => number {
  let now = 0;
  return () => {
    now += stepMs;
    return now;
  };
}
