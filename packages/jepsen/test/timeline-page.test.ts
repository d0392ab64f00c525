import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderTimeline } from '../src/store/timeline-page.js';
import { pairHistory } from '@minisql/checker';
import { generatedHistory, HistoryBuilder } from './results-fixtures.js';

/** The op boxes of a page: id, classes, title (with HTML entities for quotes decoded), text. */
function opBoxes(html: string): Array<{ id: string; classes: string[]; title: string; text: string }> {
  return [...html.matchAll(/<div id="(op-\d+)" class="([^"]+)" style="[^"]*" title="([^"]*)">([^<]*)<\/div>/g)].map((m) => ({
    id: m[1] as string,
    classes: (m[2] as string).split(' '),
    title: m[3] as string,
    text: m[4] as string,
  }));
}

/** Every history index named in the boxes' titles ("#3 → #7" or "#3"). */
function indexesShown(html: string): number[] {
  return opBoxes(html).flatMap((box) => [...(box.title.split('\n')[0] as string).matchAll(/#(\d+)/g)].map((m) => Number(m[1])));
}

describe('renderTimeline', () => {
  it('renders every op of a history exactly once, with its index', () => {
    const history = generatedHistory({ ops: 300, threads: 5, keys: 1, seed: 7, nemesisPeriodMs: 100 });
    const html = renderTimeline(history, { title: 'register' });
    const shown = indexesShown(html);
    assert.equal(new Set(shown).size, shown.length, 'no op twice');
    assert.deepEqual(
      [...shown].sort((a, b) => a - b),
      history.map((op) => op.index),
    );
    assert.ok(html.startsWith('<!DOCTYPE html>') && !/<script|<link|src=/.test(html), 'self-contained, no scripts');
  });

  it('renders every op exactly once when grouped by key, nemesis ops in a section of their own', () => {
    const history = generatedHistory({ ops: 400, threads: 6, keys: 12, seed: 3, nemesisPeriodMs: 80 });
    const html = renderTimeline(history, { title: 'many keys' });
    const shown = indexesShown(html);
    assert.deepEqual(
      [...shown].sort((a, b) => a - b),
      history.map((op) => op.index),
    );
    assert.equal(html.match(/<details id="key-\d+"/g)?.length, 12);
    assert.ok(html.includes('<details id="no-key"'));
  });

  it('escapes markup in values, errors, nodes, keys and the title', () => {
    const h = new HistoryBuilder();
    const evil = '<script>alert("x")</script>';
    h.add('invoke', 0, 'write', evil, 0, { key: evil, node: evil });
    h.add('info', 0, 'write', evil, 1, { key: evil, error: evil });
    const html = renderTimeline(h.ops, { title: evil, subtitle: evil, highlight: [{ indexes: [0], note: evil }] });
    assert.ok(!html.includes('<script'), 'no live script tag');
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
  });

  it('outlines highlighted ops, lists them at the top with anchors, and opens only their key', () => {
    const history = generatedHistory({ ops: 200, threads: 4, keys: 5, seed: 11 });
    const target = history.find((op) => op.type === 'ok' && op.key === 3);
    const before = history.find((op) => op.type === 'invoke' && op.key === 3);
    assert.ok(target && before);
    const html = renderTimeline(history, {
      title: 'cas',
      highlight: [
        { indexes: [target.index], note: 'cannot be linearized' },
        { indexes: [before.index, 99999], note: 'last ok before it' },
      ],
    });
    const boxes = opBoxes(html);
    const marked0 = boxes.filter((box) => box.classes.includes('hl0'));
    const marked1 = boxes.filter((box) => box.classes.includes('hl1'));
    assert.equal(marked0.length, 1);
    assert.equal(marked1.length, 1);
    assert.match(marked0[0]?.title ?? '', /★ cannot be linearized/);
    assert.ok(html.includes(`<a href="#${marked0[0]?.id}">#${target.index} `), 'a link to the completion index finds the op box');
    assert.ok(html.includes('#99999 (not in this history)'));
    const open = [...html.matchAll(/<details id="([^"]+)" open>/g)].map((m) => m[1]);
    assert.deepEqual(open, ['key-3']);
  });

  it('shades nemesis windows across the columns', () => {
    const history = generatedHistory({ ops: 300, threads: 5, keys: 1, seed: 5, nemesisPeriodMs: 100 });
    const html = renderTimeline(history, { title: 'partitions' });
    const bands = [...html.matchAll(/<div class="band" style="top:(\d+)px;height:(\d+)px" title="([^"]*)">/g)];
    assert.ok(bands.length >= 2, `bands: ${bands.length}`);
    assert.match(bands[0]?.[3] ?? '', /^partition \[\[n1 n2\] \[n3 n4 n5\]\]: /);
    assert.ok(html.includes('<table class="nemesis">'));

    const given = renderTimeline(history, { title: 'given', nemesisWindows: [{ startNs: 0, stopNs: 1e12, label: 'everything' }] });
    assert.equal(given.match(/<div class="band" /g)?.length, 1, 'windows given replace those derived from the history');
  });

  it('stays small for 20,000 ops: one box per op, under 400 bytes an op', () => {
    // Its speed is not judged here (a busy machine would fail it): `npm run bench:harness` measures it.
    const history = generatedHistory({ ops: 20_000, threads: 10, keys: 1, seed: 1, nemesisPeriodMs: 2000 });
    const html = renderTimeline(history, { title: 'big' });
    assert.equal(opBoxes(html).length, pairHistory(history).length);
    assert.ok(html.length < 400 * 20_000, `${html.length} bytes`);
  });
});
