/**
 * Runs statements one after another and writes what each returned: the common core of
 * the REPL, `-e`, standard-input scripts and `execfile`. Statements go to the server
 * through a `StatementExecutor` port; client commands (`execfile`, `status`, `quit`, `help`) run
 * here. An error never stops a script: it is printed, counted, and the next statement runs.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  ErrorCode,
  errors,
  MiniSqlError,
  underWayRows,
  type BackupPart__Output,
  type ClusterStatusResponse__Output,
  type ScriptStatement,
} from '@minisql/common';
import { formatClusterStatus } from './status-format.js';
import { divergence, formatVerification, type TableVerification } from '@minisql/wire';
import { HELP_TEXT, parseClientCommand } from './client-commands.js';
import type { QueryResult } from '@minisql/wire';
import { countOf, formatDuration, formatError, formatErrorAt, formatResult } from './result-format.js';
import { scriptStatements } from './script-statements.js';
import { formatDelimited, formatJson, formatVertical, type OutputFormat } from './output-formats.js';

/** What the runner needs from a connection; `MiniSqlClient` is one. */
export interface StatementExecutor {
  execute(sql: string, options?: { signal?: AbortSignal }): Promise<QueryResult>;
  /** The cluster map, when connected through a master. */
  clusterStatus?(): Promise<ClusterStatusResponse__Output>;
  /** Compares the copies of a table (of every table when none is named) on their members. */
  verify?(table?: string): Promise<TableVerification[]>;
  /** A table as SQL from its primary, part by part (`fresh`: the first part of an attempt). */
  backupTable?(table: string, onPart: (part: BackupPart__Output, fresh: boolean) => Promise<void>): Promise<void>;
}

/** Where text goes: `process.stdout`, or a string collector in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/** Standard error: progress is shown only when it is a terminal. */
export interface ErrorSink extends TextSink {
  readonly isTTY?: boolean;
}

/** Files with more statements than this show progress while they run. */
export const EXECFILE_PROGRESS_THRESHOLD_STATEMENTS = 1000;
/** How often the progress line is redrawn, in statements. */
export const EXECFILE_PROGRESS_INTERVAL_STATEMENTS = 500;
/** Deepest nesting of `execfile` inside files: deeper is almost surely a file running itself. */
export const EXECFILE_NESTING_MAX = 16;

/** Erases the progress line: back to column 1, clear to the end of the line. */
const ERASE_LINE = '\r\x1b[K';

export interface ScriptRunnerOptions {
  executor: StatementExecutor;
  out: TextSink;
  err: ErrorSink;
  /** Directory `execfile` paths are relative to. */
  cwd: string;
  /** A clock in milliseconds; tests pass a fake one to get fixed timings. */
  now?: () => number;
  /** How results print (default table). */
  format?: OutputFormat;
  /** How often a running `move table` or `rebalance` reports its progress, in milliseconds. */
  moveProgressIntervalMs?: number;
}

/** Default of ScriptRunnerOptions.moveProgressIntervalMs. */
export const MOVE_PROGRESS_INTERVAL_MS = 1_000;

/** Where statements come from, which decides how errors and results are shown. */
export interface StatementOrigin {
  /** Show the statement's line in errors (scripts), or not (typed input, `-e`). */
  showLines: boolean;
  /** The file, as the user named it, for `ERROR at line N of FILE`. */
  fileName?: string;
  /** Print only row sets and errors: successful writes in a file would flood the screen. */
  quiet: boolean;
  /** How many `execfile`s deep this is. */
  depth: number;
}

/** Input typed at the prompt. */
export const TYPED_ORIGIN: StatementOrigin = { showLines: false, quiet: false, depth: 0 };
/** The statements of `-e`. */
export const COMMAND_LINE_ORIGIN: StatementOrigin = TYPED_ORIGIN;
/** A script read from standard input. */
export const STDIN_ORIGIN: StatementOrigin = { showLines: true, quiet: false, depth: 0 };

/** Whether to go on reading input after a run. */
export type RunOutcome = 'continue' | 'quit';

interface StatementOutcome {
  outcome: RunOutcome;
  ok: boolean;
}

export class ScriptRunner {
  /** The statement on its way, while one is. */
  private running: AbortController | undefined;
  private readonly executor: StatementExecutor;
  private readonly out: TextSink;
  private readonly err: ErrorSink;
  private readonly cwd: string;
  private readonly now: () => number;
  private readonly format: OutputFormat;
  private failureCount = 0;
  private schemaChanged = false;
  private progressVisible = false;

  constructor(options: ScriptRunnerOptions) {
    this.executor = options.executor;
    this.out = options.out;
    this.err = options.err;
    this.cwd = options.cwd;
    this.now = options.now ?? (() => performance.now());
    this.format = options.format ?? 'table';
    this.moveProgressIntervalMs = options.moveProgressIntervalMs ?? MOVE_PROGRESS_INTERVAL_MS;
  }

  private readonly moveProgressIntervalMs: number;

  /**
   * While a `move table` or `rebalance` runs (it may copy for minutes), a line on standard
   * error every interval for each move under way, as `status;` shows it. Returns the stop.
   */
  private reportMoves(sql: string): () => void {
    const status = this.executor.clusterStatus?.bind(this.executor);
    if (!status || !/^\s*(move|rebalance)\b/i.test(sql)) return () => undefined;
    let asking = false;
    const timer = setInterval(() => {
      if (asking) return;
      asking = true;
      status()
        .then((now) => {
          for (const [, what, progress] of underWayRows(now).filter(([kind]) => kind === 'move')) this.err.write(`progress: ${what}: ${progress}\n`);
        })
        .catch(() => undefined)
        .finally(() => (asking = false));
    }, this.moveProgressIntervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Statements that failed so far, in every file and line run through this runner. */
  get failures(): number {
    return this.failureCount;
  }

  /** True once after a table was created or dropped, so the REPL can refresh its table names. */
  takeSchemaChange(): boolean {
    const changed = this.schemaChanged;
    this.schemaChanged = false;
    return changed;
  }

  /** Splits `source` and runs every statement in it (the last one may lack its `;`). */
  async runScript(source: string, origin: StatementOrigin): Promise<RunOutcome> {
    let statements: ScriptStatement[];
    try {
      statements = scriptStatements(source);
    } catch (error) {
      this.fail(error, origin, MiniSqlError.from(error).line || 1);
      return 'continue';
    }
    return (await this.runCounted(statements, origin)).outcome;
  }

  /** Runs statements in order; stops early only at `quit`. */
  async runStatements(statements: readonly ScriptStatement[], origin: StatementOrigin): Promise<RunOutcome> {
    return (await this.runCounted(statements, origin)).outcome;
  }

  private async runCounted(
    statements: readonly ScriptStatement[],
    origin: StatementOrigin,
    onProgress?: (done: number) => void,
  ): Promise<{ outcome: RunOutcome; ran: number; failed: number }> {
    let ran = 0;
    let failed = 0;
    for (const statement of statements) {
      const { outcome, ok } = await this.runOne(statement, origin);
      if (outcome === 'quit') return { outcome, ran, failed };
      ran += 1;
      if (!ok) failed += 1;
      onProgress?.(ran);
    }
    return { outcome: 'continue', ran, failed };
  }

  private async runOne(statement: ScriptStatement, origin: StatementOrigin): Promise<StatementOutcome> {
    let command;
    try {
      command = parseClientCommand(statement.text);
    } catch (error) {
      this.fail(error, origin, statement.line);
      return { outcome: 'continue', ok: false };
    }
    if (command?.kind === 'quit') return { outcome: 'quit', ok: true };
    if (command?.kind === 'help') {
      this.writeOut(HELP_TEXT);
      return { outcome: 'continue', ok: true };
    }
    if (command?.kind === 'execfile') return this.execFile(command.path, origin, statement.line);
    if (command?.kind === 'status') return this.showStatus(origin, statement.line);
    if (command?.kind === 'verify') return this.verify(command.table, origin, statement.line);
    if (command?.kind === 'dump') return this.dump(command.table, origin, statement.line);
    return this.executeSql(statement, origin);
  }

  private async showStatus(origin: StatementOrigin, line: number): Promise<StatementOutcome> {
    if (!this.executor.clusterStatus) {
      this.fail(errors.unsupported('status without a master (connect with --master or --config)'), origin, line);
      return { outcome: 'continue', ok: false };
    }
    try {
      this.writeOut(`${formatClusterStatus(await this.executor.clusterStatus())}\n`);
      return { outcome: 'continue', ok: true };
    } catch (error) {
      this.fail(error, origin, line);
      return { outcome: 'continue', ok: false };
    }
  }

  /** Prints tables as SQL, each whole once read (an attempt cut by a failover starts over). */
  private async dump(table: string | undefined, origin: StatementOrigin, line: number): Promise<StatementOutcome> {
    const { backupTable, clusterStatus } = this.executor;
    if (!backupTable || !clusterStatus) {
      this.fail(errors.unsupported('dump without a master (connect with --master or --config)'), origin, line);
      return { outcome: 'continue', ok: false };
    }
    try {
      const tables = table !== undefined ? [table] : (await clusterStatus.call(this.executor)).groups.flatMap((group) => group.tables).sort();
      for (const name of tables) {
        let text = '';
        let position = 0;
        await backupTable.call(this.executor, name, async (part, fresh) => {
          if (fresh) text = '';
          position = Number(part.position);
          text += part.statements.map((statement) => `${statement}\n`).join('');
        });
        this.writeOut(`-- table ${name} at log position ${position}\n${text}\n`);
      }
      return { outcome: 'continue', ok: true };
    } catch (error) {
      this.fail(error, origin, line);
      return { outcome: 'continue', ok: false };
    }
  }

  /** Prints the comparison; a copy that differs fails the statement with REPLICA_DIVERGED. */
  private async verify(table: string | undefined, origin: StatementOrigin, line: number): Promise<StatementOutcome> {
    if (!this.executor.verify) {
      this.fail(errors.unsupported('verify on this connection'), origin, line);
      return { outcome: 'continue', ok: false };
    }
    try {
      const verifications = await this.executor.verify(table);
      this.writeOut(`${formatVerification(verifications)}\n`);
      const diverged = divergence(verifications);
      if (diverged) {
        this.fail(diverged, origin, line);
        return { outcome: 'continue', ok: false };
      }
      return { outcome: 'continue', ok: true };
    } catch (error) {
      this.fail(error, origin, line);
      return { outcome: 'continue', ok: false };
    }
  }

  /** A result in the chosen format; the human ones end with a blank line, as in MySQL, to keep results apart. */
  private render(result: QueryResult, elapsedMs: number, vertical = false): string {
    switch (this.format) {
      case 'table':
        // A statement ended by \G shows its rows vertically (the formats for programs keep theirs).
        return vertical ? `${formatVertical(result, elapsedMs)}\n` : `${formatResult(result, elapsedMs)}\n`;
      case 'vertical':
        return `${formatVertical(result, elapsedMs)}\n`;
      case 'csv':
      case 'tsv':
        return formatDelimited(result, this.format);
      case 'json':
        return formatJson(result);
    }
  }

  /**
   * Cancels the statement running now (Ctrl-C at the prompt); true when there was one.
   * A select is stopped on the region; a write already sent may still take effect.
   */
  cancelRunning(): boolean {
    if (!this.running) return false;
    this.running.abort();
    return true;
  }

  private async executeSql(statement: ScriptStatement, origin: StatementOrigin): Promise<StatementOutcome> {
    const started = this.now();
    let result: QueryResult;
    const stopReporting = this.reportMoves(statement.text);
    try {
      this.running = new AbortController();
      result = await this.executor.execute(statement.text, { signal: this.running.signal });
    } catch (error) {
      this.fail(error, origin, statement.line);
      return { outcome: 'continue', ok: false };
    } finally {
      this.running = undefined;
      stopReporting();
    }
    const elapsedMs = this.now() - started;
    if (result.kind === 'create_table' || result.kind === 'drop_table') this.schemaChanged = true;
    if (!origin.quiet || result.columns.length > 0) this.writeOut(this.render(result, elapsedMs, statement.vertical));
    return { outcome: 'continue', ok: true };
  }

  /**
   * Runs the statements of a file. The statement counts as failed when any statement in
   * the file failed; each of those was already counted once in `failures`.
   */
  private async execFile(path: string, origin: StatementOrigin, line: number): Promise<StatementOutcome> {
    if (origin.depth >= EXECFILE_NESTING_MAX) {
      this.fail(errors.fileError(path, `execfile is nested more than ${EXECFILE_NESTING_MAX} files deep (does a file run itself?)`), origin, line);
      return { outcome: 'continue', ok: false };
    }
    let statements: ScriptStatement[];
    const fileOrigin: StatementOrigin = { showLines: true, fileName: path, quiet: true, depth: origin.depth + 1 };
    try {
      statements = scriptStatements(await readScriptFile(resolve(this.cwd, path), path));
    } catch (error) {
      // A file that cannot be read fails where execfile was; a file that cannot be split fails in the file.
      const inFile = error instanceof MiniSqlError && error.code !== ErrorCode.FILE_ERROR;
      if (inFile) this.fail(error, fileOrigin, error.line || 1);
      else this.fail(error, origin, line);
      return { outcome: 'continue', ok: false };
    }
    const started = this.now();
    const showProgress = statements.length > EXECFILE_PROGRESS_THRESHOLD_STATEMENTS && this.err.isTTY === true;
    const onProgress = showProgress
      ? (done: number): void => {
          if (done % EXECFILE_PROGRESS_INTERVAL_STATEMENTS !== 0 || done === statements.length) return;
          this.err.write(`${ERASE_LINE}execfile ${path}: ${done}/${statements.length} statements`);
          this.progressVisible = true;
        }
      : undefined;
    const { outcome, ran, failed } = await this.runCounted(statements, fileOrigin, onProgress);
    const elapsedMs = this.now() - started;
    this.writeOut(`execfile ${path}: ${countOf(ran, 'statement')}, ${ran - failed} OK, ${failed} failed (${formatDuration(elapsedMs)})\n`);
    return { outcome, ok: failed === 0 };
  }

  private fail(error: unknown, origin: StatementOrigin, line: number): void {
    this.failureCount += 1;
    const text = origin.showLines ? formatErrorAt(error, { line, fileName: origin.fileName }) : formatError(error);
    this.writeErr(text);
  }

  private writeOut(text: string): void {
    this.eraseProgress();
    this.out.write(text);
  }

  private writeErr(text: string): void {
    this.eraseProgress();
    this.err.write(text);
  }

  /** Output of a statement replaces the progress line instead of being appended to it. */
  private eraseProgress(): void {
    if (!this.progressVisible) return;
    this.err.write(ERASE_LINE);
    this.progressVisible = false;
  }
}

/** Reads a script as UTF-8; failures become FILE_ERROR naming the file as the user wrote it. */
async function readScriptFile(absolutePath: string, shownPath: string): Promise<string> {
  try {
    return await readFile(absolutePath, 'utf8');
  } catch (error) {
    throw errors.fileError(shownPath, fileFailureReason(error));
  }
}

/** The reason a file could not be read, in words rather than an errno name. */
function fileFailureReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
