/**
 * The pool of query worker processes (query-worker-main.ts): selects that may run long
 * go here, so the region's own thread keeps renewing its lease, answering the health
 * stream and replicating while they run. Each statement has a deadline: past it the
 * worker is killed (SIGKILL: it stops inside SQLite at once), the statement answered
 * TIMEOUT naming the limit, and the next statement starts a fresh worker. A statement
 * waiting for a free worker waits under the same deadline.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { errors, MiniSqlError, type Logger, type ProtoError__Output, type TableDefinition, type CancelSignal } from '@minisql/common';
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
}

export interface ResultColumnSource {
  name: string;
  table: string | null;
  column: string | null;
}

export type QueryAnswer =
  | { id: number; columns: ResultColumnSource[]; rows: unknown[][]; truncated: boolean; error?: undefined }
  | { id: number; error: ProtoError__Output };

export type QueryResult = Extract<QueryAnswer, { columns: ResultColumnSource[] }>;

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
}

class Worker {
  readonly child: ChildProcess;
  job: Job | undefined;
  /** Set when the table files changed: the worker ends once idle. */
  retired = false;

  constructor(onAnswer: (worker: Worker, answer: QueryAnswer) => void, onExit: (worker: Worker) => void) {
    this.child = fork(WORKER_SCRIPT, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.on('message', (answer: QueryAnswer) => onAnswer(this, answer));
    this.child.on('exit', () => onExit(this));
    this.child.on('error', () => undefined); // 'exit' follows
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export class QueryWorkers {
  private readonly workers = new Set<Worker>();
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;

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

  /** The table files changed: workers end (at once if idle, after their statement if not). */
  reset(): void {
    for (const worker of this.workers) {
      worker.retired = true;
      if (!worker.job) this.end(worker);
    }
  }

  /** Workers running now (for tests and status). */
  get size(): number {
    return this.workers.size;
  }

  close(): void {
    this.closed = true;
    for (const job of this.waiting.splice(0)) this.fail(job, errors.unavailable('query workers', 'the region is shutting down'));
    for (const worker of this.workers) this.end(worker);
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      let worker = [...this.workers].find((candidate) => !candidate.job && !candidate.retired);
      if (!worker) {
        if (this.workers.size >= this.options.workersMax) return;
        worker = new Worker(
          (from, answer) => this.answered(from, answer),
          (gone) => this.exited(gone),
        );
        this.workers.add(worker);
      }
      const job = this.waiting.shift() as Job;
      worker.job = job;
      const id = this.nextId++;
      try {
        worker.child.send({ ...job.request, id });
      } catch (error) {
        worker.job = undefined;
        this.end(worker);
        this.fail(job, errors.internal(`a query worker could not take the statement: ${(error as Error).message}`));
      }
    }
  }

  private answered(worker: Worker, answer: QueryAnswer): void {
    const job = worker.job;
    worker.job = undefined;
    if (job) {
      clearTimeout(job.timer);
      if (answer.error) job.reject(MiniSqlError.fromProto(answer.error));
      else job.resolve(answer);
    }
    if (worker.retired) this.end(worker);
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
    clearTimeout(job.timer);
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
    clearTimeout(job.timer);
    job.reject(error);
  }
}
