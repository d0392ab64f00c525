/**
 * Throughput against concurrency as an SVG: one panel per workload, one line per system,
 * concurrency on a log scale. Pure: data in, SVG text out. The drawing itself is
 * common's plot; this file only says what the benchmark's panels look like.
 */
import { plotGridSvg, type PlotSpec } from '@minisql/common';

export interface Series {
  label: string;
  color: string;
  /** [concurrency, operations per second] */
  points: Array<[number, number]>;
}

export interface Panel {
  title: string;
  series: Series[];
}

const PANEL_WIDTH_PX = 360;
const PANEL_HEIGHT_PX = 240;

function panelSpec(panel: Panel): PlotSpec {
  const concurrencies = [...new Set(panel.series.flatMap((s) => s.points.map(([c]) => c)))].sort((a, b) => a - b);
  return {
    title: panel.title,
    widthPx: PANEL_WIDTH_PX,
    heightPx: PANEL_HEIGHT_PX,
    // Ticks at the measured concurrencies only: they are the only x values that mean anything.
    x: { label: 'concurrency', scale: 'log', min: concurrencies[0] ?? 1, max: concurrencies.at(-1) ?? 2, ticks: concurrencies },
    y: { label: 'ops/s', min: 0 },
    series: panel.series.map((s) => ({ label: s.label, color: s.color, points: s.points, style: 'line' })),
  };
}

export function throughputSvg(panels: readonly Panel[], columns = 3): string {
  return plotGridSvg(panels.map(panelSpec), columns);
}
