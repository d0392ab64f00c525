import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { plotGridSvg, plotSvg, type PlotSpec } from '../src/svg-plot.js';

const base: PlotSpec = {
  title: 'latency <p99>',
  widthPx: 600,
  heightPx: 300,
  x: { label: 'time (s)', min: 0, max: 10 },
  y: { label: 'latency (ms)', scale: 'log' },
  series: [
    {
      label: 'read ok',
      color: '#00f',
      points: [
        [1, 0.5],
        [2, 5],
        [3, 50],
      ],
      style: 'points',
      marker: 'square',
    },
    {
      label: 'write "fail"',
      color: '#f80',
      points: [
        [4, 2],
        [5, 0],
      ],
      style: 'points',
      marker: 'plus',
    },
  ],
  bands: [{ from: 2, to: 4, title: 'partition <n1>' }],
  bandLabel: 'nemesis',
  legend: 'right',
};

/** [x, y] of the markers in one series' path, from each marker's absolute move. */
function markerStarts(svg: string, color: string): number[][] {
  const path = [...svg.matchAll(/<path class="markers" data-count="\d+" (?:fill|stroke)="[^"]*" [^>]*?d="([^"]*)"/g)].find((m) => m[0].includes(`"${color}"`));
  return [...(path?.[1] ?? '').matchAll(/M([\d.-]+),([\d.-]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

describe('plotSvg', () => {
  it('draws one marker per point, and says how many', () => {
    const svg = plotSvg(base);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="600" height="300"/);
    assert.equal(markerStarts(svg, '#00f').length, 3);
    assert.equal(markerStarts(svg, '#f80').length, 2);
    assert.deepEqual(
      [...svg.matchAll(/data-count="(\d+)"/g)].map((m) => m[1]),
      ['3', '2'],
    );
  });

  it('spaces a log axis by ratios, ticks at powers of ten, and puts values <= 0 at its bottom', () => {
    const svg = plotSvg(base);
    const ys = markerStarts(svg, '#00f').map(([, y]) => y as number);
    assert.ok(Math.abs(ys[0]! - ys[1]! - (ys[1]! - ys[2]!)) < 0.2, `0.5 → 5 → 50 evenly spaced: ${ys.join(', ')}`);
    for (const tick of ['0.1', '1', '10', '100']) assert.ok(svg.includes(`>${tick}</text>`), `tick ${tick}`);
    const zero = markerStarts(svg, '#f80')[1]!;
    const bottom = Math.max(
      ...[...svg.matchAll(/<rect class="band" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)].map((m) => Number(m[1]) + Number(m[2])),
    );
    assert.ok(Math.abs(zero[1]! - bottom) < 0.2, `0 ms sits on the axis: ${zero[1]} vs ${bottom}`);
  });

  it('shades bands over their x range, with a legend entry and escaped titles', () => {
    const svg = plotSvg(base);
    const band = /<rect class="band" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*><title>partition &lt;n1&gt;<\/title><\/rect>/.exec(svg);
    assert.ok(band, 'one band, its title escaped');
    const readX = markerStarts(svg, '#00f').map(([x]) => x as number);
    // Square markers start one radius left of their point: the band spans x = 2 to 4, the points sit at 1, 2, 3.
    const perSecond = readX[2]! - readX[1]!;
    assert.ok(Math.abs(Number(band[2]) - 2 * perSecond) < 0.3, 'band width is two seconds');
    assert.ok(svg.includes('>nemesis</text>'));
    assert.ok(svg.includes('>latency &lt;p99&gt;</text>') && svg.includes('>write &quot;fail&quot;</text>'));
  });

  it('picks 1-2-5 ticks on a linear axis and rounds its end up to one', () => {
    const svg = plotSvg({
      ...base,
      y: { label: 'ops/s' },
      series: [
        {
          label: 'rate',
          color: '#00f',
          points: [
            [0, 0],
            [10, 87],
          ],
        },
      ],
    });
    const yTicks = [...svg.matchAll(/text-anchor="end" font-size="10">([\d.]+)<\/text>/g)].map((m) => Number(m[1]));
    assert.deepEqual(yTicks, [0, 20, 40, 60, 80, 100]);
    assert.equal(svg.match(/<polyline /g)?.length, 1);
  });
});

describe('plotGridSvg', () => {
  it('lays panels out in rows of `columns`', () => {
    const svg = plotGridSvg([base, base, base], 2);
    assert.match(svg, /width="1200" height="600"/);
    assert.equal(svg.match(/>latency &lt;p99&gt;<\/text>/g)?.length, 3);
  });
});
