import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { latencyPlotSvg, latencySeries, ratePlotSvg, rateSeries, RATE_BUCKET_S } from '../src/store/perf-plots.js';
import { pairHistory } from '@minisql/checker';
import { generatedHistory } from './results-fixtures.js';

const history = generatedHistory({ ops: 2000, threads: 8, keys: 4, seed: 9, nemesisPeriodMs: 600 });
const completedClientOps = pairHistory(history).filter((p) => p.start.process !== 'nemesis' && p.completion !== undefined && p.completion !== p.start);

/** Marker paths of a plot: the count each declares and the absolute moves (one per marker) it draws. */
function markerPaths(svg: string): Array<{ declared: number; drawn: number; color: string; title: string }> {
  return [
    ...svg.matchAll(
      /<path class="markers" data-count="(\d+)" (?:fill|stroke)="[^"]*"[^>]*?(?:fill="([^"]+)"|stroke="([^"]+)")?[^>]* d="([^"]*)"><title>([^<]*)<\/title>/g,
    ),
  ].map((m) => ({
    declared: Number(m[1]),
    drawn: (m[4] ?? '').split('M').length - 1,
    color: m[2] ?? m[3] ?? '',
    title: m[5] as string,
  }));
}

describe('latencyPlotSvg', () => {
  it('draws one point per completed client op, one series per function and outcome', () => {
    const svg = latencyPlotSvg(history, { title: 'register' });
    const paths = markerPaths(svg);
    const drawn = paths.reduce((sum, p) => sum + p.drawn, 0);
    assert.equal(drawn, completedClientOps.length);
    assert.ok(paths.every((p) => p.drawn === p.declared));
    const expectedSeries = new Set(completedClientOps.map((p) => `${p.start.f} ${p.outcome}`));
    assert.deepEqual(new Set(paths.map((p) => p.title)), expectedSeries);
    assert.ok(svg.includes('>register latency</text>') && svg.includes('>latency (ms)</text>'));
  });

  it('puts each op at its invocation time with its latency', () => {
    const points = latencySeries(history).flatMap((s) => s.points);
    const expected = completedClientOps.map((p) => [p.startNs / 1e9, (p.completion!.time - p.start.time) / 1e6]);
    const key = ([x, y]: readonly number[]) => `${x} ${y}`;
    assert.deepEqual(points.map(key).sort(), expected.map(key).sort());
  });

  it('shades the nemesis windows', () => {
    const svg = latencyPlotSvg(history, { title: 'register' });
    assert.ok((svg.match(/<rect class="band" /g)?.length ?? 0) >= 2);
    assert.ok(svg.includes('>nemesis</text>'), 'the bands have a legend entry');
  });
});

describe('rateSeries', () => {
  it('counts every client completion once, in 1 s buckets from the start to the end of the test', () => {
    const series = rateSeries(history);
    const endS = history.reduce((m, op) => Math.max(m, op.time), 0) / 1e9;
    const completions = history.filter((op) => op.type !== 'invoke' && op.process !== 'nemesis');
    const counted = series.reduce((sum, s) => sum + s.points.reduce((n, [, perSecond]) => n + perSecond * RATE_BUCKET_S, 0), 0);
    assert.equal(counted, completions.length);
    for (const s of series) {
      assert.equal(s.points.length, Math.ceil(endS / RATE_BUCKET_S));
      assert.deepEqual(s.points[0]?.[0], 0.5 * RATE_BUCKET_S, 'rates sit at bucket midpoints');
      const ofKind = completions.filter((op) => op.f === s.f && op.type === s.outcome && op.time < 1e9 * RATE_BUCKET_S).length;
      assert.equal(s.points[0]?.[1], ofKind / RATE_BUCKET_S);
    }
  });
});

describe('ratePlotSvg', () => {
  it('draws one line per function and outcome with a point per bucket, and shades the nemesis windows', () => {
    const svg = ratePlotSvg(history, { title: 'register', widthPx: 600 });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="600" height="400"/);
    const lines = [...svg.matchAll(/<polyline [^>]* points="([^"]+)"/g)].map((m) => (m[1] as string).split(' '));
    const series = rateSeries(history);
    assert.equal(lines.length, series.length);
    lines.forEach((points, i) => assert.equal(points.length, series[i]?.points.length));
    assert.ok((svg.match(/<rect class="band" /g)?.length ?? 0) >= 2);
    assert.ok(svg.includes('>register rate</text>'));
  });
});
