// Per-request metrics cheap enough for the hot path, and cheap to expose on /metrics.
//
// Why not prom-client's own Histogram/Counter here: each observe() there re-validates and
// re-hashes its label object (measured ~1.4 µs per call; a request makes a dozen). These keep one
// series object per label set, found once per request through a single Map lookup by the caller,
// so an observation is a bucket search and three additions.
//
// Why they render themselves instead of through prom-client's Registry: the Registry re-escapes
// and re-joins every label of every sample on every scrape (a histogram series is 17 samples), and
// builds an object per sample first. Under the fuzz that was 0.2-0.5 s of one synchronous task
// per scrape, growing with the series count, and every request and /health waited behind it.
// Here a series escapes its labels once, when it is created, and rendering is string
// concatenation, one series at a time (exposition() is a generator), so the caller can send the
// page in small chunks and yield to the event loop between them: no scrape holds the loop for
// long and no multi-megabyte string is built (GC was a third of the old stall). GatewayMetrics
// still bounds how many series there are.

type Labels = Record<string, string>;

/** `a="x",b="y"` (no braces), escaped as the text exposition format asks */
export function labelText(labels: Labels): string {
  let out = '';
  for (const k in labels) out += `${out ? ',' : ''}${k}="${escapeLabelValue(labels[k]!)}"`;
  return out;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** a sample value as prom-client writes it */
export function sampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** the escaped label text, computed once */
  readonly text: string;
  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1); // last slot: above every bound (+Inf only)
    this.text = labelText(labels);
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
  /** the escaped label text, computed once */
  readonly text: string;
  constructor(readonly labels: Labels) {
    this.text = labelText(labels);
  }
  inc(by = 1): void {
    if (by > 0 && Number.isFinite(by)) this.value += by;
  }
}

/** what GatewayMetrics renders itself, beside prom-client's Registry */
export interface SelfRenderedMetric {
  readonly name: string;
  /** the exposition text: HELP and TYPE, then one piece per series (its every sample line) */
  exposition(): Generator<string>;
  /** how many series (label sets) it holds */
  readonly size: number;
}

abstract class LabelledMetric<S> implements SelfRenderedMetric {
  protected readonly series = new Map<string, S>();
  abstract readonly type: 'histogram' | 'counter';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  get size(): number {
    return this.series.size;
  }

  *exposition(): Generator<string> {
    yield `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    // a series created while the caller yields between pieces is still visited (Map order)
    for (const s of this.series.values()) yield this.lines(s);
  }

  protected abstract lines(s: S): string;

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
  private readonly le: string[];
  constructor(name: string, help: string, labelNames: readonly string[], readonly bounds: readonly number[]) {
    super(name, help, labelNames);
    this.le = bounds.map((b) => sampleValue(b));
  }
  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.bounds);
  }
  protected lines(s: HistogramSeries): string {
    // read once: the bucket lines, _sum and _count of one series agree even if a request lands mid-render
    const counts = s.counts.slice();
    const count = s.count;
    const sum = s.sum;
    const lb = s.text ? `${s.text},` : '';
    const bucket = `${this.name}_bucket{${lb}le="`;
    let out = '';
    let cumulative = 0;
    for (let i = 0; i < this.le.length; i++) {
      cumulative += counts[i]!;
      out += `${bucket}${this.le[i]}"} ${cumulative}\n`;
    }
    const braces = s.text ? `{${s.text}}` : '';
    out += `${bucket}+Inf"} ${count}\n${this.name}_sum${braces} ${sampleValue(sum)}\n${this.name}_count${braces} ${count}\n`;
    return out;
  }
}

export class FastCounter extends LabelledMetric<CounterSeries> {
  readonly type = 'counter' as const;
  protected create(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }
  protected lines(s: CounterSeries): string {
    return `${this.name}${s.text ? `{${s.text}}` : ''} ${sampleValue(s.value)}\n`;
  }
}
