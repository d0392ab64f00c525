import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { throughputSvg } from '../bench/svg-plot.js';

describe('throughputSvg', () => {
  const panels = [
    {
      title: 'insert',
      series: [
        {
          label: 'minisql',
          color: '#00f',
          points: [
            [1, 100],
            [8, 400],
            [32, 800],
          ] as Array<[number, number]>,
        },
        {
          label: 'etcd',
          color: '#f00',
          points: [
            [1, 50],
            [8, 300],
            [32, 900],
          ] as Array<[number, number]>,
        },
      ],
    },
    {
      title: 'select <all>',
      series: [
        {
          label: 'minisql',
          color: '#00f',
          points: [
            [1, 10],
            [8, 20],
            [32, 30],
          ] as Array<[number, number]>,
        },
      ],
    },
  ];

  it('draws one line per series, labelled, with a panel title each', () => {
    const svg = throughputSvg(panels);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="720" height="240"/);
    assert.equal(svg.match(/<polyline /g)?.length, 3);
    assert.ok(svg.includes('>insert</text>') && svg.includes('>select &lt;all&gt;</text>'), 'titles, escaped');
    assert.ok(svg.includes('fill="#f00">etcd</text>'));
  });

  it('puts the highest throughput highest and concurrency on a log scale', () => {
    const svg = throughputSvg([panels[0]!]);
    const points = (color: string) =>
      ([...svg.matchAll(/stroke="([^"]+)" stroke-width="2" points="([^"]+)"/g)].find((m) => m[1] === color)?.[2] ?? '')
        .split(' ')
        .map((pair) => pair.split(',').map(Number));
    const etcd = points('#f00');
    assert.ok((etcd[2]?.[1] ?? 0) < (etcd[0]?.[1] ?? 0), 'y grows upwards');
    const [x1, x8, x32] = etcd.map((p) => p[0] ?? 0);
    assert.ok(Math.abs((x8! - x1!) / (x32! - x8!) - 3 / 2) < 0.01, 'log2 spacing: 1→8 is 3 steps, 8→32 is 2');
  });
});
