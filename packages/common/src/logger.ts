/**
 * Structured logging: one JSON object per line on stderr, each naming the host and the
 * component. MINISQL_LOG_LEVEL (debug, info, warn, error; default info) sets the level;
 * the process's main.ts passes it in, since only main reads the environment.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): void;
}

export class Logger {
  constructor(
    private readonly host: string,
    private readonly component: string,
    private readonly level: LogLevel = 'info',
    private readonly sink: LogSink = process.stderr,
  ) {}

  child(component: string): Logger {
    return new Logger(this.host, component, this.level, this.sink);
  }

  debug(message: string, fields: Record<string, unknown> = {}): void {
    this.log('debug', message, fields);
  }

  info(message: string, fields: Record<string, unknown> = {}): void {
    this.log('info', message, fields);
  }

  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.log('warn', message, fields);
  }

  error(message: string, fields: Record<string, unknown> = {}): void {
    this.log('error', message, fields);
  }

  private log(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    if (LEVEL_RANK[level] < LEVEL_RANK[this.level]) return;
    const line = { time: new Date().toISOString(), level, host: this.host, component: this.component, message, ...fields };
    this.sink.write(`${JSON.stringify(line)}\n`);
  }
}

export function parseLogLevel(text: string | undefined): LogLevel {
  return text === 'debug' || text === 'warn' || text === 'error' ? text : 'info';
}
