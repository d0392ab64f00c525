/**
 * The interactive prompt: reads lines with node:readline, runs complete statements
 * through the ScriptRunner, keeps history across runs, and completes with Tab.
 */
import { createInterface, type Interface } from 'node:readline';
import type { ScriptStatement } from '@minisql/common';
import { isBareCommand } from './client-commands.js';
import { complete, type ColumnCatalog } from './completion.js';
import { appendHistory, HISTORY_ENTRIES_MAX, historyEntry, holdsPassword, loadHistory } from './history-file.js';
import { formatError } from './result-format.js';
import { TYPED_ORIGIN, type RunOutcome, type ScriptRunner, type StatementExecutor, type TextSink } from './script-runner.js';
import { StatementBuffer } from './statement-buffer.js';

export const PROMPT = 'minisql> ';
/** Shown while a statement is unfinished; as wide as PROMPT so the text lines up. */
export const CONTINUATION_PROMPT = '     -> ';

export interface ReplOptions {
  runner: ScriptRunner;
  /** The connection, for `show tables` behind completion. */
  executor: StatementExecutor;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Warnings that are not statement results (history file trouble). */
  err: TextSink;
  address: string;
  historyFile: string;
}

/** Runs the prompt until quit, Ctrl-D, or Ctrl-C twice on an empty line. */
export async function runRepl(options: ReplOptions): Promise<void> {
  const { runner, executor, input, output, err } = options;
  const history = await SessionHistory.open(options.historyFile, err);
  let catalog: Catalog = { tables: [], columns: new Map() };
  const rl = createInterface({
    input,
    output,
    terminal: true,
    prompt: PROMPT,
    history: history.entries,
    // Readline would add each physical line; history entries are whole statements, so
    // the REPL adds them itself to the array it passed in (readline reads that array).
    historySize: 0,
    completer: (line: string) => complete(line, catalog.tables, catalog.columns),
  });
  const buffer = new StatementBuffer();
  let enteredLines: string[] = [];
  let running = false;
  let interruptedOnEmptyLine = false;
  /** True while the cursor sits after a prompt, so the goodbye needs a line of its own. */
  // eslint-disable-next-line no-useless-assignment -- read by the Ctrl-C and Ctrl-D handlers, which may run first
  let promptShowing = false;
  let closed = false;
  rl.on('close', () => {
    closed = true;
  });

  rl.on('SIGINT', () => {
    const hadInput = rl.line !== '' || buffer.isPending;
    output.write('^C\n');
    buffer.clear();
    enteredLines = [];
    if (running) {
      // The statement is cancelled: a select stops on the region; a write already sent may still apply.
      if (runner.cancelRunning()) output.write('(cancelling the running statement)\n');
      return;
    }
    if (!hadInput && interruptedOnEmptyLine) {
      promptShowing = false;
      rl.close();
      return;
    }
    if (!hadInput) output.write('(To leave, press Ctrl-C again, press Ctrl-D, or type quit;)\n');
    interruptedOnEmptyLine = !hadInput;
    eraseTypedLine(rl);
    rl.setPrompt(PROMPT);
    rl.prompt();
  });

  /** Runs what `line` completed; returns 'quit' when the user asked to leave. */
  const handleLine = async (line: string): Promise<RunOutcome> => {
    enteredLines.push(line);
    let statements: ScriptStatement[];
    try {
      // MySQL's client takes quit, exit and help without ";"; so does this one.
      statements = !buffer.isPending && isBareCommand(line) ? [{ text: line.trim(), line: 1 }] : buffer.addLine(line);
    } catch (error) {
      err.write(formatError(error));
      statements = [];
    }
    if (!buffer.isPending) {
      await history.add(historyEntry(enteredLines));
      enteredLines = [];
    }
    if (statements.length === 0) return 'continue';
    running = true;
    try {
      const outcome = await runner.runStatements(statements, TYPED_ORIGIN);
      if (runner.takeSchemaChange()) catalog = await fetchCatalog(executor, catalog);
      return outcome;
    } finally {
      running = false;
    }
  };

  output.write(`Connected to minisql at ${options.address}. Type help; for help, quit; to leave.\n`);
  catalog = await fetchCatalog(executor, catalog);
  rl.prompt();
  promptShowing = true;
  // Lines typed or pasted while a statement runs wait in the iterator, in order.
  for await (const line of rl) {
    promptShowing = false;
    interruptedOnEmptyLine = false;
    if ((await handleLine(line)) === 'quit') break;
    // Ctrl-D while a statement ran closed readline; prompting again would resume stdin and keep the process alive.
    if (closed) break;
    rl.setPrompt(buffer.isPending ? CONTINUATION_PROMPT : PROMPT);
    rl.prompt();
    promptShowing = true;
  }
  rl.close();
  output.write(promptShowing ? '\nBye\n' : 'Bye\n');
}

/** Clears what is typed after the prompt: Ctrl-E (to the end), then Ctrl-U (delete to the start). */
function eraseTypedLine(rl: Interface): void {
  rl.write(null, { ctrl: true, name: 'e' });
  rl.write(null, { ctrl: true, name: 'u' });
}

/** What completion knows of the schema: table names, and the columns of each (lower-case table name). */
export interface Catalog {
  tables: string[];
  columns: ColumnCatalog;
}

/** Tables whose columns are fetched for completion at most: one `describe` each. */
export const COMPLETION_TABLES_DESCRIBED_MAX = 200;

/**
 * Tables and their columns for completion (a `describe` per table, for the first
 * COMPLETION_TABLES_DESCRIBED_MAX); on failure what was known stays (completion is a convenience).
 */
export async function fetchCatalog(executor: StatementExecutor, previous: Catalog): Promise<Catalog> {
  const tables = await fetchTableNames(executor, previous.tables);
  const columns = new Map<string, readonly string[]>();
  for (const table of tables.slice(0, COMPLETION_TABLES_DESCRIBED_MAX)) {
    try {
      const name = /^[A-Za-z_][\w$]*$/.test(table) ? table : `\`${table.replaceAll('`', '``')}\``;
      const described = await executor.execute(`describe ${name}`);
      columns.set(
        table.toLowerCase(),
        described.rows.map((row) => String(row[0])),
      );
    } catch {
      const known = previous.columns.get(table.toLowerCase());
      if (known) columns.set(table.toLowerCase(), known);
    }
  }
  return { tables, columns };
}

/** Table names for completion; on failure the previous names stay (completion is a convenience). */
export async function fetchTableNames(executor: StatementExecutor, previous: string[]): Promise<string[]> {
  try {
    const result = await executor.execute('show tables');
    return result.rows.map((row) => String(row[0]));
  } catch {
    return previous;
  }
}

/**
 * The history of this session and earlier ones, newest first as readline wants it, and
 * the file it is saved to. A file that cannot be read or written costs the user a
 * warning, never the session.
 */
class SessionHistory {
  private saving = true;

  private constructor(
    readonly entries: string[],
    private readonly path: string,
    private readonly err: TextSink,
  ) {}

  static async open(path: string, err: TextSink): Promise<SessionHistory> {
    try {
      return new SessionHistory((await loadHistory(path)).reverse(), path, err);
    } catch (error) {
      err.write(`warning: cannot read history file ${path}: ${reason(error)}\n`);
      return new SessionHistory([], path, err);
    }
  }

  async add(entry: string): Promise<void> {
    if (entry === '' || entry === this.entries[0] || holdsPassword(entry)) return;
    this.entries.unshift(entry);
    if (this.entries.length > HISTORY_ENTRIES_MAX) this.entries.pop();
    if (!this.saving) return;
    try {
      await appendHistory(this.path, entry);
    } catch (error) {
      this.saving = false; // one warning, not one per statement
      this.err.write(`warning: cannot save history to ${this.path}: ${reason(error)}; history of this session will not be kept\n`);
    }
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
