import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from '../src/index.js';

describe('metrics in Prometheus text', () => {
  it('counts by label set, keeps cumulative histogram buckets, and renders gauges read at the scrape', () => {
    const registry = new MetricsRegistry();
    const statements = registry.counter('x_statements_total', 'Statements.');
    const latency = registry.histogram('x_seconds', 'Latency.', [0.001, 0.01]);
    statements({ kind: 'insert' });
    statements({ kind: 'insert' });
    statements({ kind: 'select', outcome: 'error' });
    latency(0.0005, { kind: 'insert' });
    latency(0.005, { kind: 'insert' });
    latency(1, { kind: 'insert' });
    const text = registry.render([{ name: 'x_bytes', help: 'Bytes.', values: [{ labels: { table: 'a"b' }, value: 42 }] }]);
    assert.match(text, /^# TYPE x_statements_total counter$/m);
    assert.match(text, /^x_statements_total\{kind="insert"\} 2$/m);
    assert.match(text, /^x_statements_total\{kind="select",outcome="error"\} 1$/m);
    assert.match(text, /^x_seconds_bucket\{kind="insert",le="0.001"\} 1$/m);
    assert.match(text, /^x_seconds_bucket\{kind="insert",le="0.01"\} 2$/m);
    assert.match(text, /^x_seconds_bucket\{kind="insert",le="\+Inf"\} 3$/m);
    assert.match(text, /^x_seconds_count\{kind="insert"\} 3$/m);
    assert.match(text, /^x_seconds_sum\{kind="insert"\} 1.0055$/m);
    assert.match(text, /^x_bytes\{table="a\\"b"\} 42$/m);
  });
});
