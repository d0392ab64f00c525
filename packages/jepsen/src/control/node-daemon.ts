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
  // Running while any of its threads is not a zombie (state Z: exited, not reaped). A
  // killed process's first thread turns zombie while others may still be exiting and
  // holding its files and ports, so every thread is read, not the first alone.
  const alive = `[ -f ${pidFile} ] && p=$(cat ${pidFile}) && grep -qv '^[0-9]* ([^)]*) Z' /proc/$p/task/*/stat 2>/dev/null`;
  const log = shellQuote(logPath);
  // Each start, refusal and kill leaves a line in the process's own log, so a log read after
  // a run says which process wrote which lines and what became of each.
  const note = (text: string) => `echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) daemon: ${text}" >> ${log}`;
  const waitGone =
    `for i in $(seq 1 ${EXIT_WAIT_TENTHS_MAX}); do ( ${alive} ) || break; sleep 0.1; done; ` +
    `if ${alive}; then ${note(`${spec.name} $p still running ${EXIT_WAIT_TENTHS_MAX / 10} s after SIGKILL`)}; fi`;
  const killNow = `if ${alive}; then kill -9 $p; ${note(`killed ${spec.name} $p`)}; fi; ${waitGone}`;
  return {
    // A lone command put in the background, so that $! is the process itself (setsid
    // execs it: the shell's child is not a group leader) and the pid file names it.
    start:
      `mkdir -p ${dir} && cd ${dir} && if ${alive}; then ${note(`${spec.name} is already running as $p`)}; echo "${spec.name} is already running as $p"; else ` +
      `${env ? `env ${env} ` : ''}setsid ${program} >> ${log} 2>&1 < /dev/null & echo $! > ${pidFile}; ${note(`started ${spec.name} as $!`)}; fi`,
    stop: `${killNow}; rm -f ${pidFile}`,
    kill: killNow,
    isRunning: alive,
    signal: (name) => `if ${alive}; then kill -${name} $p; else echo "${spec.name} is not running" >&2; exit 1; fi`,
    logPath,
  };
}
