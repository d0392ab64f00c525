/**
 * Closed-loop load: N workers, each issuing its next operation as soon as the previous
 * one completes, so the offered load adapts to the system (no queue builds up outside
 * it). A cell runs a warm-up (not recorded), then a measured window; both are bounded
 * by time and by an operation count. Latency is measured per operation with
 * process.hrtime.bigint().
 *
 * Timing rules: an operation is recorded when it starts inside the measured window.
 * Workers stop issuing once the window's time is up (or the count is reached), and the
 * window closes when the last in-flight operation completes, so throughput is
 * recorded operations over the window as actually run.
 */

export interface LoopOptions {
  /** Concurrent workers (async loop only). */
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Upper bound on operations in the warm-up, and separately in the measured window. */
  maxOps: number;
  /** Called once, when the measured window starts (to sample CPU and memory). */
  onMeasureStart?: () => void;
  /** Called once, when the measured window ends, before anything else runs. */
  onMeasureEnd?: () => void;
  /** Stops issuing operations once aborted (the window then ends early). */
  signal?: AbortSignal;
}

export interface LoopResult {
  /** Operations that succeeded in the measured window. */
  ops: number;
  /** Operations that failed in the measured window (not in the latency samples). */
  errors: number;
  /** The first failure of the measured window. */
  firstError?: unknown;
  /** Length of the measured window, in nanoseconds. */
  elapsedNs: number;
  /**
   * Latencies of the successful operations, in nanoseconds, in completion order. A view
   * of a buffer the next cell reuses: summarise it before starting another cell.
   */
  latenciesNs: Float64Array;
  /** True when the window ended on the operation count instead of the time. */
  capped: boolean;
}

/** Latency buffers are large; one is kept and reused by every cell. */
let sampleBuffer: Float64Array | undefined;
function samples(maxOps: number): Float64Array {
  if (!sampleBuffer || sampleBuffer.length < maxOps) sampleBuffer = new Float64Array(maxOps);
  return sampleBuffer;
}

const msToNs = (ms: number): bigint => BigInt(Math.round(ms * 1e6));

/** Runs `op` from `options.concurrency` async workers in a closed loop. */
export async function runClosedLoop(op: () => Promise<unknown>, options: LoopOptions): Promise<LoopResult> {
  const buffer = samples(options.maxOps);
  const warmupEnd = process.hrtime.bigint() + msToNs(options.warmupMs);
  let measuring = false;
  let measureStart = 0n;
  let measureEnd = 0n;
  let warmupIssued = 0;
  let issued = 0;
  let recorded = 0;
  let errors = 0;
  let firstError: unknown;
  let capped = false;

  const startMeasuring = (now: bigint): void => {
    measuring = true;
    options.onMeasureStart?.();
    measureStart = process.hrtime.bigint();
    measureEnd = (now > measureStart ? now : measureStart) + msToNs(options.durationMs);
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      const now = process.hrtime.bigint();
      if (!measuring && (now >= warmupEnd || warmupIssued >= options.maxOps)) startMeasuring(now);
      if (options.signal?.aborted) return;
      if (measuring) {
        if (now >= measureEnd) return;
        if (issued >= options.maxOps) {
          capped = true;
          return;
        }
        issued++;
      } else {
        warmupIssued++;
      }
      const counted = measuring;
      const start = process.hrtime.bigint();
      let failed = false;
      try {
        await op();
      } catch (error) {
        failed = true;
        if (counted && firstError === undefined) firstError = error;
      }
      const latency = Number(process.hrtime.bigint() - start);
      if (!counted) continue;
      if (failed) errors++;
      else buffer[recorded++] = latency;
    }
  };

  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  if (!measuring) startMeasuring(process.hrtime.bigint()); // zero-length warm-up with no workers
  return finish(options, { recorded, errors, measureStart, buffer, capped, firstError });
}

/**
 * Runs a synchronous `op` back to back on this thread: the only way to drive a
 * synchronous library, so it is always "concurrency 1". `options.concurrency` is ignored.
 */
export function runSyncLoop(op: () => unknown, options: LoopOptions): LoopResult {
  const buffer = samples(options.maxOps);
  const warmupEnd = process.hrtime.bigint() + msToNs(options.warmupMs);
  for (let n = 0; n < options.maxOps && !options.signal?.aborted; n++) {
    try {
      op();
    } catch {
      // Warm-up failures are not reported; the measured window's are.
    }
    if (process.hrtime.bigint() >= warmupEnd) break;
  }
  options.onMeasureStart?.();
  const measureStart = process.hrtime.bigint();
  const measureEnd = measureStart + msToNs(options.durationMs);
  let recorded = 0;
  let errors = 0;
  let firstError: unknown;
  let capped = false;
  for (;;) {
    if (recorded + errors >= options.maxOps) {
      capped = true;
      break;
    }
    const start = process.hrtime.bigint();
    let failed = false;
    try {
      op();
    } catch (error) {
      failed = true;
      if (firstError === undefined) firstError = error;
    }
    const stop = process.hrtime.bigint();
    if (failed) errors++;
    else buffer[recorded++] = Number(stop - start);
    if (stop >= measureEnd || options.signal?.aborted) break;
  }
  return finish(options, { recorded, errors, measureStart, buffer, capped, firstError });
}

/** Ends a measured window: the hook, then the result of what was recorded in it. */
function finish(
  options: LoopOptions,
  window: { recorded: number; errors: number; measureStart: bigint; buffer: Float64Array; capped: boolean; firstError: unknown },
): LoopResult {
  const end = process.hrtime.bigint();
  options.onMeasureEnd?.();
  const result: LoopResult = {
    ops: window.recorded,
    errors: window.errors,
    elapsedNs: Number(end - window.measureStart),
    latenciesNs: window.buffer.subarray(0, window.recorded),
    capped: window.capped,
  };
  if (window.firstError !== undefined) result.firstError = window.firstError;
  return result;
}
