/**
 * Makes a table file's committed writes durable off the event loop. SQLite with
 * `synchronous = FULL` fsyncs the write-ahead log inside every COMMIT, and better-sqlite3
 * runs COMMIT on the region's only thread: each batch stopped every read, every lease
 * renewal and every replication message for one fsync (0.2-1 ms here). Instead the
 * connection runs with `synchronous = NORMAL` (a commit appends to the WAL and returns)
 * and this class fsyncs the WAL file on libuv's thread pool; nothing is acknowledged
 * before the fsync that covers its commit has finished, so an acknowledged write is on
 * disk exactly as with FULL. Meanwhile the batch is already on its way to the replicas,
 * so the primary's fsync and the replicas' overlap instead of adding up.
 *
 * fdatasync, as SQLite itself uses on Linux: the frames' data and the file's size, not
 * its times.
 *
 * Why the WAL alone: in WAL mode a commit writes only WAL frames; recovery replays the
 * frames up to the last valid commit frame. SQLite itself syncs the WAL before every
 * checkpoint and the database file after it, and the WAL header when the log restarts,
 * also with NORMAL. fsync on another descriptor of the same file flushes the same pages.
 *
 * Syncs coalesce: a request while one runs waits for the next one (which starts when the
 * running one ends and covers every commit before it), so a burst of batches costs two
 * fsyncs, not one each.
 */
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';

/** The file calls WalSync makes (node:fs; a test counts them). */
export interface WalFiles {
  open(path: string): number;
  fsync(fd: number, done: (error: Error | null) => void): void;
  fsyncSync(fd: number): void;
  close(fd: number): void;
}

const NODE_FILES: WalFiles = {
  open: (path) => openSync(path, 'r'),
  fsync: (fd, done) => fdatasync(fd, done),
  fsyncSync: (fd) => fdatasyncSync(fd),
  close: (fd) => closeSync(fd),
};

export class WalSync {
  private fd: number | undefined;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(
    private readonly walPath: string,
    private readonly files: WalFiles = NODE_FILES,
  ) {}

  /** Resolves once every commit made before the call is on disk; rejects if the fsync fails. */
  sync(): Promise<void> {
    if (this.running === undefined) return (this.running = this.start());
    // The running fsync may have started before this commit: it needs the next one.
    this.next ??= this.running.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.next;
  }

  /** The same, on this thread, for the rare commit that must be durable before the call returns (DDL). */
  syncNow(): void {
    this.files.fsyncSync(this.descriptor());
  }

  close(): void {
    if (this.fd !== undefined) this.files.close(this.fd);
    this.fd = undefined;
  }

  private startNext(): Promise<void> {
    this.next = undefined;
    return (this.running = this.start());
  }

  private start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let fd: number;
      try {
        fd = this.descriptor();
      } catch (error) {
        reject(error);
        return;
      }
      this.files.fsync(fd, (error) => (error ? reject(error) : resolve()));
    }).finally(() => {
      if (this.next === undefined) this.running = undefined;
    });
  }

  /** The WAL exists while the table's connection is open (WAL mode, after its first read). */
  private descriptor(): number {
    this.fd ??= this.files.open(this.walPath);
    return this.fd;
  }
}
