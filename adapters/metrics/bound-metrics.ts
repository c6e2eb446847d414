// Counters, gauges and histograms whose label children are plain objects with number fields,
// exposed through prom-client's Registry (which formats `/metrics`). prom-client's own metrics
// validate and hash the label set on every `inc`/`observe`, even on a child from `labels()`: ~1 µs
// per handshake metric in isolation, several in a loaded proxy, on every connection and every
// signature. Here `labels()` is one Map lookup and an increment is an addition.
import type { Registry } from 'prom-client';

type MetricType = 'counter' | 'gauge' | 'histogram';

/** One sample line: prom-client's Registry formats these (escaping, `+Inf`, label order). */
interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What prom-client's Registry needs of a metric to render it. */
interface RegistrableMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  get(): Promise<{ name: string; help: string; type: MetricType; values: Sample[]; aggregator: 'sum' }>;
  reset(): void;
}

abstract class BoundMetric<Child> implements RegistrableMetric {
  abstract readonly type: MetricType;
  private readonly children = new Map<string, { labels: Record<string, string>; child: Child }>();
  private unlabelledChild: Child | undefined;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The child of the empty label set, for metrics without labels. */
  protected get unlabelled(): Child {
    return (this.unlabelledChild ??= this.labels());
  }

  /** The child of these label values (in `labelNames` order); created on first use. */
  labels(...values: Array<string | number>): Child {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name}: ${this.labelNames.length} label values expected, got ${values.length}`);
    const key = values.length === 1 ? String(values[0]) : values.join('\0');
    let entry = this.children.get(key);
    if (!entry) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = String(values[i])));
      entry = { labels, child: this.newChild() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  protected abstract newChild(): Child;
  protected abstract valuesOf(child: Child, labels: Record<string, string>): Sample[];

  get(): ReturnType<RegistrableMetric['get']> {
    if (this.labelNames.length === 0) this.labels(); // shown as 0 before any use, as prom-client does
    const values: Sample[] = [];
    for (const { labels, child } of this.children.values()) values.push(...this.valuesOf(child, labels));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' });
  }

  reset(): void {
    this.children.clear();
    this.unlabelledChild = undefined;
  }
}

export interface CounterChild {
  inc(by?: number): void;
}

class CounterValue implements CounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class BoundCounter extends BoundMetric<CounterChild> {
  readonly type = 'counter';
  inc(by = 1): void {
    this.unlabelled.inc(by);
  }
  protected newChild(): CounterChild {
    return new CounterValue();
  }
  protected valuesOf(child: CounterChild, labels: Record<string, string>): Sample[] {
    return [{ labels, value: (child as CounterValue).value }];
  }
}

export interface GaugeChild {
  set(value: number): void;
  inc(by?: number): void;
  dec(by?: number): void;
}

class GaugeValue implements GaugeChild {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
}

export class BoundGauge extends BoundMetric<GaugeChild> {
  readonly type = 'gauge';
  set(value: number): void {
    this.unlabelled.set(value);
  }
  inc(by = 1): void {
    this.unlabelled.inc(by);
  }
  dec(by = 1): void {
    this.unlabelled.dec(by);
  }
  protected newChild(): GaugeChild {
    return new GaugeValue();
  }
  protected valuesOf(child: GaugeChild, labels: Record<string, string>): Sample[] {
    return [{ labels, value: (child as GaugeValue).value }];
  }
}

export interface HistogramChild {
  observe(value: number): void;
}

class HistogramValue implements HistogramChild {
  /** Observations per bucket (not cumulative; the last one is +Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly upperBounds: readonly number[]) {
    this.counts = new Float64Array(upperBounds.length + 1);
  }
  observe(value: number): void {
    let i = 0;
    while (i < this.upperBounds.length && value > this.upperBounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class BoundHistogram extends BoundMetric<HistogramChild> {
  readonly type = 'histogram';
  private readonly upperBounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], registry: Registry, buckets: readonly number[]) {
    super(name, help, labelNames, registry);
    this.upperBounds = [...buckets].sort((a, b) => a - b);
  }

  observe(value: number): void {
    this.unlabelled.observe(value);
  }
  protected newChild(): HistogramChild {
    return new HistogramValue(this.upperBounds);
  }
  protected valuesOf(child: HistogramChild, labels: Record<string, string>): Sample[] {
    const h = child as HistogramValue;
    const out: Sample[] = [];
    let cumulative = 0;
    this.upperBounds.forEach((le, i) => {
      cumulative += h.counts[i]!;
      out.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
    });
    out.push({ labels: { le: '+Inf', ...labels }, value: h.count, metricName: `${this.name}_bucket` });
    out.push({ labels, value: h.sum, metricName: `${this.name}_sum` });
    out.push({ labels, value: h.count, metricName: `${this.name}_count` });
    return out;
  }
}
