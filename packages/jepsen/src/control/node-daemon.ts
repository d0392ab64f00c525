/**
 * Shell commands that run one database process on a node as a daemon: started detached
 * in its own session (so a Ctrl-C at the tester's terminal does not reach it, and a
 * teardown is what stops it), its pid in `<dir>/<name>.pid`, its output appended to
 * `<dir>/<name>.log`. Used by the etcd and minisql adapters through any Remote.
 */
import { shellQuote } from './shell-quote.js';

export interface DaemonSpec {
  /** The folder for the pid and log files (created on start). */
  dir: string;
  /** A name for the files, e.g. etcd or region. */
  name: string;
  /** The program and its arguments. */
  command: readonly string[];
  /** Environment variables for it. */
  env?: Readonly<Record<string, string>>;
}

export interface DaemonCommands {
  start: string;
  /** SIGKILL, then wait (bounded) until the process is gone; removes the pid file. */
  stop: string;
  /** SIGKILL, keeping the pid file's place for the next start. */
  kill: string;
  /** Exits 0 when the process is alive (a zombie is not). */
  isRunning: string;
  signal(name: 'STOP' | 'CONT' | 'KILL' | 'TERM'): string;
  logPath: string;
}

/** Tenths of a second to wait for a killed process to go away. */
const EXIT_WAIT_TENTHS_MAX = 100;

export function daemonCommands(spec: DaemonSpec): DaemonCommands {
  const dir = shellQuote(spec.dir);
  const pidFile = shellQuote(`${spec.dir}/${spec.name}.pid`);
  const logPath = `${spec.dir}/${spec.name}.log`;
  const env = Object.entries(spec.env ?? {})
    .map(([key, value]) => `${key}=${shellQuote(value)}`)
    .join(' ');
  const program = spec.command.map(shellQuote).join(' ');
  // A zombie (state Z) has exited but not been reaped: it is not running.
  const alive = `[ -f ${pidFile} ] && p=$(cat ${pidFile}) && [ -r /proc/$p/stat ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$p/stat`;
  const waitGone = `for i in $(seq 1 ${EXIT_WAIT_TENTHS_MAX}); do ( ${alive} ) || break; sleep 0.1; done`;
  const killNow = `if ${alive}; then kill -9 $p; fi; ${waitGone}`;
  return {
    start:
      `mkdir -p ${dir} && if ${alive}; then echo "${spec.name} is already running as $p"; else ` +
      `cd ${dir} && ${env ? `env ${env} ` : ''}setsid ${program} >> ${shellQuote(logPath)} 2>&1 < /dev/null & echo $! > ${pidFile}; fi`,
    stop: `${killNow}; rm -f ${pidFile}`,
    kill: killNow,
    isRunning: alive,
    signal: (name) => `if ${alive}; then kill -${name} $p; else echo "${spec.name} is not running" >&2; exit 1; fi`,
    logPath,
  };
}
