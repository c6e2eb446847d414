// Prometheus metrics for one process: prom-client's Registry (default process metrics, the text
// format of `/metrics`) holding tlsedge's own counters, gauges and histograms (bound-metrics.ts),
// whose label children cost an addition per event on the hot paths.
import { Registry, collectDefaultMetrics } from 'prom-client';
import { BoundCounter, BoundGauge, BoundHistogram } from './bound-metrics.js';

export { BoundCounter, BoundGauge, BoundHistogram, Registry };

export function createMetricsRegistry(defaults = true): Registry {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'tlsedge_process_' });
  return registry;
}

/** Finds or creates a metric by name so several components can share one safely. */
function shared<M>(registry: Registry, name: string, kind: abstract new (...args: never[]) => M, create: () => M): M {
  const existing = registry.getSingleMetric(name) as unknown;
  if (existing === undefined) return create();
  if (existing instanceof kind) return existing;
  throw new Error(`metric ${name} is already registered as another kind`);
}

export function counter(registry: Registry, name: string, help: string, labelNames: readonly string[] = []): BoundCounter {
  return shared(registry, name, BoundCounter, () => new BoundCounter(name, help, labelNames, registry));
}

export function gauge(registry: Registry, name: string, help: string, labelNames: readonly string[] = []): BoundGauge {
  return shared(registry, name, BoundGauge, () => new BoundGauge(name, help, labelNames, registry));
}

export function histogram(registry: Registry, name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = defaultBuckets): BoundHistogram {
  return shared(registry, name, BoundHistogram, () => new BoundHistogram(name, help, labelNames, registry, buckets));
}

/** prom-client's default buckets (seconds), for histograms that name none. */
const defaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Seconds buckets from 0.5 ms to 5 s, for handshake, signature and request latencies. */
export const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
