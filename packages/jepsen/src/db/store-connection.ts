/**
 * The port a database adapter implements so the built-in workloads can drive it: one
 * connection per worker, with the few operations the workloads need. The workload
 * client (workload-client.ts) turns these into ok, fail and info completions.
 *
 * An adapter says whether a failure is certain: it throws `DefiniteFailure` when the
 * operation certainly did not take effect (a refused CAS is not an error: `cas` returns
 * false); any other error leaves the outcome unknown, and the op is recorded as info.
 */

export interface StoreConnection {
  /** The register's value, or null when the key was never written. */
  read(key: string): Promise<number | null>;
  write(key: string, value: number): Promise<void>;
  /** Sets the key to `next` if it holds `expected`; false when it did not. */
  cas(key: string, expected: number, next: number): Promise<boolean>;
  /** Adds an element to the one set of the set workload. */
  add?(element: number): Promise<void>;
  /** Every element of the set. */
  readSet?(): Promise<number[]>;
  /** Takes the one lock of the mutex workload for `owner`; false when another holds it. */
  acquire?(owner: string): Promise<boolean>;
  /** Releases it if `owner` holds it; false when it did not. */
  release?(owner: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The operation certainly did not take effect (refused before any write, say). */
export class DefiniteFailure extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'DefiniteFailure';
  }
}
