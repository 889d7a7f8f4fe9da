// Replay: recorded traffic through a policy (a tollgate.yaml) with the same engine the gateway
// runs, against the price-only upstream (no calls; see price-only-upstream.ts) or the simulator.
// Each item goes start -> admit -> chat -> finish in arrival order; its record goes to a summing
// ledger (cost, tokens, cache hits, per model), never to disk. Latency in price-only mode comes from
// the latency model (latency.ts) at each item's arrival time; in simulator mode it is measured.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { costOf } from '../../core/cost.js';
import { PriceCatalog, type ModelPrice } from '../../core/prices/catalog.js';
import { resolveConfig, type LoadedConfig } from '../../config/load.js';
import { createEngine } from '../../engine/engine.js';
import type { Ledger, LedgerStats } from '../../ledger/ledger.js';
import type { RequestRecord } from '../../ledger/record.js';
import { createProvider } from '../../providers/registry.js';
import '../../providers/index.js';
import { MemoryCachePersistence } from '../../stores/memory/cache-persistence.js';
import { GatewayMetrics } from '../../telemetry/metrics.js';
import { estimateInputTokens } from '../../core/tokens.js';
import { declaredInputTokens, prefixSignature, promptSignature, type ReplayItem } from './item.js';
import { CACHE_HIT_MS, Histogram, LatencyModel } from './latency.js';
import { PRICE_ONLY_KIND, REPLAY_ID_HEADER, openSession, priceOnlyBaseUrl } from './price-only-upstream.js';

export type ReplayMode = 'price-only' | 'simulator';

/** replay-only settings a policy file may carry under `replay:` (the gateway has no batch queue yet) */
export interface ReplayPolicyExtras {
  /** 'background': requests marked background go through the Batch API (its discount off their cost) */
  batch?: 'none' | 'background';
}

export interface PolicyReport {
  requests: number;
  costUsd: number;
  errors: number;
  cacheHits: number;
  batchRequests: number;
  tokens: { input: number; cacheRead: number; cacheWrite: number; output: number };
  byModel: Record<string, { requests: number; costUsd: number }>;
  latencyMs: { p50: number; p95: number; p99: number };
  ttftMs: { p50: number; p95: number };
  /** requests that waited for a model's per-minute request limit (arrival-time effects) */
  rateLimitedRequests: number;
  /** mean quality over the requests whose data set says how good each model's answer is */
  quality?: { mean: number; n: number };
  /** the replayed records' own savings bars (RequestRecord.savedByLever) summed per lever, USD; absent when none */
  savedByLever?: Record<string, number>;
}

export class PolicySummary {
  requests = 0;
  costUsd = 0;
  errors = 0;
  cacheHits = 0;
  batchRequests = 0;
  rateLimitedRequests = 0;
  readonly tokens = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
  readonly byModel = new Map<string, { requests: number; costUsd: number }>();
  readonly latency = new Histogram();
  readonly ttft = new Histogram();
  private qualitySum = 0;
  private qualityN = 0;
  private readonly saved = new Map<string, number>();

  /** a record's savings bars, into the per-lever sums */
  addSavings(bars: Record<string, number | undefined> | undefined): void {
    if (!bars) return;
    for (const k in bars) {
      const v = bars[k];
      if (v !== undefined) this.saved.set(k, (this.saved.get(k) ?? 0) + v);
    }
  }

  add(r: { model?: string; costUsd: number; status: string; cacheStatus?: string; usage: RequestRecord['usage']; latencyMs: number; ttftMs?: number }, quality?: number): void {
    this.addOne(r.model, r.costUsd, r.status, r.cacheStatus, r.usage, r.latencyMs, r.ttftMs, quality);
  }

  /** add() without an object to carry the figures (once per replayed request) */
  addOne(model: string | undefined, costUsd: number, status: string, cacheStatus: string | undefined, usage: RequestRecord['usage'], latencyMs: number, ttftMs: number | undefined, quality: number | undefined): void {
    this.requests++;
    this.costUsd += costUsd;
    if (status !== 'ok') this.errors++;
    const hit = cacheStatus === 'hit' || cacheStatus === 'semantic_hit';
    if (hit) this.cacheHits++;
    else {
      this.tokens.input += usage.input;
      this.tokens.cacheRead += usage.cacheRead;
      this.tokens.cacheWrite += usage.cacheWrite5m + usage.cacheWrite1h;
      this.tokens.output += usage.output;
    }
    const key = hit ? `(cache)` : (model ?? '(none)');
    let m = this.byModel.get(key);
    if (!m) this.byModel.set(key, (m = { requests: 0, costUsd: 0 }));
    m.requests++;
    m.costUsd += costUsd;
    this.latency.add(latencyMs);
    if (ttftMs !== undefined) this.ttft.add(ttftMs);
    if (quality !== undefined) {
      this.qualitySum += quality;
      this.qualityN++;
    }
  }

  report(): PolicyReport {
    const out: PolicyReport = {
      requests: this.requests,
      costUsd: this.costUsd,
      errors: this.errors,
      cacheHits: this.cacheHits,
      batchRequests: this.batchRequests,
      tokens: { ...this.tokens },
      byModel: Object.fromEntries([...this.byModel].sort((a, b) => b[1].costUsd - a[1].costUsd)),
      latencyMs: { p50: this.latency.percentile(50), p95: this.latency.percentile(95), p99: this.latency.percentile(99) },
      ttftMs: { p50: this.ttft.percentile(50), p95: this.ttft.percentile(95) },
      rateLimitedRequests: this.rateLimitedRequests,
    };
    if (this.qualityN > 0) out.quality = { mean: this.qualitySum / this.qualityN, n: this.qualityN };
    if (this.saved.size > 0) out.savedByLever = Object.fromEntries(this.saved);
    return out;
  }
}

/** the recorded side of a ledger replay: what the records say, summed in the same order */
export function recordedQuality(item: ReplayItem): number | undefined {
  return item.outcomes && item.recorded?.model !== undefined ? item.outcomes[item.recorded.model] : undefined;
}

/** Replay reports its own figures: the Prometheus series of a million replayed requests would be noise. */
class NoMetrics extends GatewayMetrics {
  override observe(): void {}
}

/** A ledger that keeps nothing but hands each record to the replay's summary. */
class HandOffLedger implements Ledger {
  last: RequestRecord | undefined;
  private n = 0;
  append(record: RequestRecord): void {
    this.last = record;
    this.n++;
  }
  appendThen(record: RequestRecord, onDurable: () => void): void {
    this.append(record);
    onDurable();
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  stats(): LedgerStats {
    return { appended: this.n, stored: this.n, dropped: 0, pendingBytes: 0, corrupt: 0 };
  }
}

export interface ReplayOptions {
  /** the policy's config, as a file would give it (before validation) */
  policy: Record<string, unknown>;
  extras?: ReplayPolicyExtras;
  mode?: ReplayMode;
  /** simulator mode: the simulator's base URL (providers are pointed at it) */
  simUrl?: string;
  latency?: LatencyModel;
  onProgress?: (done: number, costUsd: number) => void;
  /** items between progress calls (and event-loop yields) */
  progressEvery?: number;
}

/** The policy with every provider replaced by the price-only upstream (same names, so models and routes still resolve). */
function priceOnlyPolicy(policy: Record<string, unknown>, sessionId: string): Record<string, unknown> {
  const providers = (policy.providers as Record<string, unknown>[] | undefined) ?? [];
  return {
    ...policy,
    providers: providers.map((p) => {
      // the format the real upstream speaks, so the levers treat the request as they would for it
      let format = 'openai';
      try {
        const real = createProvider({ ...(p as Record<string, unknown>), apiKey: undefined } as never);
        format = real.wireFormat;
        void real.close?.();
      } catch {
        // an unknown kind is reported by resolveConfig below, on the original name
      }
      return { name: p.name, kind: PRICE_ONLY_KIND, baseUrl: priceOnlyBaseUrl(sessionId, format as never) };
    }),
  };
}

function simulatorPolicy(policy: Record<string, unknown>, simUrl: string): Record<string, unknown> {
  const providers = (policy.providers as Record<string, unknown>[] | undefined) ?? [];
  return {
    ...policy,
    providers: providers.map((p) => {
      // the simulator serves each vendor's paths where the vendor does (/v1, /v1beta/openai, /): keep the path
      const { apiKeyEnv: _drop, ...rest } = p;
      let path = '';
      try {
        path = new URL(String(p.baseUrl)).pathname.replace(/\/$/, '');
      } catch {
        // resolveConfig names a bad baseUrl
      }
      return { ...rest, baseUrl: `${simUrl}${path}`, headers: { authorization: 'Bearer sim', 'x-api-key': 'sim' } };
    }),
  };
}

export async function replayPolicy(items: AsyncIterable<ReplayItem>, opts: ReplayOptions): Promise<PolicyReport> {
  const mode = opts.mode ?? 'price-only';
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-replay-'));
  const catalog = PriceCatalog.load((opts.policy.prices as never) ?? []);
  const priceMemo = new Map<string, ModelPrice | undefined>();
  const priceOf = (model: string) => {
    if (!priceMemo.has(model)) priceMemo.set(model, catalog.lookupModel(model));
    return priceMemo.get(model);
  };
  const session = openSession(priceOf);
  const ledger = new HandOffLedger();
  const summary = new PolicySummary();
  const latency = opts.latency ?? new LatencyModel();
  let config: LoadedConfig;
  try {
    const raw = mode === 'price-only' ? priceOnlyPolicy(opts.policy, session.id) : simulatorPolicy(opts.policy, opts.simUrl!);
    // replay never writes into the recorded data directory, and needs no provider keys
    // replay has no HTTP: nobody authenticates, so the policy's keys play no part
    config = resolveConfig({ ...raw, dataDir, auth: { mode: 'demo' } }, '(replay policy)', {});
  } catch (err) {
    session.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  // no lookups of recent records by id in a replay: keeping 10,000 of them alive was GC work per request
  const engine = await createEngine({ ...config, server: { ...config.server, recentRecords: 0 } }, {
    ledger,
    metrics: new NoMetrics(),
    stores: { cachePersistence: new MemoryCachePersistence() },
    estimateInputTokens: (req) => declaredInputTokens.get(req) ?? estimateInputTokens(req),
    // the prompts are stand-ins at the recorded sizes: their anatomy would mean nothing
    promptAnatomy: false,
  });
  // a synthesised prompt is too short for the prompt-cache lever to mark: stand in for its breakpoints
  session.session.promptCacheLever = config.pipeline.includes('prompt-cache') && config.cache.promptCache.enabled;
  const batch = opts.extras?.batch === 'background';
  const every = opts.progressEvery ?? 10_000;
  try {
    let done = 0;
    for await (const item of items) {
      const it = item as ReplayItem & { signature: number; prefixSignature: number };
      it.signature = promptSignature(item.request);
      it.prefixSignature = prefixSignature(item.request);
      session.session.items.set(item.id, it);
      session.session.clock = item.at;
      // the item's id names the request: replay's records are never stored, so no UUID is made for each
      const run = engine.start({ format: item.format, endpoint: item.endpoint, headers: item.headers ? { ...item.headers, [REPLAY_ID_HEADER]: item.id } : { [REPLAY_ID_HEADER]: item.id }, requestId: item.id });
      run.admit(item.caller);
      let outcome;
      try {
        const result = await run.chat(it.request);
        if (result.kind === 'complete') outcome = { httpStatus: 200, response: result.response, usage: result.response.usage, source: result.source };
        else {
          // a cache answering a stream: drain it (replay asks for whole answers, so this is rare)
          for await (const _ of result.chunks) void _;
          outcome = { httpStatus: 200, source: result.source };
        }
      } catch (err) {
        outcome = { httpStatus: 500, error: err };
      }
      run.finish(outcome);
      session.session.items.delete(item.id);
      const rec = ledger.last!;
      const hit = rec.cacheStatus === 'hit' || rec.cacheStatus === 'semantic_hit';
      let cost = rec.costUsd;
      if (batch && item.background && !hit && rec.model) {
        const price = priceOf(rec.model);
        if (price && price.batchDiscount > 0) {
          cost = costOf(rec.usage, price, { batch: true }).totalUsd;
          summary.batchRequests++;
        }
      }
      let latencyMs: number;
      let ttftMs: number | undefined;
      if (mode === 'simulator') ((latencyMs = rec.latencyMs), (ttftMs = rec.ttftMs));
      else if (hit) latencyMs = ttftMs = CACHE_HIT_MS;
      else if (rec.status !== 'ok' || !rec.model) latencyMs = rec.latencyMs;
      else {
        const l = latency.latency(rec.model, rec.usage, item.at);
        if (l.waitMs > 0) summary.rateLimitedRequests++;
        latencyMs = l.latencyMs;
        ttftMs = l.ttftMs;
      }
      const quality = item.outcomes ? (item.outcomes[rec.model ?? ''] ?? undefined) : undefined;
      summary.addOne(rec.model, cost, rec.status, rec.cacheStatus, rec.usage, latencyMs, ttftMs, quality);
      summary.addSavings(rec.savedByLever);
      done++;
      if (done % every === 0) {
        opts.onProgress?.(done, summary.costUsd);
        // let timers and I/O run between slices of a long replay
        await new Promise((r) => setImmediate(r));
      }
    }
    opts.onProgress?.(done, summary.costUsd);
  } finally {
    await engine.close();
    session.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return summary.report();
}

/** The recorded policy's side of a ledger window: the records as they were. */
export async function summariseRecorded(items: AsyncIterable<ReplayItem>, sink: (item: ReplayItem) => void = () => {}): Promise<PolicyReport> {
  const s = new PolicySummary();
  for await (const item of items) {
    const r = item.recorded!;
    s.add({ model: r.model, costUsd: r.costUsd, status: r.status, cacheStatus: r.cacheStatus, usage: r.usage, latencyMs: r.latencyMs, ttftMs: r.ttftMs }, recordedQuality(item));
    sink(item);
  }
  return s.report();
}
