/**
 * Throughput against concurrency as an SVG: one panel per workload, one line per system,
 * concurrency on a log scale. Pure: data in, SVG text out.
 */
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

const PANEL_WIDTH = 360;
const PANEL_HEIGHT = 240;
const MARGIN = { left: 60, right: 10, top: 28, bottom: 36 };

const escape = (text: string): string => text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string);

function panelSvg(panel: Panel, x0: number, y0: number): string {
  const all = panel.series.flatMap((s) => s.points);
  const xs = [...new Set(all.map(([c]) => c))].sort((a, b) => a - b);
  const maxY = Math.max(1, ...all.map(([, y]) => y)) * 1.1;
  const plotW = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const [logMin, logMax] = [Math.log2(xs[0] ?? 1), Math.log2(xs.at(-1) ?? 2)];
  const sx = (c: number) => x0 + MARGIN.left + (logMax === logMin ? 0 : ((Math.log2(c) - logMin) / (logMax - logMin)) * plotW);
  const sy = (y: number) => y0 + MARGIN.top + plotH - (y / maxY) * plotH;
  const parts = [`<text x="${x0 + PANEL_WIDTH / 2}" y="${y0 + 18}" text-anchor="middle" font-weight="bold">${escape(panel.title)}</text>`];
  parts.push(`<line x1="${x0 + MARGIN.left}" y1="${sy(0)}" x2="${x0 + MARGIN.left + plotW}" y2="${sy(0)}" stroke="#999"/>`);
  parts.push(`<line x1="${x0 + MARGIN.left}" y1="${sy(0)}" x2="${x0 + MARGIN.left}" y2="${sy(maxY)}" stroke="#999"/>`);
  for (const c of xs) parts.push(`<text x="${sx(c)}" y="${sy(0) + 16}" text-anchor="middle" font-size="11">${c}</text>`);
  for (let i = 0; i <= 4; i += 1) {
    const y = (maxY / 4) * i;
    parts.push(`<text x="${x0 + MARGIN.left - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="10">${Math.round(y)}</text>`);
  }
  panel.series.forEach((series, i) => {
    const path = series.points.map(([c, y]) => `${sx(c).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${series.color}" stroke-width="2" points="${path}"/>`);
    parts.push(`<text x="${x0 + MARGIN.left + 8}" y="${y0 + MARGIN.top + 12 + i * 13}" font-size="11" fill="${series.color}">${escape(series.label)}</text>`);
  });
  parts.push(`<text x="${x0 + MARGIN.left + plotW / 2}" y="${y0 + PANEL_HEIGHT - 4}" text-anchor="middle" font-size="10">concurrency (ops/s on the left)</text>`);
  return parts.join('\n');
}

export function throughputSvg(panels: readonly Panel[], columns = 3): string {
  const rows = Math.ceil(panels.length / columns);
  const width = PANEL_WIDTH * Math.min(columns, panels.length);
  const height = PANEL_HEIGHT * rows;
  const body = panels.map((panel, i) => panelSvg(panel, (i % columns) * PANEL_WIDTH, Math.floor(i / columns) * PANEL_HEIGHT)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
