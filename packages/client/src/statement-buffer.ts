/**
 * The REPL's input between prompts: lines accumulate until they hold complete
 * statements. Pure; common's `splitStatements` decides where statements end, so an open
 * string or comment keeps the buffer waiting for more lines.
 */
import { splitStatements, type ScriptStatement } from '@minisql/common';

export class StatementBuffer {
  private pending = '';

  /**
   * Adds one typed line; returns the statements it completed (possibly several, possibly
   * none). Throws a MiniSqlError when the text cannot be tokenized; the buffer is then
   * emptied, since more lines cannot repair it.
   */
  addLine(line: string): ScriptStatement[] {
    const source = this.pending === '' ? line : `${this.pending}\n${line}`;
    let split;
    try {
      split = splitStatements(source);
    } catch (error) {
      this.pending = '';
      throw error;
    }
    this.pending = split.rest;
    return split.statements;
  }

  /** True while an unfinished statement waits for more lines. */
  get isPending(): boolean {
    return this.pending !== '';
  }

  clear(): void {
    this.pending = '';
  }
}
