// Per-request metrics cheap enough for the hot path, rendered by a prom-client Registry.
//
// Why not prom-client's own Histogram/Counter here: each observe() there re-validates and
// re-hashes its label object (measured ~1.4 µs per call; a request makes a dozen). These keep one
// series object per label set, found once per request through a single Map lookup by the caller,
// so an observation is a bucket search and three additions. They implement the metric interface
// prom-client's Registry renders (name, help, type, get()), so exposition stays prom-client's.

import type { Registry } from 'prom-client';

type Labels = Record<string, string>;

interface MetricValue {
  value: number;
  labels: Labels;
  metricName?: string;
}

export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1); // last slot: above every bound (+Inf only)
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return; // a missing timestamp must not poison the sum
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++; // <= 16 bounds: a scan beats a binary search
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class CounterSeries {
  value = 0;
  constructor(readonly labels: Labels) {}
  inc(by = 1): void {
    if (by > 0 && Number.isFinite(by)) this.value += by;
  }
}

abstract class LabelledMetric<S> {
  readonly aggregator = 'sum' as const;
  protected readonly series = new Map<string, S>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** the series for these label values (in labelNames order); keep the handle, it is stable */
  with(values: readonly string[]): S {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      const labels: Labels = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      s = this.create(labels);
      this.series.set(key, s);
    }
    return s;
  }

  reset(): void {
    this.series.clear();
  }

  protected abstract create(labels: Labels): S;
}

export class FastHistogram extends LabelledMetric<HistogramSeries> {
  readonly type = 'histogram' as const;
  constructor(name: string, help: string, labelNames: readonly string[], readonly bounds: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }
  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.bounds);
  }
  get(): { name: string; help: string; type: 'histogram'; values: MetricValue[]; aggregator: 'sum' } {
    const values: MetricValue[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: String(this.bounds[i]) }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

export class FastCounter extends LabelledMetric<CounterSeries> {
  readonly type = 'counter' as const;
  protected create(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }
  get(): { name: string; help: string; type: 'counter'; values: MetricValue[]; aggregator: 'sum' } {
    const values = [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
