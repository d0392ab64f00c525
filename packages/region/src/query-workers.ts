/**
 * The pool of query worker processes (query-worker-main.ts): selects that may run long
 * go here, so the region's own thread keeps renewing its lease, answering the health
 * stream and replicating while they run. Each statement has a deadline: past it the
 * worker is killed (SIGKILL: it stops inside SQLite at once), the statement answered
 * TIMEOUT naming the limit, and the next statement starts a fresh worker. A statement
 * waiting for a free worker waits under the same deadline.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errors, MiniSqlError, withDeadline, type Logger, type ProtoError__Output, type TableDefinition, type CancelSignal } from '@minisql/common';
import type { AttachableTable } from './query-connection.js';

export interface QueryRequest {
  id: number;
  sql: string;
  params: readonly unknown[];
  tables: readonly AttachableTable[];
  /** For error messages that name the table's columns. */
  definition: TableDefinition | undefined;
  rowsMax: number;
  /** Bytes the result may hold; past it the statement fails with LIMIT_EXCEEDED. */
  bytesMax: number;
  pageCacheKiB: number;
  /**
   * Memory the statement may take, in bytes: the growth of its worker's resident set
   * while it runs. Read from /proc every MEMORY_CHECK_INTERVAL_MS; past it the worker is
   * killed. (SQLite's own heap limit needs its memory statistics, which better-sqlite3
   * builds without.)
   */
  memoryBytesMax: number;
}

export interface ResultColumnSource {
  name: string;
  table: string | null;
  column: string | null;
}

export type QueryAnswer =
  { id: number; columns: ResultColumnSource[]; rows: unknown[][]; truncated: boolean; error?: undefined } | { id: number; error: ProtoError__Output };

export type QueryResult = Extract<QueryAnswer, { columns: ResultColumnSource[] }>;

/** Tells a worker to let go of the file it holds for a table (see QueryWorkers.detach). */
export interface WorkerDetach {
  detach: string;
}

export interface QueryWorkersOptions {
  /** Worker processes at most; statements beyond wait. */
  workersMax: number;
  /** Statements waiting for a worker at most; more are refused with LIMIT_EXCEEDED. */
  waitingMax: number;
  logger: Logger;
}

const WORKER_SCRIPT = fileURLToPath(new URL('./query-worker-main.js', import.meta.url));

interface Job {
  request: Omit<QueryRequest, 'id'>;
  timeoutMs: number;
  resolve: (result: QueryResult) => void;
  reject: (error: MiniSqlError) => void;
  timer: NodeJS.Timeout;
  /** Reads the worker's memory while the statement runs. */
  memoryCheck?: NodeJS.Timeout;
}

/** How often a running statement's memory is read; it may overshoot by what it allocates in that time. */
export const MEMORY_CHECK_INTERVAL_MS = 50;

/** A process's resident memory in bytes, from /proc (undefined where there is none, or it is gone). */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const clearTimers = (job: Job): void => {
  clearTimeout(job.timer);
  clearInterval(job.memoryCheck);
};

class Worker {
  readonly child: ChildProcess;
  job: Job | undefined;
  /** The worker's resident memory once started, before any statement (undefined until it says). */
  readyRssBytes: number | undefined;
  /** Resolves once the process is gone (and its open table files with it). */
  readonly exited: Promise<void>;

  constructor(onAnswer: (worker: Worker, answer: QueryAnswer) => void, onExit: (worker: Worker) => void) {
    this.child = fork(WORKER_SCRIPT, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.on('message', (message: QueryAnswer | { readyRssBytes: number } | { rowsReadFor: number }) => {
      if ('readyRssBytes' in message) this.readyRssBytes = message.readyRssBytes;
      else if ('rowsReadFor' in message) clearInterval(this.job?.memoryCheck);
      else onAnswer(this, message);
    });
    // 'exit', or 'error' alone when the process could not be started at all.
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.once('error', () => {
        if (this.child.pid === undefined) resolve();
      });
    });
    this.child.on('exit', () => onExit(this));
    this.child.on('error', () => undefined); // 'exit' follows
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** How long a region's stop waits for its killed query workers to be gone. */
const WORKERS_EXIT_WAIT_MS = 2_000;

export class QueryWorkers {
  private readonly workers = new Set<Worker>();
  /** Every worker process not yet gone, those already ended included. */
  private readonly living = new Set<Worker>();
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;
  private startedCount = 0;

  constructor(private readonly options: QueryWorkersOptions) {}

  /** Runs a select in a worker within `timeoutMs`; rejects with TIMEOUT past it. */
  run(request: Omit<QueryRequest, 'id'>, timeoutMs: number, signal?: CancelSignal): Promise<QueryResult> {
    if (this.closed) return Promise.reject(errors.unavailable('query workers', 'the region is shutting down'));
    if (signal?.aborted) return Promise.reject(errors.cancelled());
    if (this.waiting.length >= this.options.waitingMax) {
      return Promise.reject(errors.limitExceeded('statements waiting for a query worker', this.options.waitingMax));
    }
    return new Promise<QueryResult>((resolve, reject) => {
      const job: Job = { request, timeoutMs, resolve, reject, timer: setTimeout(() => this.stop(job, errors.statementTimeout(timeoutMs)), timeoutMs) };
      // The client cancelled (Ctrl-C): stopped as at a deadline.
      signal?.addEventListener('abort', () => this.stop(job, errors.cancelled()), { once: true });
      this.waiting.push(job);
      this.dispatch();
    });
  }

  /**
   * A table's file appeared, went or was replaced: every worker lets go of the file it
   * holds for that name, after the statement it is running (a worker takes its messages
   * one at a time, in order), and opens the one there is at the name's next statement.
   * Not by ending the workers: starting a worker process took about 0.4 s of the next
   * scan after every `create table` or `drop table`.
   */
  detach(table: string): void {
    for (const worker of this.workers) {
      try {
        worker.child.send({ detach: table } satisfies WorkerDetach);
      } catch {
        this.end(worker); // gone or going: the next statement starts another
      }
    }
  }

  /** Workers running now (for tests and status). */
  get size(): number {
    return this.workers.size;
  }

  /** Workers started over the pool's life (for tests and status). */
  get started(): number {
    return this.startedCount;
  }

  /**
   * Fails the waiting statements, kills every worker and resolves once they are gone
   * (at most WORKERS_EXIT_WAIT_MS): a worker killed but not yet gone still holds the
   * table files open, and whoever stops a region may remove or unmount them next.
   */
  close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) this.fail(job, errors.unavailable('query workers', 'the region is shutting down'));
    for (const worker of this.workers) this.end(worker);
    const exits = [...this.living].map((worker) => worker.exited);
    return withDeadline(
      Promise.all(exits).then(() => undefined),
      WORKERS_EXIT_WAIT_MS,
      () => undefined,
    );
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      let worker = [...this.workers].find((candidate) => !candidate.job);
      if (!worker) {
        if (this.workers.size >= this.options.workersMax) return;
        worker = new Worker(
          (from, answer) => this.answered(from, answer),
          (gone) => this.exited(gone),
        );
        this.workers.add(worker);
        this.living.add(worker);
        this.startedCount += 1;
        const started = worker;
        void started.exited.then(() => this.living.delete(started));
      }
      const job = this.waiting.shift() as Job;
      worker.job = job;
      const id = this.nextId++;
      this.watchMemory(worker, job);
      try {
        worker.child.send({ id, ...job.request }); // the new field first: wire's DESIGN.md, "A request's objects die young"
      } catch (error) {
        worker.job = undefined;
        this.end(worker);
        this.fail(job, errors.internal(`a query worker could not take the statement: ${(error as Error).message}`));
      }
    }
  }

  /** Stops the statement when its worker grows by more than its memory limit. */
  private watchMemory(worker: Worker, job: Job): void {
    const pid = worker.child.pid;
    if (pid === undefined) return;
    // Counted from what the worker held when the statement came (a worker still starting:
    // from what it held once started, which it tells first).
    const atDispatch = worker.readyRssBytes === undefined ? undefined : residentBytes(pid);
    job.memoryCheck = setInterval(() => {
      const baseline = atDispatch ?? worker.readyRssBytes;
      const now = residentBytes(pid);
      if (baseline !== undefined && now !== undefined && now - baseline > job.request.memoryBytesMax) {
        this.stop(job, errors.limitExceeded('memory of one query in bytes (the setting queryMemoryBytesMax)', job.request.memoryBytesMax));
      }
    }, MEMORY_CHECK_INTERVAL_MS);
  }

  private answered(worker: Worker, answer: QueryAnswer): void {
    const job = worker.job;
    worker.job = undefined;
    if (job) {
      clearTimers(job);
      if (answer.error) job.reject(MiniSqlError.fromProto(answer.error));
      else job.resolve(answer);
    }
    this.dispatch();
  }

  /** The deadline passed, or the client cancelled: a waiting statement leaves the queue; a running one's worker is killed. */
  private stop(job: Job, why: MiniSqlError): void {
    const queued = this.waiting.indexOf(job);
    const running = [...this.workers].find((worker) => worker.job === job);
    if (queued < 0 && !running) return; // answered already
    if (queued >= 0) this.waiting.splice(queued, 1);
    if (running) {
      running.job = undefined;
      this.end(running);
      this.options.logger.warn(`statement stopped (${why.code}); its query worker was killed`, { ms: job.timeoutMs, sql: job.request.sql.slice(0, 200) });
    }
    clearTimers(job);
    job.reject(why);
    this.dispatch();
  }

  private exited(worker: Worker): void {
    this.workers.delete(worker);
    const job = worker.job;
    worker.job = undefined;
    if (job) this.fail(job, errors.internal('the query worker running the statement exited'));
    if (!this.closed) this.dispatch();
  }

  private end(worker: Worker): void {
    this.workers.delete(worker);
    worker.kill();
  }

  private fail(job: Job, error: MiniSqlError): void {
    clearTimers(job);
    job.reject(error);
  }
}
