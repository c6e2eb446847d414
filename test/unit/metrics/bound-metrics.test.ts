import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { counter, gauge, histogram, latencyBuckets } from '../../../adapters/metrics/registry.js';

/**
 * The same operations on prom-client's own metrics and on ours, in two registries: `/metrics`
 * must not change by a byte (dashboards and alerts read it).
 */
function bothWays(ops: (m: { hs: { labels(...v: string[]): { inc(): void } }; active: { inc(): void; dec(): void; set(v: number): void }; seconds: { labels(...v: string[]): { observe(v: number): void } }; plain: { observe(v: number): void }; total: { inc(by?: number): void } }) => void): Promise<[string, string]> {
  const theirs = new Registry();
  const ours = new Registry();
  ops({
    hs: new Counter({ name: 'hs_total', help: 'handshakes', labelNames: ['result', 'version'], registers: [theirs] }),
    active: new Gauge({ name: 'active', help: 'open now', registers: [theirs] }),
    seconds: new Histogram({ name: 'hs_seconds', help: 'duration', labelNames: ['version'], buckets: latencyBuckets, registers: [theirs] }),
    plain: new Histogram({ name: 'plain_seconds', help: 'no labels', registers: [theirs] }),
    total: new Counter({ name: 'conn_total', help: 'accepted', registers: [theirs] }),
  });
  ops({
    hs: counter(ours, 'hs_total', 'handshakes', ['result', 'version']),
    active: gauge(ours, 'active', 'open now'),
    seconds: histogram(ours, 'hs_seconds', 'duration', ['version'], latencyBuckets),
    plain: histogram(ours, 'plain_seconds', 'no labels'),
    total: counter(ours, 'conn_total', 'accepted'),
  });
  return Promise.all([theirs.metrics(), ours.metrics()]);
}

describe('bound metrics', () => {
  it('render exactly as prom-client’s, before any use', async () => {
    const [theirs, ours] = await bothWays(() => {});
    assert.equal(ours, theirs);
  });

  it('render exactly as prom-client’s after counts, gauge moves and observations on every bucket edge', async () => {
    const [theirs, ours] = await bothWays((m) => {
      for (let i = 0; i < 5; i++) m.hs.labels('completed', '1.3').inc();
      m.hs.labels('failed', 'none').inc();
      m.hs.labels('completed', '1.2').inc();
      m.active.inc();
      m.active.inc();
      m.active.dec();
      m.total.inc(3);
      for (const v of [...latencyBuckets, 0, 0.0001, 0.003, 7, 1e9]) m.seconds.labels('1.3').observe(v);
      m.seconds.labels('a "quoted"\nname').observe(0.01);
      for (const v of [0.004, 0.3, 20]) m.plain.observe(v);
    });
    assert.match(ours, /hs_total\{result="completed",version="1.3"\} 5/);
    assert.match(ours, /hs_seconds_bucket\{le="\+Inf",version="1.3"\} 18/);
    assert.equal(ours, theirs);
  });

  it('hands out one child per label set and shares a metric registered twice by name', () => {
    const registry = new Registry();
    const a = counter(registry, 'x_total', 'x', ['k']);
    assert.equal(counter(registry, 'x_total', 'x', ['k']), a);
    assert.equal(a.labels('v'), a.labels('v'));
    assert.notEqual(a.labels('v'), a.labels('w'));
    assert.throws(() => a.labels('v', 'extra'), /1 label values expected, got 2/);
    assert.throws(() => gauge(registry, 'x_total', 'x'), /already registered as another kind/);
  });
});
