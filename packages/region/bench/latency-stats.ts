/**
 * Pure latency statistics for the region benchmark: percentiles from sorted samples.
 * No I/O and no clocks here, so the numbers depend only on the samples given.
 */

export interface LatencySummary {
  /** Number of samples summarised. */
  count: number;
  /** Percentiles and extremes, in milliseconds (NaN when there are no samples). */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
}

const NS_PER_MS = 1e6;

/**
 * The nearest-rank percentile of ascending-sorted `sorted`: the smallest sample such
 * that at least `p` percent of the samples are less than or equal to it.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in 0..100, got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** Summarises latencies given in nanoseconds. Sorts a copy; `samplesNs` is not changed. */
export function summarizeLatencies(samplesNs: Float64Array): LatencySummary {
  const sorted = Float64Array.from(samplesNs).sort();
  const count = sorted.length;
  let sum = 0;
  for (let i = 0; i < count; i++) sum += sorted[i] as number;
  const ms = (ns: number): number => ns / NS_PER_MS;
  return {
    count,
    p50Ms: ms(percentileOfSorted(sorted, 50)),
    p90Ms: ms(percentileOfSorted(sorted, 90)),
    p99Ms: ms(percentileOfSorted(sorted, 99)),
    p999Ms: ms(percentileOfSorted(sorted, 99.9)),
    minMs: count > 0 ? ms(sorted[0] as number) : Number.NaN,
    maxMs: count > 0 ? ms(sorted[count - 1] as number) : Number.NaN,
    meanMs: count > 0 ? ms(sum / count) : Number.NaN,
  };
}
