// Prometheus metrics for GET /metrics: one observe() per completed request, fed from its
// RequestRecord. Names follow the OpenTelemetry GenAI semantic conventions where one exists
// (dots become underscores, the unit becomes a suffix), Tollgate's own otherwise (tollgate_*).
//
// Labels are low-cardinality only: operation, provider, requested and served model, route,
// status (and error type / cache status on the request counter). Never key, user, team or
// request ids: those belong in the ledger, which has every request.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { totalInput } from '../core/canonical.js';
import type { RequestRecord } from '../ledger/record.js';
import type { LedgerStats } from '../ledger/ledger.js';
import {
  GATEWAY_OVERHEAD_BUCKETS,
  GEN_AI_DURATION_BUCKETS,
  GEN_AI_TOKEN_BUCKETS,
  GEN_AI_TPOT_BUCKETS,
  GEN_AI_TTFT_BUCKETS,
} from './buckets.js';
import { FastCounter, FastHistogram, type CounterSeries, type HistogramSeries, type SelfRenderedMetric } from './series.js';

export interface ObserveExtra {
  provider?: string;
  operation: 'chat' | 'embeddings';
}

const BASE_LABELS = [
  'gen_ai_operation_name',
  'gen_ai_provider_name',
  'gen_ai_request_model',
  'gen_ai_response_model',
  'route',
  'status',
] as const;

/** token kinds of tollgate_tokens_total: disjoint, except reasoning, which is part of output */
const TOKEN_KINDS = ['input', 'cache_read', 'cache_write_5m', 'cache_write_1h', 'output', 'reasoning'] as const;

/** every series one label set touches, looked up once per request */
interface SeriesSet {
  duration: HistogramSeries;
  ttft: HistogramSeries;
  tpot: HistogramSeries;
  overhead: HistogramSeries;
  tokenUsageInput: HistogramSeries;
  tokenUsageOutput: HistogramSeries;
  tokens: CounterSeries[];
  requests: CounterSeries;
  cost: CounterSeries;
  saved: CounterSeries;
}

const MS = 1000;

export interface GatewayMetricsOptions {
  /** also export the process's own metrics (CPU, memory, GC, event-loop delay); the gateway server turns this on */
  processMetrics?: boolean;
  /**
   * Distinct model names kept as label values; later ones are reported as OTHER_MODEL. A client
   * can send any model name (it fails as unknown, but is still a request), so without a cap
   * the series count would be the client's to choose.
   */
  maxModelLabelValues?: number;
  /**
   * Distinct label sets (one per combination of operation, provider, models, route, status, error
   * type and cache status; each is ~110 samples across the request metrics) kept apart; past it,
   * new combinations are counted in one set per operation and status whose other labels are
   * OTHER_MODEL. Bounds what a scrape renders whatever the traffic.
   */
  maxLabelSets?: number;
}

export const METRICS_DEFAULTS = { maxModelLabelValues: 200, maxLabelSets: 300 } as const;
export const OTHER_MODEL = '_other';
/** characters of exposition text per chunk of renderChunks() (~0.1 ms of rendering each) */
export const RENDER_CHUNK_CHARS = 32 * 1024;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** model names longer than this are reported as OTHER_MODEL (a client controls the requested model) */
const MAX_MODEL_LABEL_LENGTH = 200;

export class GatewayMetrics {
  /** this gateway's own registry (never prom-client's global one); other modules may register here */
  readonly registry = new Registry();
  readonly contentType: string = this.registry.contentType;

  private readonly duration = new FastHistogram(
    'gen_ai_server_request_duration_seconds',
    'End-to-end time of a request through the gateway, from receipt to the last byte sent (GenAI semconv gen_ai.server.request.duration).',
    [...BASE_LABELS, 'error_type'],
    GEN_AI_DURATION_BUCKETS,
  );
  private readonly ttft = new FastHistogram(
    'gen_ai_server_time_to_first_token_seconds',
    'Time from receipt to the first content token, streaming requests only (GenAI semconv gen_ai.server.time_to_first_token).',
    BASE_LABELS,
    GEN_AI_TTFT_BUCKETS,
  );
  private readonly tpot = new FastHistogram(
    'gen_ai_server_time_per_output_token_seconds',
    'Time per output token after the first: (duration - TTFT) / (output tokens - 1), streaming requests with more than one output token (GenAI semconv gen_ai.server.time_per_output_token).',
    BASE_LABELS,
    GEN_AI_TPOT_BUCKETS,
  );
  private readonly overhead = new FastHistogram(
    'tollgate_gateway_overhead_seconds',
    "Time the gateway itself added to a request: total time minus time spent waiting on the upstream.",
    BASE_LABELS,
    GATEWAY_OVERHEAD_BUCKETS,
  );
  private readonly tokenUsage = new FastHistogram(
    'gen_ai_client_token_usage',
    'Tokens per request by type as the provider reported them (GenAI semconv gen_ai.client.token.usage): input includes cached input; not reported when usage was only estimated.',
    [...BASE_LABELS, 'gen_ai_token_type'],
    GEN_AI_TOKEN_BUCKETS,
  );
  private readonly tokens = new FastCounter(
    'tollgate_tokens_total',
    'Tokens by billing kind: input (uncached, base price), cache_read, cache_write_5m, cache_write_1h, output (reasoning included), reasoning (part of output). Estimated usage included.',
    [...BASE_LABELS, 'gen_ai_token_type'],
  );
  private readonly requests = new FastCounter(
    'tollgate_requests_total',
    'Requests completed by the gateway, hits and failures included.',
    [...BASE_LABELS, 'error_type', 'cache_status'],
  );
  private readonly cost = new FastCounter(
    'tollgate_cost_usd_total',
    'What the requests cost in US dollars, at catalog prices, failed attempts included.',
    BASE_LABELS,
  );
  private readonly saved = new FastCounter(
    'tollgate_saved_cost_usd_total',
    'US dollars the cache saved (the cost the answered requests would have had upstream).',
    BASE_LABELS,
  );

  private readonly ledgerAppended = new Counter({ name: 'tollgate_ledger_records_appended_total', help: 'Ledger records written to the journal.', registers: [this.registry] });
  private readonly ledgerStored = new Counter({ name: 'tollgate_ledger_records_stored_total', help: 'Ledger records inserted into the store.', registers: [this.registry] });
  private readonly ledgerDropped = new Counter({ name: 'tollgate_ledger_records_dropped_total', help: 'Ledger records that could not be stored (journal write failures, a record too large even without its trail); never silent.', registers: [this.registry] });
  private readonly ledgerCorrupt = new Counter({ name: 'tollgate_ledger_corrupt_lines_total', help: 'Journal lines the ingester could not parse (the partial tail of a failed write).', registers: [this.registry] });
  private readonly ledgerPending = new Gauge({ name: 'tollgate_ledger_pending_bytes', help: 'Journal bytes not yet in the store (the ingest backlog).', registers: [this.registry] });

  /** rendered by render() itself, ahead of the Registry's metrics (see series.ts for why) */
  private readonly selfRendered: readonly SelfRenderedMetric[] = [this.duration, this.ttft, this.tpot, this.overhead, this.tokenUsage, this.tokens, this.requests, this.cost, this.saved];

  private readonly sets = new Map<string, SeriesSet>();
  private readonly models = new Set<string>();
  private readonly maxModels: number;
  private readonly maxSets: number;
  private knownModel: ((name: string) => boolean) | undefined;
  private overflowed = 0;

  constructor(opts: GatewayMetricsOptions = {}) {
    this.maxModels = opts.maxModelLabelValues ?? METRICS_DEFAULTS.maxModelLabelValues;
    this.maxSets = opts.maxLabelSets ?? METRICS_DEFAULTS.maxLabelSets;
    if (opts.processMetrics) this.registerProcessMetrics();
    const self = this;
    new Gauge({
      name: 'tollgate_metrics_label_sets',
      help: 'Distinct label sets of the request metrics (each is ~110 samples on this page); bounded by maxLabelSets.',
      registers: [this.registry],
      collect() {
        this.set(self.sets.size);
      },
    });
    new Counter({
      name: 'tollgate_metrics_label_sets_overflow_total',
      help: "Requests counted in an OTHER label set because the label-set bound was reached.",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(self.overflowed);
      },
    });
  }

  /**
   * Which requested model names are the gateway's own (configured models and routes): only those
   * become label values. Any other name a client sends (a typo, an attack: it answers 404) is
   * reported as OTHER_MODEL, so no client string ever creates a series. Without it, the first
   * maxModelLabelValues names seen are kept.
   */
  knowModels(isKnown: (name: string) => boolean): void {
    this.knownModel = isKnown;
  }

  /** label sets held now (bounded by maxLabelSets + one overflow set per operation and status) */
  get labelSets(): number {
    return this.sets.size;
  }

  /**
   * The process's own figures: the event loop's delay since the last scrape (max and p99, from
   * perf_hooks at 10 ms resolution: it tells a frozen loop from a slow upstream) and the resident
   * memory. Under tollgate_ (prom-client's default set names a gauge *_total, against the
   * naming rules this endpoint keeps).
   */
  private registerProcessMetrics(): void {
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let max = 0;
    let p99 = 0;
    const read = (): void => {
      // read once per scrape for both gauges, then start the next interval
      max = loop.max / 1e9;
      p99 = loop.percentile(99) / 1e9;
      loop.reset();
    };
    new Gauge({
      name: 'tollgate_event_loop_delay_max_seconds',
      help: 'Largest delay of the event loop since the last scrape (perf_hooks, 10 ms resolution): synchronous work that held every request.',
      registers: [this.registry],
      collect() {
        read();
        this.set(max);
      },
    });
    new Gauge({
      name: 'tollgate_event_loop_delay_p99_seconds',
      help: '99th percentile of the event loop delay since the last scrape.',
      registers: [this.registry],
      collect() {
        this.set(p99);
      },
    });
    new Gauge({
      name: 'tollgate_process_resident_memory_bytes',
      help: 'Resident memory of the gateway process.',
      registers: [this.registry],
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
  }

  observe(record: RequestRecord, extra: ObserveExtra): void {
    const provider = extra.provider ?? record.provider ?? '';
    const errorType = record.status === 'ok' ? '' : (record.errorClass ?? record.status);
    const s = this.seriesFor(
      extra.operation,
      provider,
      this.modelLabel(record.requestedModel, true),
      this.modelLabel(record.model ?? '', false),
      record.route ?? '',
      record.status,
      errorType,
      record.cacheStatus ?? '',
    );

    const seconds = record.latencyMs / MS;
    s.duration.observe(seconds);
    s.overhead.observe(record.overheadMs / MS);
    s.requests.inc();
    s.cost.inc(record.costUsd);
    if (record.savedCostUsd) s.saved.inc(record.savedCostUsd);

    const u = record.usage;
    if (record.stream && record.ttftMs !== undefined) {
      const ttft = record.ttftMs / MS;
      s.ttft.observe(ttft);
      if (u.output > 1) s.tpot.observe((seconds - ttft) / (u.output - 1));
    }
    // semconv: without provider-reported counts the token usage histogram is not reported
    if (!u.estimated && (u.output > 0 || totalInput(u) > 0)) {
      s.tokenUsageInput.observe(totalInput(u));
      s.tokenUsageOutput.observe(u.output);
    }
    const t = s.tokens;
    t[0]!.inc(u.input);
    t[1]!.inc(u.cacheRead);
    t[2]!.inc(u.cacheWrite5m);
    t[3]!.inc(u.cacheWrite1h);
    t[4]!.inc(u.output);
    t[5]!.inc(u.reasoning);
  }

  /** the ledger's counters, read at scrape time (call before render()) */
  setLedgerStats(stats: LedgerStats): void {
    setCounter(this.ledgerAppended, stats.appended);
    setCounter(this.ledgerStored, stats.stored);
    setCounter(this.ledgerDropped, stats.dropped);
    setCounter(this.ledgerCorrupt, stats.corrupt ?? 0);
    this.ledgerPending.set(stats.pendingBytes);
  }

  /** the whole page as one string (tests, small registries); the gateway sends renderChunks() */
  async render(): Promise<string> {
    let text = '';
    for await (const chunk of this.renderChunks()) text += chunk;
    return text;
  }

  /**
   * The page in chunks of about RENDER_CHUNK_CHARS, with a turn of the event loop between two
   * chunks: however many series there are, a scrape is many short tasks, never one long one.
   */
  async *renderChunks(): AsyncGenerator<string> {
    let buf = '';
    for (const m of this.selfRendered) {
      for (const piece of m.exposition()) {
        buf += piece;
        if (buf.length < RENDER_CHUNK_CHARS) continue;
        yield buf;
        buf = '';
        await yieldToLoop();
      }
    }
    // the Registry's own metrics (process, ledger, other modules'): few series, bounded by config
    yield buf + (await this.registry.metrics());
  }

  /** A counter another module owns (e.g. retries, cache evictions); returns the existing one on a second call. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return (this.registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  /**
   * A counter whose values another module keeps (totals since start that only grow: cache lookups,
   * upstream retries): `read` gives every label set's current total at each scrape. Prometheus
   * counters end in `_total`; a gauge is for values that go down.
   */
  observedCounter<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Iterable<[Partial<Record<L, string>>, number]>): Counter<L> {
    if (!name.endsWith('_total')) throw new Error(`counter ${name}: Prometheus counter names end in _total`);
    const existing = this.registry.getSingleMetric(name) as Counter<L> | undefined;
    if (existing) return existing;
    return new Counter<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect(this: Counter<L>) {
        this.reset();
        for (const [labels, v] of read()) this.inc(labels, Math.max(0, v));
      },
    });
  }

  /** A gauge another module owns (e.g. cache entries, breaker state); `collect` runs at each scrape. */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (g: Gauge<L>) => void): Gauge<L> {
    const existing = this.registry.getSingleMetric(name) as Gauge<L> | undefined;
    if (existing) return existing;
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      ...(collect ? { collect(this: Gauge<L>) { collect(this); } } : {}),
    });
  }

  /** A histogram another module owns (e.g. cache lookup time, similarity scores). */
  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L> {
    return (
      (this.registry.getSingleMetric(name) as Histogram<L> | undefined) ??
      new Histogram<L>({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] })
    );
  }

  private modelLabel(model: string, requested: boolean): string {
    // a client may name any model; a label that long is an attack or a mistake, never a model
    if (model.length > MAX_MODEL_LABEL_LENGTH) return OTHER_MODEL;
    if (model === '' || this.models.has(model)) return model;
    if (requested && this.knownModel && !this.knownModel(model)) return OTHER_MODEL;
    if (this.models.size >= this.maxModels) return OTHER_MODEL;
    this.models.add(model);
    return model;
  }

  private seriesFor(op: string, provider: string, requested: string, served: string, route: string, status: string, errorType: string, cacheStatus: string): SeriesSet {
    let key = `${op}\u0000${provider}\u0000${requested}\u0000${served}\u0000${route}\u0000${status}\u0000${errorType}\u0000${cacheStatus}`;
    let s = this.sets.get(key);
    if (!s && this.sets.size >= this.maxSets) {
      // the bound is reached: fold this combination into its operation and status's overflow set
      this.overflowed++;
      provider = requested = served = route = errorType = cacheStatus = OTHER_MODEL;
      key = `${op}\u0000${OTHER_MODEL}\u0000\u0000${status}`;
      s = this.sets.get(key);
    }
    if (!s) {
      const base = [op, provider, requested, served, route, status];
      s = {
        duration: this.duration.with([...base, errorType]),
        ttft: this.ttft.with(base),
        tpot: this.tpot.with(base),
        overhead: this.overhead.with(base),
        tokenUsageInput: this.tokenUsage.with([...base, 'input']),
        tokenUsageOutput: this.tokenUsage.with([...base, 'output']),
        tokens: TOKEN_KINDS.map((k) => this.tokens.with([...base, k])),
        requests: this.requests.with([...base, errorType, cacheStatus]),
        cost: this.cost.with(base),
        saved: this.saved.with(base),
      };
      this.sets.set(key, s);
    }
    return s;
  }
}

function setCounter(c: Counter, value: number): void {
  c.reset();
  c.inc(Math.max(0, value));
}
