/**
 * The performance plots of a test, after Jepsen's checker/perf: latency.svg (every
 * completed op's latency against the time it was invoked, log scale) and rate.svg
 * (completions per second), both with the nemesis's faults shaded so a reader sees what
 * a partition or a kill did to the system. Colour says how an op ended, the marker which
 * function it was. Pure: history in, SVG text out, drawn by common's plot.
 */
import { MARKER_SHAPES, plotSvg, type MarkerShape, type PlotBand } from '@minisql/common';
import { pairHistory } from '@minisql/checker';
import { nemesisWindows, type NemesisWindow } from '../nemesis/nemesis-windows.js';
import { NEMESIS_PROCESS, type Op } from '@minisql/checker';

export interface PerfPlotOptions {
  /** The test's name; the plot's title adds what it shows. */
  readonly title: string;
  /** Shaded bands; default: derived from the history's nemesis ops. */
  readonly nemesisWindows?: readonly NemesisWindow[];
  /** Default 900 by 400, Jepsen's size. */
  readonly widthPx?: number;
  readonly heightPx?: number;
}

/** Completions are counted in buckets of this many seconds for the rate plot. */
export const RATE_BUCKET_S = 1;

/** Marker colours by outcome: the timeline's hues, darker so small markers show on white. */
export const PLOT_COLORS = { ok: '#2B7FD8', fail: '#F08C00', info: '#E0529C' } as const;

const OUTCOMES = ['ok', 'info', 'fail'] as const;
const DEFAULT_WIDTH_PX = 900;
const DEFAULT_HEIGHT_PX = 400;
/** Above this many buckets a marker per bucket would only thicken the line. */
const RATE_MARKERS_BUCKET_MAX = 120;
const NS_PER_S = 1e9;
const NS_PER_MS = 1e6;

/** The points of one function and outcome: [time in s, latency in ms or ops/s]. */
export interface PerfSeries {
  readonly f: string;
  readonly outcome: PerfOutcome;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export type PerfOutcome = (typeof OUTCOMES)[number];

/** One point per completed client op: [invocation time in s, latency in ms]. Open ops have no latency and no point. */
export function latencySeries(history: readonly Op[]): PerfSeries[] {
  const completed = pairHistory(history).filter(
    (pair) => pair.start.process !== NEMESIS_PROCESS && pair.completion !== undefined && pair.completion !== pair.start,
  );
  const series: PerfSeries[] = [];
  for (const f of sortedFs(completed.map((pair) => pair.start.f))) {
    for (const outcome of OUTCOMES) {
      const points = completed
        .filter((pair) => pair.start.f === f && pair.outcome === outcome)
        .map((pair) => [pair.startNs / NS_PER_S, (pair.latencyNs ?? 0) / NS_PER_MS] as const);
      if (points.length > 0) series.push({ f, outcome, points });
    }
  }
  return series;
}

/**
 * Client completions per second by function and outcome: one point per bucket of
 * RATE_BUCKET_S from the start of the test to its end (zero where nothing completed),
 * at the bucket's midpoint, as Jepsen draws it.
 */
export function rateSeries(history: readonly Op[]): PerfSeries[] {
  const completions = history.filter((op) => op.type !== 'invoke' && op.process !== NEMESIS_PROCESS);
  const bucketCount = rateBucketCount(history);
  const series: PerfSeries[] = [];
  for (const f of sortedFs(completions.map((op) => op.f))) {
    for (const outcome of OUTCOMES) {
      const counts = new Array<number>(bucketCount).fill(0);
      let total = 0;
      for (const op of completions) {
        if (op.f !== f || op.type !== outcome) continue;
        const bucket = Math.min(bucketCount - 1, Math.floor(op.time / NS_PER_S / RATE_BUCKET_S));
        counts[bucket] = (counts[bucket] ?? 0) + 1;
        total += 1;
      }
      if (total === 0) continue;
      series.push({ f, outcome, points: counts.map((count, bucket) => [(bucket + 0.5) * RATE_BUCKET_S, count / RATE_BUCKET_S] as const) });
    }
  }
  return series;
}

/** Latency in ms against invocation time in s, log scale: latencySeries drawn. */
export function latencyPlotSvg(history: readonly Op[], options: PerfPlotOptions): string {
  const data = latencySeries(history);
  const markers = markersByF(data);
  return plotSvg({
    title: `${options.title} latency`,
    widthPx: options.widthPx ?? DEFAULT_WIDTH_PX,
    heightPx: options.heightPx ?? DEFAULT_HEIGHT_PX,
    x: { label: 'time (s)', min: 0, max: endSeconds(history) },
    y: { label: 'latency (ms)', scale: 'log' },
    series: data.map((s) => ({ label: `${s.f} ${s.outcome}`, color: PLOT_COLORS[s.outcome], points: s.points, style: 'points', marker: markers.get(s.f) })),
    bands: bandsOf(history, options),
    bandLabel: 'nemesis',
    legend: 'right',
  });
}

/** Completions per second against time in s: rateSeries drawn. */
export function ratePlotSvg(history: readonly Op[], options: PerfPlotOptions): string {
  const data = rateSeries(history);
  const markers = markersByF(data);
  const bucketCount = rateBucketCount(history);
  const style = bucketCount <= RATE_MARKERS_BUCKET_MAX ? 'linespoints' : 'line';
  return plotSvg({
    title: `${options.title} rate`,
    widthPx: options.widthPx ?? DEFAULT_WIDTH_PX,
    heightPx: options.heightPx ?? DEFAULT_HEIGHT_PX,
    x: { label: 'time (s)', min: 0, max: Math.max(endSeconds(history), bucketCount * RATE_BUCKET_S) },
    y: { label: 'throughput (ops/s)', min: 0 },
    series: data.map((s) => ({ label: `${s.f} ${s.outcome}`, color: PLOT_COLORS[s.outcome], points: s.points, style, marker: markers.get(s.f) })),
    bands: bandsOf(history, options),
    bandLabel: 'nemesis',
    legend: 'right',
  });
}

function rateBucketCount(history: readonly Op[]): number {
  return Math.max(1, Math.ceil(endSeconds(history) / RATE_BUCKET_S));
}

/** Each function keeps its marker shape across outcomes, as in Jepsen's plots. */
function markersByF(series: readonly PerfSeries[]): Map<string, MarkerShape> {
  const fs = sortedFs(series.map((s) => s.f));
  return new Map(fs.map((f, i) => [f, MARKER_SHAPES[i % MARKER_SHAPES.length] as MarkerShape]));
}

function bandsOf(history: readonly Op[], options: PerfPlotOptions): PlotBand[] {
  return (options.nemesisWindows ?? nemesisWindows(history)).map((w) => ({ from: w.startNs / NS_PER_S, to: w.stopNs / NS_PER_S, title: w.label }));
}

function endSeconds(history: readonly Op[]): number {
  const endNs = history.reduce((latest, op) => Math.max(latest, op.time), 0);
  return endNs > 0 ? endNs / NS_PER_S : 1;
}

function sortedFs(fs: readonly string[]): string[] {
  return [...new Set(fs)].sort();
}
