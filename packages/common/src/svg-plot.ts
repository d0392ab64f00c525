/**
 * Line and scatter plots as SVG text. Pure: data in, SVG out, so benchmarks and test
 * reports draw their charts without a plotting library, a browser or gnuplot. One
 * implementation serves the cluster benchmark's throughput panels and minisql-jepsen's
 * latency and rate plots.
 */

export type AxisScale = 'linear' | 'log';

/** How a series is drawn: joined by a line, as one marker per point, or both. */
export type SeriesStyle = 'line' | 'points' | 'linespoints';

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross' | 'plus';

export const MARKER_SHAPES: readonly MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'cross', 'plus'];

export interface PlotAxis {
  label?: string;
  /** Default linear. A log axis drops values <= 0 to its lower end. */
  scale?: AxisScale;
  /** Lower end of the axis; default from the data (0 for linear axes over non-negative data). */
  min?: number;
  /** Upper end of the axis; default from the data, rounded up to a tick. */
  max?: number;
  /** Tick positions; default 1-2-5 steps on linear axes and powers of ten on log axes. */
  ticks?: readonly number[];
}

export interface PlotSeries {
  label: string;
  /** Any SVG colour. */
  color: string;
  /** [x, y] in data units. */
  points: ReadonlyArray<readonly [number, number]>;
  /** Default 'line'. */
  style?: SeriesStyle;
  /** The marker for 'points' and 'linespoints'; default circle. */
  marker?: MarkerShape;
}

/** An x range shaded across the whole height of the plot, e.g. while a fault was active. */
export interface PlotBand {
  from: number;
  to: number;
  /** Shown when the pointer rests on the band. */
  title?: string;
}

export interface PlotMargin {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface PlotSpec {
  title: string;
  widthPx: number;
  heightPx: number;
  x: PlotAxis;
  y: PlotAxis;
  series: readonly PlotSeries[];
  bands?: readonly PlotBand[];
  /** The legend entry for the bands (e.g. "nemesis"); none when absent. */
  bandLabel?: string;
  /** 'inside': top left of the plot area; 'right': in a column right of it. Default inside. */
  legend?: 'inside' | 'right';
  /** Space around the plot area for title, ticks and axis labels; the legend column is added to the right. */
  margin?: PlotMargin;
}

const DEFAULT_MARGIN: PlotMargin = { left: 60, right: 12, top: 28, bottom: 40 };
const MARKER_RADIUS_PX = 2.5;
const LEGEND_LINE_HEIGHT_PX = 14;
/** A rough width of one legend character at 11 px; SVG text cannot be measured without a renderer. */
const LEGEND_CHAR_WIDTH_PX = 6.5;
const LEGEND_WIDTH_MAX_PX = 240;
const LINEAR_TICK_COUNT_TARGET = 6;
const BAND_OPACITY = 0.09;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A whole SVG document of the given size around `body`, on a white background. */
export function svgDocument(widthPx: number, heightPx: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}

/** One plot as a whole SVG document. */
export function plotSvg(spec: PlotSpec): string {
  return svgDocument(spec.widthPx, spec.heightPx, plotPanelSvg(spec, 0, 0));
}

/** Plots of equal size side by side, `columns` to a row, in one SVG document. */
export function plotGridSvg(panels: readonly PlotSpec[], columns: number): string {
  if (panels.length === 0) return svgDocument(0, 0, '');
  if (!(columns >= 1)) throw new RangeError(`plotGridSvg: columns must be at least 1, got ${columns}`);
  const cellWidthPx = Math.max(...panels.map((panel) => panel.widthPx));
  const cellHeightPx = Math.max(...panels.map((panel) => panel.heightPx));
  const rows = Math.ceil(panels.length / columns);
  const body = panels.map((panel, i) => plotPanelSvg(panel, (i % columns) * cellWidthPx, Math.floor(i / columns) * cellHeightPx)).join('\n');
  return svgDocument(cellWidthPx * Math.min(columns, panels.length), cellHeightPx * rows, body);
}

interface Scale {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
  /** Data value to a fraction of the axis, 0 at min and 1 at max, clamped. */
  fraction(value: number): number;
}

/** One plot as SVG elements (no document around them), its top left corner at (originX, originY). */
export function plotPanelSvg(spec: PlotSpec, originX: number, originY: number): string {
  const margin = spec.margin ?? DEFAULT_MARGIN;
  const legendWidthPx = spec.legend === 'right' ? legendColumnWidth(spec) : 0;
  const plotLeft = originX + margin.left;
  const plotTop = originY + margin.top;
  const plotWidth = Math.max(1, spec.widthPx - margin.left - margin.right - legendWidthPx);
  const plotHeight = Math.max(1, spec.heightPx - margin.top - margin.bottom);
  const xScale = makeScale(spec.x, spec.series.flatMap((s) => s.points.map(([x]) => x)).concat((spec.bands ?? []).flatMap((b) => [b.from, b.to])));
  const yScale = makeScale(
    spec.y,
    spec.series.flatMap((s) => s.points.map(([, y]) => y)),
  );
  const sx = (x: number): number => plotLeft + xScale.fraction(x) * plotWidth;
  const sy = (y: number): number => plotTop + plotHeight - yScale.fraction(y) * plotHeight;
  const plotBottom = plotTop + plotHeight;
  const plotRight = plotLeft + plotWidth;

  const parts: string[] = [];
  parts.push(`<text x="${num(originX + spec.widthPx / 2)}" y="${num(originY + 18)}" text-anchor="middle" font-weight="bold">${escapeXml(spec.title)}</text>`);
  for (const band of spec.bands ?? []) {
    const from = sx(Math.min(band.from, band.to));
    const to = sx(Math.max(band.from, band.to));
    const title = band.title === undefined ? '' : `<title>${escapeXml(band.title)}</title>`;
    parts.push(
      `<rect class="band" x="${num(from)}" y="${num(plotTop)}" width="${num(Math.max(1, to - from))}" height="${num(plotHeight)}" fill="#000" fill-opacity="${BAND_OPACITY}">${title}</rect>`,
    );
  }
  for (const tick of yScale.ticks) {
    const y = sy(tick);
    parts.push(`<line x1="${num(plotLeft)}" y1="${num(y)}" x2="${num(plotRight)}" y2="${num(y)}" stroke="#eee"/>`);
    parts.push(`<text x="${num(plotLeft - 6)}" y="${num(y + 4)}" text-anchor="end" font-size="10">${formatTick(tick)}</text>`);
  }
  for (const tick of xScale.ticks) {
    parts.push(`<line x1="${num(sx(tick))}" y1="${num(plotBottom)}" x2="${num(sx(tick))}" y2="${num(plotBottom + 4)}" stroke="#999"/>`);
    parts.push(`<text x="${num(sx(tick))}" y="${num(plotBottom + 16)}" text-anchor="middle" font-size="11">${formatTick(tick)}</text>`);
  }
  parts.push(`<line x1="${num(plotLeft)}" y1="${num(plotBottom)}" x2="${num(plotRight)}" y2="${num(plotBottom)}" stroke="#999"/>`);
  parts.push(`<line x1="${num(plotLeft)}" y1="${num(plotBottom)}" x2="${num(plotLeft)}" y2="${num(plotTop)}" stroke="#999"/>`);
  if (spec.x.label !== undefined) {
    parts.push(
      `<text x="${num(plotLeft + plotWidth / 2)}" y="${num(originY + spec.heightPx - 6)}" text-anchor="middle" font-size="11">${escapeXml(spec.x.label)}</text>`,
    );
  }
  if (spec.y.label !== undefined) {
    const x = originX + 14;
    const y = plotTop + plotHeight / 2;
    parts.push(
      `<text x="${num(x)}" y="${num(y)}" transform="rotate(-90 ${num(x)} ${num(y)})" text-anchor="middle" font-size="11">${escapeXml(spec.y.label)}</text>`,
    );
  }

  for (const series of spec.series) {
    const style = series.style ?? 'line';
    const screen = series.points.map(([x, y]) => [sx(x), sy(y)] as const);
    if (style !== 'points' && screen.length > 0) {
      const path = screen.map(([x, y]) => `${num(x)},${num(y)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${escapeXml(series.color)}" stroke-width="2" points="${path}"/>`);
    }
    if (style !== 'line' && screen.length > 0) {
      const shape = series.marker ?? 'circle';
      const d = screen.map(([x, y]) => markerPath(shape, x, y, MARKER_RADIUS_PX)).join('');
      parts.push(
        `<path class="markers" data-count="${screen.length}" ${markerPaint(shape, series.color)} d="${d}"><title>${escapeXml(series.label)}</title></path>`,
      );
    }
  }

  const legendX = spec.legend === 'right' ? plotRight + 14 : plotLeft + 8;
  const legend: Array<{ label: string; color: string; swatch: (centreY: number) => string }> = spec.series.map((series) => ({
    label: series.label,
    color: series.color,
    swatch: (centreY: number) => legendSwatch(series, legendX, centreY),
  }));
  if (spec.bandLabel !== undefined && (spec.bands ?? []).length > 0) {
    legend.push({
      label: spec.bandLabel,
      color: '#555',
      swatch: (centreY) => `<rect x="${num(legendX)}" y="${num(centreY - 5)}" width="14" height="10" fill="#000" fill-opacity="${BAND_OPACITY * 2}"/>`,
    });
  }
  legend.forEach((entry, i) => {
    const baseline = plotTop + 12 + i * LEGEND_LINE_HEIGHT_PX;
    parts.push(entry.swatch(baseline - 4));
    parts.push(`<text x="${num(legendX + 20)}" y="${num(baseline)}" font-size="11" fill="${escapeXml(entry.color)}">${escapeXml(entry.label)}</text>`);
  });
  return parts.join('\n');
}

function legendColumnWidth(spec: PlotSpec): number {
  const labels = spec.series.map((s) => s.label).concat(spec.bandLabel === undefined ? [] : [spec.bandLabel]);
  const longest = Math.max(0, ...labels.map((label) => label.length));
  return Math.min(LEGEND_WIDTH_MAX_PX, 34 + longest * LEGEND_CHAR_WIDTH_PX);
}

/** A short line, a marker, or both, centred vertically on `centreY`. */
function legendSwatch(series: PlotSeries, x: number, centreY: number): string {
  const style = series.style ?? 'line';
  const line =
    style === 'points'
      ? ''
      : `<line x1="${num(x)}" y1="${num(centreY)}" x2="${num(x + 14)}" y2="${num(centreY)}" stroke="${escapeXml(series.color)}" stroke-width="2"/>`;
  if (style === 'line') return line;
  const shape = series.marker ?? 'circle';
  return `${line}<path ${markerPaint(shape, series.color)} d="${markerPath(shape, x + 7, centreY, MARKER_RADIUS_PX + 0.5)}"/>`;
}

function markerPaint(shape: MarkerShape, color: string): string {
  const stroked = shape === 'cross' || shape === 'plus';
  return stroked ? `fill="none" stroke="${escapeXml(color)}" stroke-width="1.5"` : `fill="${escapeXml(color)}" fill-opacity="0.75"`;
}

/** Path data for one marker centred on (x, y): exactly one absolute move (M), so markers can be counted. */
function markerPath(shape: MarkerShape, x: number, y: number, r: number): string {
  const d = num(2 * r);
  switch (shape) {
    case 'circle':
      return `M${num(x - r)},${num(y)}a${num(r)},${num(r)} 0 1,0 ${d},0a${num(r)},${num(r)} 0 1,0 -${d},0`;
    case 'square':
      return `M${num(x - r)},${num(y - r)}h${d}v${d}h-${d}z`;
    case 'triangle':
      return `M${num(x)},${num(y - r)}l${num(r)},${num(1.7 * r)}h-${d}z`;
    case 'diamond':
      return `M${num(x)},${num(y - r)}l${num(r)},${num(r)}l-${num(r)},${num(r)}l-${num(r)},-${num(r)}z`;
    case 'cross':
      return `M${num(x - r)},${num(y - r)}l${d},${d}m0,-${d}l-${d},${d}`;
    case 'plus':
      return `M${num(x - r)},${num(y)}h${d}m-${num(r)},-${num(r)}v${d}`;
  }
}

function makeScale(axis: PlotAxis, values: readonly number[]): Scale {
  return (axis.scale ?? 'linear') === 'log' ? logScale(axis, values) : linearScale(axis, values);
}

function linearScale(axis: PlotAxis, values: readonly number[]): Scale {
  const finite = values.filter(Number.isFinite);
  const dataMin = finite.length === 0 ? 0 : Math.min(...finite);
  const dataMax = finite.length === 0 ? 1 : Math.max(...finite);
  const min = axis.min ?? Math.min(0, dataMin);
  let max = axis.max ?? dataMax;
  if (!(max > min)) max = min + 1;
  let ticks = axis.ticks;
  if (ticks === undefined) {
    const step = niceStep((max - min) / LINEAR_TICK_COUNT_TARGET);
    if (axis.max === undefined) max = Math.ceil(max / step - 1e-9) * step;
    const generated: number[] = [];
    for (let tick = Math.ceil(min / step - 1e-9) * step, i = 0; tick <= max + step * 1e-9 && i < 1000; tick += step, i += 1) {
      generated.push(Number(tick.toPrecision(12)));
    }
    ticks = generated;
  }
  const span = max - min;
  return { min, max, ticks, fraction: (value) => clamp01((value - min) / span) };
}

function logScale(axis: PlotAxis, values: readonly number[]): Scale {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const dataMin = positive.length === 0 ? 1 : Math.min(...positive);
  const dataMax = positive.length === 0 ? 10 : Math.max(...positive);
  const min = axis.min ?? 10 ** Math.floor(Math.log10(dataMin));
  let max = axis.max ?? 10 ** Math.ceil(Math.log10(dataMax));
  if (!(max > min)) max = min * 10;
  const ticks = axis.ticks ?? powersOfTen(min, max);
  const [logMin, logMax] = [Math.log(min), Math.log(max)];
  return { min, max, ticks, fraction: (value) => (value > 0 ? clamp01((Math.log(value) - logMin) / (logMax - logMin)) : 0) };
}

function powersOfTen(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let exponent = Math.ceil(Math.log10(min) - 1e-9); exponent <= Math.floor(Math.log10(max) + 1e-9) && ticks.length < 100; exponent += 1) {
    ticks.push(Number((10 ** exponent).toPrecision(12)));
  }
  return ticks;
}

/** The 1, 2 or 5 times a power of ten nearest above `rough`. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const scaled = rough / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

function formatTick(value: number): string {
  return String(Number(value.toPrecision(6)));
}

function clamp01(fraction: number): number {
  return Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
}

/** Coordinates to one decimal: enough for a screen, small for plots of 100,000 points. */
function num(value: number): string {
  return String(Math.round(value * 10) / 10);
}
