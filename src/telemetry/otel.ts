// OpenTelemetry export: traces and metrics following the GenAI semantic conventions, built from the
// finished RequestRecord and sent over OTLP/HTTP with the official JS SDK.
//
// Off the hot path: `observe` only queues the record (a bounded array; records beyond it are
// dropped and counted); spans and measurements are made on a later turn of the event loop, and the
// BatchSpanProcessor sends them in batches from its own bounded queue. Every span or record that
// does not reach the collector is counted in `tollgate_otel_dropped_total{signal,reason}` on /metrics.
//
// One span per request (`chat {requested model}`, kind SERVER: the gateway serves the caller), a
// child span per upstream attempt (`chat {model}`, kind CLIENT), the gateway's own calls included
// with their purpose; Tollgate's figures (cost, baseline, cache, route, the decision trail, the
// prompt's components) as `tollgate.*` attributes. Attributes cost CPU at every step (validation,
// OTLP encoding, garbage): what the span already says (its duration, status, kind) is not repeated.

import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Meter,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { totalInput, type Usage } from '../core/canonical.js';
import type { AttemptRecord, RequestRecord } from '../ledger/record.js';
import type { GatewayMetrics } from './metrics.js';
import type { TelemetryConfig } from './otel-config.js';
import { ATTR, GEN_AI_METRICS, type HistogramSpec } from './otel-conventions.js';

export interface OtelObserveExtra {
  operation: 'chat' | 'embeddings';
  /** the caller's W3C traceparent, when it sent one: the request span joins that trace */
  traceparent?: string;
  /** a provider instance's name in config -> its gen_ai.provider.name (openai, anthropic, gcp.gemini...) */
  providerName(provider: string): string | undefined;
}

export interface OtelOptions {
  config: TelemetryConfig & { endpoint: string };
  /** where the dropped-span counter goes (/metrics) */
  metrics?: GatewayMetrics;
  serviceVersion?: string;
  /** environment for the exporters' own OTEL_* fallbacks (headers, compression) */
  env?: NodeJS.ProcessEnv;
}

/** records waiting to become spans; beyond it new ones are dropped (and counted) */
export const MAX_PENDING_RECORDS = 4096;
/** longest string attribute (a trail entry's reason): the collector's and the backend's memory is not ours to spend */
const MAX_ATTR_CHARS = 4096;
/** distinct model names used as metric attribute values (a client can send any model name) */
const MAX_MODEL_VALUES = 200;
const OTHER = '_other';

const S = 1000;

/** Seconds from milliseconds, for the conventions' `s` units. */
const seconds = (ms: number): number => ms / S;

export class OtelTelemetry {
  private readonly tracerProvider?: BasicTracerProvider;
  private readonly meterProvider?: MeterProvider;
  private readonly tracer?: Tracer;
  private readonly instruments?: Instruments;
  private readonly pending: Array<[RequestRecord, OtelObserveExtra]> = [];
  private scheduled = false;
  private readonly dropped: DroppedCounts = { queueFull: 0, exportFailed: 0, recordsOverflow: 0 };
  private readonly models = new Set<string>();
  private readonly queue: CountingSpanProcessor | undefined;

  constructor(opts: OtelOptions) {
    const cfg = opts.config;
    const env = opts.env ?? process.env;
    const resource = resourceFromAttributes({
      [ATTR_SERVICE_NAME]: cfg.serviceName ?? env.OTEL_SERVICE_NAME ?? 'tollgate',
      ...(opts.serviceVersion ? { [ATTR_SERVICE_VERSION]: opts.serviceVersion } : {}),
    });
    const base = cfg.endpoint.replace(/\/+$/, '');
    const common = { timeoutMillis: cfg.exportTimeoutMs, ...(cfg.headers ? { headers: { ...cfg.headers } } : {}) };
    if (cfg.traces) {
      const exporter = new CountingExporter(new OTLPTraceExporter({ ...common, url: `${base}/v1/traces` }), this.dropped);
      const batch = new BatchSpanProcessor(exporter, {
        maxQueueSize: cfg.maxQueueSize,
        maxExportBatchSize: cfg.maxExportBatchSize,
        scheduledDelayMillis: cfg.scheduledDelayMs,
        exportTimeoutMillis: cfg.exportTimeoutMs,
      });
      this.queue = new CountingSpanProcessor(batch, cfg.maxQueueSize, this.dropped);
      exporter.onExported = (n) => this.queue!.exported(n);
      this.tracerProvider = new BasicTracerProvider({
        resource,
        sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(cfg.samplingRatio) }),
        spanProcessors: [this.queue],
      });
      this.tracer = this.tracerProvider.getTracer('tollgate', opts.serviceVersion);
    }
    if (cfg.metrics) {
      const reader = new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ ...common, url: `${base}/v1/metrics` }),
        exportIntervalMillis: cfg.exportIntervalMs,
        exportTimeoutMillis: Math.min(cfg.exportTimeoutMs, cfg.exportIntervalMs),
      });
      this.meterProvider = new MeterProvider({ resource, readers: [reader] });
      this.instruments = createInstruments(this.meterProvider.getMeter('tollgate', opts.serviceVersion));
    }
    opts.metrics?.observedCounter(
      'tollgate_otel_dropped_total',
      'OpenTelemetry data that never reached the collector: spans turned away by a full export queue or lost in a failed export, records dropped before they became spans.',
      ['signal', 'reason'],
      () => [
        [{ signal: 'traces', reason: 'queue_full' }, this.dropped.queueFull],
        [{ signal: 'traces', reason: 'export_failed' }, this.dropped.exportFailed],
        [{ signal: 'records', reason: 'queue_full' }, this.dropped.recordsOverflow],
      ],
    );
  }

  /** Queues a finished record for export: O(1) here, the spans are made on a later turn. */
  observe(record: RequestRecord, extra: OtelObserveExtra): void {
    if (this.pending.length >= MAX_PENDING_RECORDS) {
      this.dropped.recordsOverflow++;
      return;
    }
    this.pending.push([record, extra]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** what was dropped so far (also on /metrics as tollgate_otel_dropped_total) */
  droppedCounts(): Readonly<DroppedCounts> {
    return { ...this.dropped };
  }

  /** exports everything queued so far (tests, shutdown) */
  async flush(): Promise<void> {
    this.drain();
    await Promise.all([this.tracerProvider?.forceFlush(), this.meterProvider?.forceFlush()]);
  }

  async shutdown(): Promise<void> {
    this.drain();
    await Promise.allSettled([this.tracerProvider?.shutdown(), this.meterProvider?.shutdown()]);
  }

  private drain(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.pending.length);
    for (const [record, extra] of batch) {
      try {
        if (this.tracer) this.spans(this.tracer, record, extra);
        if (this.instruments) this.measure(this.instruments, record, extra);
      } catch {
        // telemetry must never take a request, or the process, down
      }
    }
  }

  private spans(tracer: Tracer, r: RequestRecord, extra: OtelObserveExtra): void {
    const parent = parentContext(extra.traceparent);
    // the sampler decides at the start: a trace it drops costs no attributes and no child spans
    const span = tracer.startSpan(`${extra.operation} ${r.requestedModel}`, { kind: SpanKind.SERVER, startTime: r.receivedAt }, parent);
    if (!span.isRecording()) return;
    const provider = r.provider ? (extra.providerName(r.provider) ?? r.provider) : undefined;
    const attrs: Attributes = {
      [ATTR.operationName]: extra.operation,
      [ATTR.requestModel]: r.requestedModel,
      [ATTR.requestStream]: r.stream,
      [ATTR.httpStatus]: r.httpStatus,
      'tollgate.request_id': r.requestId,
      'tollgate.cost_usd': r.costUsd,
      'tollgate.overhead_ms': r.overheadMs,
      'tollgate.decisions': r.trail.map((e) => `${e.stage}:${e.decision}`),
    };
    if (provider) {
      attrs[ATTR.providerName] = provider;
      attrs[ATTR.system] = provider;
    }
    if (r.model) attrs[ATTR.responseModel] = r.model;
    if (r.finishReason) attrs[ATTR.responseFinishReasons] = [r.finishReason];
    if (r.ttftMs !== undefined) attrs[ATTR.responseTimeToFirstChunk] = seconds(r.ttftMs);
    if (r.session) attrs[ATTR.conversationId] = r.session;
    usageAttributes(attrs, r.usage);
    if (r.status !== 'ok') attrs[ATTR.errorType] = r.errorClass ?? r.status;
    setIf(attrs, 'tollgate.route', r.route);
    setIf(attrs, 'tollgate.team', r.team);
    setIf(attrs, 'tollgate.key_id', r.keyId);
    setIf(attrs, 'tollgate.cache.status', r.cacheStatus);
    setIf(attrs, 'tollgate.cache.saved_cost_usd', r.savedCostUsd);
    setIf(attrs, 'tollgate.baseline_cost_usd', r.baselineCostUsd);
    setIf(attrs, 'tollgate.baseline_model', r.baselineModel);
    setIf(attrs, 'tollgate.failed_attempts_cost_usd', r.failedAttemptsCostUsd);
    setIf(attrs, 'tollgate.cost_estimated', r.costEstimated);
    setIf(attrs, 'tollgate.usage_estimated', r.usage.estimated);
    setIf(attrs, 'tollgate.stable_prefix_tokens', r.stablePrefixTokens);
    for (const [k, v] of Object.entries(r.costByComponent ?? {})) attrs[`tollgate.cost_usd.${k}`] = v;
    for (const [k, v] of Object.entries(r.tokensByComponent ?? {})) attrs[`tollgate.input_tokens.${k}`] = v;
    for (const [k, v] of Object.entries(r.savedByLever ?? {})) attrs[`tollgate.saved_usd.${k}`] = v;
    if (r.promptCache) {
      attrs['tollgate.prompt_cache.prefix_hash'] = r.promptCache.prefixHash;
      attrs['tollgate.prompt_cache.write_tokens'] = r.promptCache.writeTokens;
      attrs['tollgate.prompt_cache.read_tokens'] = r.promptCache.readTokens;
      attrs['tollgate.prompt_cache.ttl_seconds'] = r.promptCache.ttlSeconds;
    }

    span.setAttributes(attrs);
    // the trail's decisions as events: a trace view lists them in order under the request
    for (const e of r.trail) {
      const ev: Attributes = { 'tollgate.stage': e.stage, 'tollgate.decision': e.decision };
      if (e.reason) ev['tollgate.reason'] = clip(e.reason);
      span.addEvent('tollgate.decision', ev, r.receivedAt);
    }
    if (r.status !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: r.errorClass ?? r.status });
    const inside = trace.setSpan(parent, span);
    r.attempts?.forEach((a, i) => this.attemptSpan(tracer, a, i, r, extra, inside));
    span.end(r.completedAt);
  }

  private attemptSpan(tracer: Tracer, a: AttemptRecord, index: number, r: RequestRecord, extra: OtelObserveExtra, parent: Context): void {
    const provider = extra.providerName(a.provider) ?? a.provider;
    const op = operationOf(a, extra.operation);
    const attrs: Attributes = {
      [ATTR.operationName]: op,
      [ATTR.providerName]: provider,
      [ATTR.requestModel]: a.model,
      'tollgate.attempt.index': index,
      'tollgate.attempt.provider': a.provider,
      'tollgate.cost_usd': a.costUsd,
    };
    if (a.status !== null) attrs[ATTR.httpStatus] = a.status;
    if (a.purpose) attrs['tollgate.attempt.purpose'] = a.purpose;
    if (a.errorClass) attrs[ATTR.errorType] = a.errorClass;
    else if (a.status !== null && a.status < 400) attrs[ATTR.responseModel] = a.model;
    if (a.usage) usageAttributes(attrs, a.usage);
    const end = Number.isFinite(a.endedAt) ? a.endedAt : r.completedAt;
    const span = tracer.startSpan(`${op} ${a.model}`, { kind: SpanKind.CLIENT, startTime: a.startedAt, attributes: attrs }, parent);
    if (a.errorClass) span.setStatus({ code: SpanStatusCode.ERROR, message: a.errorClass });
    span.end(end);
  }

  private measure(m: Instruments, r: RequestRecord, extra: OtelObserveExtra): void {
    const provider = r.provider ? (extra.providerName(r.provider) ?? r.provider) : '';
    const base: Attributes = { [ATTR.operationName]: extra.operation, [ATTR.providerName]: provider, [ATTR.requestModel]: this.modelValue(r.requestedModel) };
    if (r.model) base[ATTR.responseModel] = this.modelValue(r.model);
    if (r.route) base['tollgate.route'] = r.route;
    const outcome: Attributes = r.status === 'ok' ? base : { ...base, [ATTR.errorType]: r.errorClass ?? r.status };
    m.serverDuration.record(seconds(r.latencyMs), outcome);
    if (r.stream && r.ttftMs !== undefined) {
      m.serverTtft.record(seconds(r.ttftMs), base);
      if (r.usage.output > 1) m.serverTpot.record(seconds(r.latencyMs - r.ttftMs) / (r.usage.output - 1), base);
    }
    const cacheStatus = r.cacheStatus ?? 'none';
    m.requests.add(1, { ...outcome, 'tollgate.cache.status': cacheStatus });
    m.cost.add(r.costUsd, base);
    if (r.savedCostUsd) m.saved.add(r.savedCostUsd, base);
    if (r.failedAttemptsCostUsd) m.failedCost.add(r.failedAttemptsCostUsd, base);

    // client metrics: one operation per upstream call the gateway made
    for (const a of r.attempts ?? []) {
      const ap = extra.providerName(a.provider) ?? a.provider;
      const attrs: Attributes = { [ATTR.operationName]: operationOf(a, extra.operation), [ATTR.providerName]: ap, [ATTR.requestModel]: this.modelValue(a.model) };
      if (a.purpose) attrs['tollgate.attempt.purpose'] = a.purpose;
      const ok = !a.errorClass && a.status !== null && a.status < 400;
      if (ok) attrs[ATTR.responseModel] = this.modelValue(a.model);
      if (Number.isFinite(a.endedAt)) m.clientDuration.record(seconds(a.endedAt - a.startedAt), ok ? attrs : { ...attrs, [ATTR.errorType]: a.errorClass ?? 'error' });
      // the conventions: billable counts only, and none at all when they were only estimated
      if (a.usage && !a.usage.estimated && (totalInput(a.usage) > 0 || a.usage.output > 0)) {
        m.tokenUsage.record(totalInput(a.usage), { ...attrs, [ATTR.tokenType]: 'input' });
        m.tokenUsage.record(a.usage.output, { ...attrs, [ATTR.tokenType]: 'output' });
      }
    }
  }

  private modelValue(model: string): string {
    if (model.length > 200) return OTHER;
    if (this.models.has(model)) return model;
    if (this.models.size >= MAX_MODEL_VALUES) return OTHER;
    this.models.add(model);
    return model;
  }
}

interface DroppedCounts {
  /** spans the BatchSpanProcessor's full queue turned away */
  queueFull: number;
  /** spans in an export the collector did not accept */
  exportFailed: number;
  /** records dropped before becoming spans (MAX_PENDING_RECORDS waiting) */
  recordsOverflow: number;
}

interface Instruments {
  tokenUsage: Histogram;
  clientDuration: Histogram;
  serverDuration: Histogram;
  serverTtft: Histogram;
  serverTpot: Histogram;
  requests: Counter;
  cost: Counter;
  saved: Counter;
  failedCost: Counter;
}

function histogram(meter: Meter, spec: HistogramSpec): Histogram {
  return meter.createHistogram(spec.name, { unit: spec.unit, description: spec.description, advice: { explicitBucketBoundaries: [...spec.buckets] } });
}

function createInstruments(meter: Meter): Instruments {
  return {
    tokenUsage: histogram(meter, GEN_AI_METRICS.tokenUsage),
    clientDuration: histogram(meter, GEN_AI_METRICS.operationDuration),
    serverDuration: histogram(meter, GEN_AI_METRICS.serverRequestDuration),
    serverTtft: histogram(meter, GEN_AI_METRICS.serverTimeToFirstToken),
    serverTpot: histogram(meter, GEN_AI_METRICS.serverTimePerOutputToken),
    requests: meter.createCounter('tollgate.requests', { unit: '{request}', description: 'Requests the gateway completed, hits and failures included.' }),
    cost: meter.createCounter('tollgate.cost', { unit: 'USD', description: 'What the requests cost at catalog prices, failed attempts and the gateway’s own calls included.' }),
    saved: meter.createCounter('tollgate.cache.saved_cost', { unit: 'USD', description: 'What the gateway cache saved: the cost the answered requests would have had upstream.' }),
    failedCost: meter.createCounter('tollgate.failed_attempts.cost', { unit: 'USD', description: 'What failed attempts (retries, fallbacks) cost.' }),
  };
}

/** the conventions' usage attributes: input counts every input token, cached ones included */
function usageAttributes(attrs: Attributes, u: Usage): void {
  attrs[ATTR.usageInputTokens] = totalInput(u);
  attrs[ATTR.usageOutputTokens] = u.output;
  if (u.cacheRead) attrs[ATTR.usageCacheReadInputTokens] = u.cacheRead;
  if (u.cacheWrite5m + u.cacheWrite1h) attrs[ATTR.usageCacheCreationInputTokens] = u.cacheWrite5m + u.cacheWrite1h;
  if (u.reasoning) attrs[ATTR.usageReasoningOutputTokens] = u.reasoning;
}

/** the gateway's embedding calls are embeddings operations; every other call is a chat */
function operationOf(a: AttemptRecord, requestOperation: string): string {
  return a.purpose?.includes('embed') ? 'embeddings' : a.purpose ? 'chat' : requestOperation;
}

function setIf(attrs: Attributes, key: string, v: string | number | boolean | undefined): void {
  if (v !== undefined && v !== '') attrs[key] = v;
}

function clip(s: string): string {
  return s.length > MAX_ATTR_CHARS ? `${s.slice(0, MAX_ATTR_CHARS - 1)}…` : s;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** the caller's trace, from a valid W3C traceparent (version 00); else a new root */
function parentContext(traceparent: string | undefined): Context {
  const m = traceparent ? TRACEPARENT.exec(traceparent.trim()) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16) & TraceFlags.SAMPLED, isRemote: true });
}

/**
 * Mirrors the BatchSpanProcessor's queue to count what it drops: the processor turns a sampled
 * span away when maxQueueSize spans wait, and says so only in a diagnostic log.
 */
class CountingSpanProcessor implements SpanProcessor {
  private waiting = 0;
  constructor(
    private readonly inner: BatchSpanProcessor,
    private readonly max: number,
    private readonly dropped: DroppedCounts,
  ) {}
  onStart(span: Parameters<SpanProcessor['onStart']>[0], ctx: Context): void {
    this.inner.onStart(span, ctx);
  }
  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) {
      if (this.waiting >= this.max) this.dropped.queueFull++;
      else this.waiting++;
    }
    this.inner.onEnd(span);
  }
  /** the processor handed `n` spans to the exporter: they left its queue */
  exported(n: number): void {
    this.waiting = Math.max(0, this.waiting - n);
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** the OTLP exporter, counting the spans of exports that failed */
class CountingExporter implements SpanExporter {
  onExported: (n: number) => void = () => {};
  constructor(
    private readonly inner: SpanExporter,
    private readonly dropped: DroppedCounts,
  ) {}
  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.onExported(spans.length);
    this.inner.export(spans, (result) => {
      if (result.code !== 0) this.dropped.exportFailed += spans.length;
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
