/**
 * The run's log: every line to jepsen.log in the store and, unless quiet, to the
 * console, prefixed with the time like the seed's log. Operations are logged as Jepsen
 * logs them (`INFO  jepsen.util - 3	:invoke	:read	nil`), so a console log can be read
 * back as a history by `minisql-jepsen check`.
 */
import type { Writable } from 'node:stream';
import { formatEdn } from '@minisql/checker';
import { NEMESIS_PROCESS, type Op } from '@minisql/checker';
import type { TestLogger } from '../test-context.js';

export interface TestLogOptions {
  /** jepsen.log, once the store exists. */
  file?: Writable;
  /** The console; undefined when quiet. */
  console?: Writable;
  /** Log every operation (default true); a long, fast run may turn it off. */
  logOps?: boolean;
}

export class TestLog implements TestLogger {
  private file: Writable | undefined;

  constructor(private readonly options: TestLogOptions) {
    this.file = options.file;
  }

  /** Starts writing to jepsen.log as well (lines logged before are not repeated). */
  attachFile(file: Writable): void {
    this.file = file;
  }

  info(message: string): void {
    this.write('INFO ', message);
  }

  warn(message: string): void {
    this.write('WARN ', message);
  }

  op(op: Op): void {
    if (this.options.logOps === false) return;
    const process = op.process === NEMESIS_PROCESS ? ':nemesis' : String(op.process);
    const value = op.key === undefined ? formatEdn(op.value) : formatEdn([op.key, op.value]);
    const error = op.error === undefined ? '' : `\t${formatEdn(op.error)}`;
    // Exactly Jepsen's op line, with no time in front, so the log reads back as a history.
    this.emit(`INFO  jepsen.util - ${process}\t:${op.type}\t:${op.f}\t${value}${error}\n`);
  }

  private write(level: string, message: string): void {
    this.emit(`${timestamp()} ${level} jepsen.core - ${message}\n`);
  }

  private emit(line: string): void {
    this.file?.write(line);
    this.options.console?.write(line);
  }
}

/** `2026-11-21 10:04:05,123`, local time, as Jepsen's log. */
function timestamp(): string {
  const now = new Date();
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())},${pad(now.getMilliseconds(), 3)}`;
}
