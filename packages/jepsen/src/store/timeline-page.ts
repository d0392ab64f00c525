/**
 * The timeline page (timeline.html): a self-contained HTML view of a history, after
 * Jepsen's checker/timeline. One column per process, time flowing downward, each op a box
 * from its invocation to its completion coloured by how it ended. Rows are events, not
 * seconds, as in Jepsen: every invocation and completion gets a row of its own, so the
 * real-time order of ops (what linearizability is about) is exact and short ops stay
 * readable; the time of every tenth row is written in the left margin.
 *
 * Pure: history in, HTML text out. No scripts and no external assets, and every op is one
 * absolutely positioned element, so a page of 100,000 ops still opens. With many keys the
 * page has one collapsible section per key, and only the sections holding highlighted
 * ops (those an invalid checker result names) are open.
 */
import { escapeXml as escapeHtml } from '@minisql/common';
import { pairHistory, type OpPair } from '@minisql/checker';
import { nemesisWindows, type NemesisWindow } from '../nemesis/nemesis-windows.js';
import { formatOpValue } from '@minisql/checker';
import { NEMESIS_PROCESS, type Op, type Process } from '@minisql/checker';

/** Ops to point out, e.g. the op that cannot be linearized and the last ok before it. */
export interface TimelineHighlight {
  /** History indexes of an invocation or a completion; either marks the whole op. */
  readonly indexes: readonly number[];
  /** What these ops are, shown above the timeline. */
  readonly note: string;
}

export interface TimelineOptions {
  readonly title: string;
  /** A line under the title: the start time, the checker's verdict. */
  readonly subtitle?: string;
  readonly highlight?: readonly TimelineHighlight[];
  /** Shaded bands across all columns; default: derived from the history's nemesis ops. */
  readonly nemesisWindows?: readonly NemesisWindow[];
  /** One collapsible section per key; default when client ops name more than one key. */
  readonly groupByKey?: boolean;
}

const ROW_PX = 16;
const COLUMN_WIDTH_PX = 124;
const COLUMN_GAP_PX = 6;
const TIME_GUTTER_PX = 84;
/** Room right of the columns for the nemesis bands' labels. */
const BAND_LABEL_PX = 260;
const TIME_LABEL_EVERY_ROWS = 10;
/** The smallest band drawn for a fault that started and ended between two rows. */
const BAND_MIN_PX = 4;
/** Outline colours of the highlight groups, in order, then again from the start. */
const HIGHLIGHT_COLORS = ['#d00000', '#008a00', '#7b2fbf', '#c05800', '#0058c0'];

/** Box backgrounds by outcome, Jepsen's timeline colours. */
export const TIMELINE_COLORS = { ok: '#6DB6FE', fail: '#FFAA26', info: '#FEB5DA', open: '#eeeeee' } as const;

interface Section {
  /** Anchor id of the section, unique in the page. */
  readonly id: string;
  readonly heading: string;
  readonly ops: readonly Op[];
  readonly pairs: readonly OpPair[];
}

interface HighlightMark {
  readonly group: number;
  readonly note: string;
}

export function renderTimeline(history: readonly Op[], options: TimelineOptions): string {
  const pairs = pairHistory(history);
  const windows = options.nemesisWindows ?? nemesisWindows(history);
  const highlights = options.highlight ?? [];
  const pairByIndex = new Map<number, OpPair>();
  for (const pair of pairs) {
    pairByIndex.set(pair.start.index, pair);
    if (pair.completion !== undefined) pairByIndex.set(pair.completion.index, pair);
  }
  const marks = new Map<OpPair, HighlightMark[]>();
  highlights.forEach((group, groupIndex) => {
    for (const index of group.indexes) {
      const pair = pairByIndex.get(index);
      if (pair === undefined) continue;
      const list = marks.get(pair) ?? [];
      if (!list.some((mark) => mark.group === groupIndex)) list.push({ group: groupIndex, note: group.note });
      marks.set(pair, list);
    }
  });

  const keys = distinctKeys(history);
  const grouped = options.groupByKey ?? keys.length > 1;
  const sections = grouped ? sectionsByKey(history, pairs, keys) : [{ id: 'all', heading: 'all ops', ops: history, pairs }];
  const sectionOfPair = new Map<OpPair, Section>();
  for (const section of sections) for (const pair of section.pairs) sectionOfPair.set(pair, section);

  const out: string[] = [];
  out.push('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">');
  out.push(`<title>${escapeHtml(options.title)}</title>`);
  out.push(`<style>\n${stylesheet(highlights.length)}</style>\n</head>\n<body>`);
  out.push(`<h1>${escapeHtml(options.title)}</h1>`);
  if (options.subtitle !== undefined) out.push(`<p class="subtitle">${escapeHtml(options.subtitle)}</p>`);
  out.push(summary(history, pairs, keys));
  out.push(legend());
  if (highlights.length > 0) out.push(highlightList(highlights, pairByIndex, sectionOfPair, grouped));
  if (windows.length > 0) out.push(nemesisTable(windows));
  if (grouped) out.push(keyIndex(sections, marks));
  for (const section of sections) {
    const lanes = renderLanes(section, windows, marks);
    if (!grouped) {
      out.push(`<section id="${section.id}">${lanes}</section>`);
      continue;
    }
    const highlighted = section.pairs.some((pair) => marks.has(pair));
    out.push(`<details id="${section.id}"${highlighted ? ' open' : ''}><summary>${sectionSummary(section, highlighted)}</summary>${lanes}</details>`);
  }
  out.push('</body>\n</html>\n');
  return out.join('\n');
}

function distinctKeys(history: readonly Op[]): Array<string | number> {
  const keys = new Set<string | number>();
  for (const op of history) if (op.key !== undefined && op.process !== NEMESIS_PROCESS) keys.add(op.key);
  return [...keys].sort(compareKeys);
}

function compareKeys(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One section per key, then one for ops without a key (the nemesis's among them). */
function sectionsByKey(history: readonly Op[], pairs: readonly OpPair[], keys: ReadonlyArray<string | number>): Section[] {
  const sectionKey = (op: Op): string | number | undefined => (op.process === NEMESIS_PROCESS ? undefined : op.key);
  const opsByKey = new Map<string | number | undefined, Op[]>();
  const pairsByKey = new Map<string | number | undefined, OpPair[]>();
  for (const op of history) pushTo(opsByKey, sectionKey(op), op);
  for (const pair of pairs) pushTo(pairsByKey, sectionKey(pair.start), pair);
  const sections: Section[] = keys.map((key, i) => ({
    id: `key-${i}`,
    heading: `key ${String(key)}`,
    ops: opsByKey.get(key) ?? [],
    pairs: pairsByKey.get(key) ?? [],
  }));
  const keyless = opsByKey.get(undefined);
  if (keyless !== undefined) sections.push({ id: 'no-key', heading: 'ops without a key (nemesis)', ops: keyless, pairs: pairsByKey.get(undefined) ?? [] });
  return sections;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function stylesheet(highlightGroups: number): string {
  const groups = Array.from({ length: highlightGroups }, (_, i) => {
    const color = HIGHLIGHT_COLORS[i % HIGHLIGHT_COLORS.length] as string;
    return `.op.hl${i} { outline: 3px solid ${color}; outline-offset: 1px; z-index: 3; }\n.hl-note${i} { border-left: 6px solid ${color}; }\n`;
  });
  return `body { font: 13px/1.4 sans-serif; margin: 16px; color: #222; }
h1 { margin: 0 0 4px; font-size: 20px; }
.subtitle, .summary { margin: 2px 0; color: #444; }
.legend span { display: inline-block; margin-right: 14px; }
.swatch { display: inline-block; width: 14px; height: 12px; vertical-align: -2px; margin-right: 4px; border: 1px solid #999; }
.highlights > div { margin: 6px 0; padding: 2px 8px; }
.highlights a, .keys a { margin-right: 10px; white-space: nowrap; }
table.nemesis { border-collapse: collapse; margin: 8px 0; }
table.nemesis td, table.nemesis th { border: 1px solid #ddd; padding: 1px 8px; text-align: left; }
details { margin: 4px 0; border: 1px solid #ddd; }
summary { padding: 4px 8px; background: #f6f6f6; cursor: pointer; }
summary .marked { color: #d00000; font-weight: bold; }
.lanes { position: relative; margin: 8px 0 24px; }
.heads { position: sticky; top: 0; z-index: 5; height: 20px; background: #fff; border-bottom: 1px solid #ccc; }
.head { position: absolute; top: 2px; width: ${COLUMN_WIDTH_PX}px; text-align: center; font-weight: bold; font-size: 12px; }
.rows { position: relative; }
.t { position: absolute; left: 0; width: ${TIME_GUTTER_PX - 8}px; text-align: right; font-size: 10px; color: #888; border-top: 1px solid #eee; }
.band { position: absolute; left: 0; right: 0; background: rgba(0, 0, 0, 0.08); border-top: 1px dashed #999; z-index: 0; }
.band span { position: absolute; right: 4px; top: 0; width: ${BAND_LABEL_PX - 12}px; font-size: 11px; color: #555; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.op { position: absolute; width: ${COLUMN_WIDTH_PX}px; box-sizing: border-box; padding: 0 3px; overflow: hidden; font: 11px/${ROW_PX - 2}px monospace; word-break: break-all; border-radius: 2px; border: 1px solid rgba(0, 0, 0, 0.25); z-index: 2; }
.op:target { outline: 3px dashed #000; }
.op.ok { background: ${TIMELINE_COLORS.ok}; }
.op.fail { background: ${TIMELINE_COLORS.fail}; }
.op.info { background: ${TIMELINE_COLORS.info}; }
.op.open { background: ${TIMELINE_COLORS.open}; }
.tail { position: absolute; width: ${COLUMN_WIDTH_PX}px; box-sizing: border-box; border: 1px dashed #d77aa8; border-top: none; background: rgba(254, 181, 218, 0.25); z-index: 1; }
${groups.join('')}`;
}

function summary(history: readonly Op[], pairs: readonly OpPair[], keys: ReadonlyArray<string | number>): string {
  const client = pairs.filter((pair) => pair.start.process !== NEMESIS_PROCESS);
  const count = (outcome: OpPair['outcome']): number => client.filter((pair) => pair.outcome === outcome).length;
  const processes = new Set(history.filter((op) => op.process !== NEMESIS_PROCESS).map((op) => op.process)).size;
  const durationNs = history.reduce((latest, op) => Math.max(latest, op.time), 0);
  const parts = [
    `${client.length} client ops: ${count('ok')} ok, ${count('fail')} fail, ${count('info')} info, ${count('open')} open`,
    `${processes} processes`,
    ...(keys.length > 0 ? [`${keys.length} ${keys.length === 1 ? 'key' : 'keys'}`] : []),
    `${history.length} events over ${formatTime(durationNs)}`,
  ];
  return `<p class="summary">${escapeHtml(parts.join(' · '))}</p>`;
}

function legend(): string {
  const swatch = (color: string, label: string): string => `<span><i class="swatch" style="background:${color}"></i>${label}</span>`;
  return `<p class="legend">${swatch(TIMELINE_COLORS.ok, 'ok')}${swatch(TIMELINE_COLORS.fail, 'fail')}${swatch(TIMELINE_COLORS.info, 'info (outcome unknown; dashed: may still take effect)')}${swatch(
    TIMELINE_COLORS.open,
    'no completion',
  )}${swatch('rgba(0,0,0,0.12)', 'nemesis fault in effect')}<span>Time flows downward, one row per event; hover an op for its details.</span></p>`;
}

function highlightList(
  highlights: readonly TimelineHighlight[],
  pairByIndex: ReadonlyMap<number, OpPair>,
  sectionOfPair: ReadonlyMap<OpPair, Section>,
  grouped: boolean,
): string {
  const groups = highlights.map((group, i) => {
    const links = group.indexes.map((index) => {
      const pair = pairByIndex.get(index);
      if (pair === undefined) return `<span>#${index} (not in this history)</span>`;
      const where = grouped ? ` in ${sectionOfPair.get(pair)?.heading ?? '?'}` : '';
      return `<a href="#${opId(pair)}">#${index} ${escapeHtml(opText(pair))}${escapeHtml(where)}</a>`;
    });
    return `<div class="hl-note${i}"><strong>${escapeHtml(group.note)}</strong><br>${links.join(' ')}</div>`;
  });
  return `<div class="highlights">${groups.join('\n')}</div>`;
}

function nemesisTable(windows: readonly NemesisWindow[]): string {
  const rows = windows.map((w) => `<tr><td>${formatTime(w.startNs)}</td><td>${formatTime(w.stopNs)}</td><td>${escapeHtml(w.label)}</td></tr>`);
  return `<table class="nemesis"><tr><th>from</th><th>to</th><th>nemesis</th></tr>\n${rows.join('\n')}\n</table>`;
}

function keyIndex(sections: readonly Section[], marks: ReadonlyMap<OpPair, unknown>): string {
  const links = sections.map((section) => {
    const marked = section.pairs.some((pair) => marks.has(pair));
    return `<a href="#${section.id}"${marked ? ' class="marked"' : ''}>${escapeHtml(section.heading)}${marked ? ' ★' : ''}</a>`;
  });
  return `<p class="keys">${links.join(' ')}</p>`;
}

function sectionSummary(section: Section, highlighted: boolean): string {
  const count = (outcome: OpPair['outcome']): number => section.pairs.filter((pair) => pair.outcome === outcome).length;
  const parts = [`${section.pairs.length} ops`];
  for (const outcome of ['fail', 'info', 'open'] as const) {
    const n = count(outcome);
    if (n > 0) parts.push(`${n} ${outcome}`);
  }
  const mark = highlighted ? ' <span class="marked">highlighted</span>' : '';
  return `<strong>${escapeHtml(section.heading)}</strong> · ${escapeHtml(parts.join(' · '))}${mark}`;
}

/** The columns of one section: a header per process, the time margin, the bands, the ops. */
function renderLanes(section: Section, windows: readonly NemesisWindow[], marks: ReadonlyMap<OpPair, readonly HighlightMark[]>): string {
  const { ops, pairs } = section;
  const rowOf = new Map<number, number>();
  ops.forEach((op, row) => rowOf.set(op.index, row));
  const columns = processColumns(ops);
  const rowCount = Math.max(1, ops.length);
  const widthPx = TIME_GUTTER_PX + columns.size * (COLUMN_WIDTH_PX + COLUMN_GAP_PX) + BAND_LABEL_PX;
  const heightPx = rowCount * ROW_PX;
  const left = (process: Process): number => TIME_GUTTER_PX + (columns.get(process) ?? 0) * (COLUMN_WIDTH_PX + COLUMN_GAP_PX);

  const out: string[] = [];
  out.push(`<div class="lanes" style="width:${widthPx}px">`);
  const heads = [...columns.keys()].map((process) => `<div class="head" style="left:${left(process)}px">${escapeHtml(processName(process))}</div>`);
  out.push(`<div class="heads">${heads.join('')}</div>`);
  out.push(`<div class="rows" style="height:${heightPx}px">`);
  for (let row = 0; row < ops.length; row += TIME_LABEL_EVERY_ROWS) {
    out.push(`<div class="t" style="top:${row * ROW_PX}px">${formatTime((ops[row] as Op).time)}</div>`);
  }
  for (const window of windows) {
    const band = bandRows(ops, window);
    if (band === undefined) continue;
    const title = `${window.label}: ${formatTime(window.startNs)} to ${formatTime(window.stopNs)}`;
    out.push(`<div class="band" style="top:${band.topPx}px;height:${band.heightPx}px" title="${escapeHtml(title)}"><span>${escapeHtml(window.label)}</span></div>`);
  }
  for (const pair of pairs) {
    const startRow = rowOf.get(pair.start.index) ?? 0;
    const endRow = pair.completion === undefined ? rowCount - 1 : (rowOf.get(pair.completion.index) ?? startRow);
    const topPx = startRow * ROW_PX;
    const heightPx = (endRow - startRow + 1) * ROW_PX - 1;
    const leftPx = left(pair.start.process);
    const groups = marks.get(pair) ?? [];
    const classes = ['op', pair.outcome, ...groups.map((mark) => `hl${mark.group}`)].join(' ');
    const title = opTitle(pair, groups);
    out.push(`<div id="${opId(pair)}" class="${classes}" style="left:${leftPx}px;top:${topPx}px;height:${heightPx}px" title="${escapeHtml(title)}">${escapeHtml(opText(pair))}</div>`);
    // A crashed op may still take effect at any later time, as Jepsen draws it.
    if (pair.outcome === 'info' && endRow < rowCount - 1 && pair.start.process !== NEMESIS_PROCESS) {
      out.push(`<div class="tail" style="left:${leftPx}px;top:${topPx + heightPx}px;height:${(rowCount - 1 - endRow) * ROW_PX}px"></div>`);
    }
  }
  out.push('</div>\n</div>');
  return out.join('\n');
}

/** Client processes in numeric order, then the nemesis. */
function processColumns(ops: readonly Op[]): Map<Process, number> {
  const processes = [...new Set(ops.map((op) => op.process))].sort((a, b) => {
    if (a === NEMESIS_PROCESS) return 1;
    if (b === NEMESIS_PROCESS) return -1;
    return a - b;
  });
  return new Map(processes.map((process, column) => [process, column]));
}

/** The rows a window covers: from the first event at or after its start to the last at or before its stop. */
function bandRows(ops: readonly Op[], window: NemesisWindow): { topPx: number; heightPx: number } | undefined {
  if (ops.length === 0) return undefined;
  const first = firstRowAtOrAfter(ops, window.startNs);
  const last = firstRowAtOrAfter(ops, window.stopNs + 1) - 1;
  if (first >= ops.length) return undefined;
  if (last < first) return { topPx: first * ROW_PX, heightPx: BAND_MIN_PX };
  return { topPx: first * ROW_PX, heightPx: (last - first + 1) * ROW_PX };
}

/** Binary search over the rows' times, which never decrease in a history. */
function firstRowAtOrAfter(ops: readonly Op[], timeNs: number): number {
  let low = 0;
  let high = ops.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ops[middle] as Op).time < timeNs) low = middle + 1;
    else high = middle;
  }
  return low;
}

function opId(pair: OpPair): string {
  return `op-${pair.start.index}`;
}

function processName(process: Process): string {
  return process === NEMESIS_PROCESS ? 'nemesis' : `process ${process}`;
}

/** What the box says: process, f, value, the completion's value when it differs, and how it ended unless ok. */
function opText(pair: OpPair): string {
  const invoked = formatOpValue(pair.start.value);
  const parts = [pair.start.process === NEMESIS_PROCESS ? 'nemesis' : `p${pair.start.process}`, pair.start.f, invoked];
  if (pair.completion !== undefined && pair.completion !== pair.start) {
    const completed = formatOpValue(pair.completion.value);
    if (completed !== invoked) parts.push(`→ ${completed}`);
  }
  if (pair.outcome !== 'ok') parts.push(`(${pair.outcome})`);
  return parts.join(' ');
}

function opTitle(pair: OpPair, marks: readonly HighlightMark[]): string {
  const { start, completion } = pair;
  const indexes = completion === undefined || completion === start ? `#${start.index}` : `#${start.index} → #${completion.index}`;
  const node = start.node ?? completion?.node;
  const lines = [`${indexes} · ${processName(start.process)}${node === undefined ? '' : ` · node ${node}`}${start.key === undefined ? '' : ` · key ${String(start.key)}`}`];
  lines.push(`${opText(pair)}${pair.outcome === 'ok' ? ' (ok)' : ''}`);
  const timing =
    pair.latencyNs === undefined
      ? `invoked at ${formatMs(pair.startNs)}, never completed`
      : `${formatMs(pair.startNs)} → ${formatMs(pair.endNs)}, latency ${formatMs(pair.latencyNs)}`;
  lines.push(timing);
  const error = completion?.error ?? start.error;
  if (error !== undefined) lines.push(`error: ${error}`);
  for (const mark of marks) lines.push(`★ ${mark.note}`);
  return lines.join('\n');
}

function formatMs(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}

/** Short times for margins and tables: ms below ten seconds, seconds above. */
function formatTime(ns: number): string {
  return ns < 10e9 ? `${(ns / 1e6).toFixed(1)} ms` : `${(ns / 1e9).toFixed(3)} s`;
}
