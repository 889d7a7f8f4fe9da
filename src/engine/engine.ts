// The engine: one request and its one record, with no HTTP. The server, and later the async queue,
// the SDK, replay and experiments, all run requests through here:
//
//   const run = engine.start({ format, endpoint, headers, abort });
//   run.admit(caller, rawBody);
//   const result = await run.chat(request);        // the lever pipeline, then the upstream
//   ... relay result (settleStream at the end of a stream) ...
//   run.finish(outcome, onDurable);                // the RequestRecord, into the ledger

import type { ChatRequest, EmbeddingsRequest, EmbeddingsResponse } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import { contextMessagesFrom } from '../core/prompt-anatomy.js';
import { loadTokenizerFor } from '../core/tokens.js';
import { PriceCatalog } from '../core/prices/catalog.js';
import type { StreamAccumulator } from '../core/stream-accumulator.js';
import type { LoadedConfig } from '../config/load.js';
import type { Ledger } from '../ledger/ledger.js';
import type { RequestRecord } from '../ledger/record.js';
import { Flags } from '../flags/flags.js';
import type { AppliedOverlay } from '../flags/snapshot.js';
import type { PolicyShape } from '../flags/validate.js';
import { buildStages, type LeverStores } from '../levers/index.js';
import { MemoryFlagStore } from '../stores/memory/flag-store.js';
import type { FlagStore } from '../stores/flags.js';
import { ModelRegistry } from '../pipeline/model-registry.js';
import { runPipeline, type AdminRoute, type Caller, type ChatResult, type GatewayContext, type Stage } from '../pipeline/stage.js';
import type { ProviderAdapter } from '../providers/contract.js';
import { createProvider } from '../providers/registry.js';
import '../providers/index.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import type { OtelTelemetry } from '../telemetry/otel.js';
import { PrefixMemory, preparePrompt, promptFields, type PreparedPrompt } from './anatomy.js';
import type { PayloadStore } from '../stores/payloads.js';
import { attemptRecord, failureClass, failureStatus } from './attempts.js';
import { callUpstream, type UpstreamDeps } from './call-upstream.js';
import { now } from './clock.js';
import { admit, clientGone, createContext, type RequestMeta } from './context.js';
import type { Outcome } from './outcome.js';
import { createOwnCalls, type OwnCalls } from './own-calls.js';
import { Pricing } from './pricing.js';
import { buildRecord, costOfAttempts } from './record.js';
import { settleStream } from './stream-end.js';
import { RecentRecords } from './recent-records.js';
import { createSpend, type SpendControl, type SpendStores } from '../spend/index.js';
import { QUALITY_KEY_ID, QualityEvaluator, type CacheQualityControl, type RouteQualityControl, type TighteningEvent } from '../quality/evaluator.js';
import type { QualityStore } from '../stores/quality.js';

export interface Engine {
  readonly registry: ModelRegistry;
  readonly pricing: Pricing;
  readonly providers: ReadonlyMap<string, ProviderAdapter>;
  readonly stages: readonly Stage[];
  readonly own: OwnCalls;
  /** admin endpoints the levers (and the flags) expose */
  readonly adminRoutes: readonly AdminRoute[];
  readonly flags: Flags;
  /** what the running config serves, for checking overlays (flags, experiments) */
  readonly shape: PolicyShape;
  /** budgets and rate limits */
  readonly spend: SpendControl;
  /** the judge and shadow evaluation (config `judge:`), when configured */
  readonly quality?: QualityEvaluator;
  start(meta: RequestMeta & { timeoutMs?: number }): RequestRun;
  /** a recent request's record, once it is durable (the newest config.server.recentRecords are kept) */
  recentRecord(requestId: string): RequestRecord | undefined;
  close(): Promise<void>;
}

export interface RequestRun {
  readonly ctx: GatewayContext;
  /** who is calling and the body bytes they sent, if any (relayed as-is when nothing changes them) */
  admit(caller: Caller, rawBody?: Buffer): void;
  /** resolves the model, runs the lever pipeline and the upstream call */
  chat(request: ChatRequest): Promise<ChatResult>;
  embeddings(request: EmbeddingsRequest): Promise<EmbeddingsResponse>;
  /** at the end of a relayed stream: its usage (or estimate) and cost, into the outcome */
  settleStream(acc: StreamAccumulator, source: 'upstream' | 'cache', outcome: Outcome): void;
  /** what the request has cost so far: every attempt, the gateway's own calls included */
  costUsd(): number;
  /**
   * Builds the request's one record and commits it; `onDurable` runs once it is in the journal.
   * Idempotent: a second call returns the first record.
   */
  finish(outcome: Outcome, onDurable?: () => void): RequestRecord;
}

export interface EngineDeps {
  ledger: Ledger;
  metrics: GatewayMetrics;
  /** told of every finished record, after the ledger and metrics (the alerts' per-session tally); must not throw */
  onRecord?: (record: RequestRecord) => void;
  /** which arm of a running experiment a request is in (src/experiments/), applied after the flags */
  experiments?: { assign(model: string, ids: { session?: string; user?: string; key?: string }): (AppliedOverlay & { variant: string }) | undefined };
  /** the flag store (default: in memory); its flags' overlays apply per request, from a snapshot */
  flagStore?: FlagStore;
  /** stores for the levers instead of the embedded SQLite defaults (the SDK passes memory ones) */
  stores?: LeverStores;
  /** OpenTelemetry export, when configured: every record becomes spans and measurements */
  otel?: Pick<OtelTelemetry, 'observe'>;
  /** where budgets keep spend and run-time budgets (the gateway: SQLite in the data dir; default memory) */
  spend?: SpendStores;
  /**
   * false: leave the records' prompt anatomy out (costByComponent and the rest). Replay does: its
   * prompts are synthesised stand-ins whose split would mean nothing, and tokenizing them was most
   * of its time per request.
   */
  promptAnatomy?: boolean;
  /** the opt-in payload store (config payloadStore): each request as the client sent it, redacted */
  payloads?: PayloadStore;
  /** how levers count input tokens (replay: the recorded counts of synthesised prompts) */
  estimateInputTokens?: (req: ChatRequest) => number;
  /** where the judge keeps estimates and tightened thresholds across restarts (the gateway: quality.db) */
  qualityStore?: QualityStore;
  /** a lever tightened itself on live quality evidence (the gateway alerts); must not throw */
  onTighten?: (e: TighteningEvent) => void;
  /** a user request's answer was judged (the experiments' quality guardrail); must not throw */
  onJudged?: (record: RequestRecord, score: number) => void;
}

export async function createEngine(config: LoadedConfig, deps: EngineDeps): Promise<Engine> {
  const providers = new Map<string, ProviderAdapter>();
  for (const p of config.providers) providers.set(p.name, createProvider({ ...p, apiKey: config.providerKeys[p.name] }));
  const registry = new ModelRegistry(config.models, Object.keys(config.routes ?? {}));
  const pricing = new Pricing(PriceCatalog.load(config.prices), registry);
  const spendParts = await createSpend(config, { pricing, registry, stores: deps.spend });
  const spend = spendParts.control;
  const own = createOwnCalls({ registry, providers, pricing, spend });
  const stages = await buildStages(config, { dataDir: config.dataDir, costOf: pricing.cost, registry, providers, metrics: deps.metrics, own, stores: deps.stores, estimateInputTokens: deps.estimateInputTokens });
  // the judge's and shadow's calls: each its own record (keyId tollgate:judge, endpoint
  // internal:<purpose>), written to the ledger only: no observer, stage or metric counts them as traffic
  const ownRun = async (purpose: 'judge' | 'shadow', model: string, request: ChatRequest) => {
    const ctx = createContext({ format: 'openai', endpoint: `internal:${purpose}`, headers: {} }, own);
    admit(ctx, { keyId: QUALITY_KEY_ID }, EMPTY_BODY);
    ctx.request = { ...request, model };
    ctx.target = registry.resolve(model)?.target;
    try {
      const r = await ctx.callModel(model, request, { purpose });
      deps.ledger.append(buildRecord(ctx, { httpStatus: 200, response: r, usage: r.usage, source: 'upstream' }, pricing));
      return r;
    } catch (err) {
      deps.ledger.append(buildRecord(ctx, { httpStatus: 502, error: err }, pricing));
      throw err;
    }
  };
  const routerStage = stages.find((s) => s.name === 'router') as (Stage & Partial<RouteQualityControl>) | undefined;
  const cacheStage = stages.find((s) => s.name === 'cache') as (Stage & Partial<CacheQualityControl>) | undefined;
  // a semantic hit is shadowed by the model its entry came from (a route's hit has no target of its own)
  const modelFor = (target: { provider: string; model: string } | undefined, requested: string): string | undefined => {
    if (target) for (const n of registry.modelNames()) if (registry.resolve(n)!.target.provider === target.provider && registry.resolve(n)!.target.model === target.model) return n;
    return registry.resolve(requested) ? requested : undefined;
  };
  const quality = config.judge
    ? new QualityEvaluator(config.judge, {
        call: ownRun,
        routes: routerStage?.qualityRoute && routerStage.tighten ? (routerStage as unknown as RouteQualityControl) : undefined,
        cache: cacheStage?.tightenSemantic && cacheStage.semanticPolicy ? (cacheStage as unknown as CacheQualityControl) : undefined,
        modelFor,
        store: deps.qualityStore,
        onTighten: deps.onTighten,
        onJudged: deps.onJudged,
      })
    : undefined;
  await quality?.restore();
  const shape = policyShape(config, registry);
  const flags = await Flags.open({ store: deps.flagStore ?? new MemoryFlagStore(), shape, pollMs: FLAG_POLL_MS });
  const adminRoutes = [...stages.flatMap((s) => s.adminRoutes ?? []), ...spendParts.adminRoutes, ...flags.adminRoutes(), ...(quality?.adminRoutes() ?? [])];
  const defaultTimeoutMs = config.server.requestTimeoutMs;
  const prefixes = new PrefixMemory();
  const otelProviderName = (name: string): string | undefined => providers.get(name)?.otelProviderName;
  // a model of the GPT-4 / GPT-3.5 generation is counted with its own tokenizer (loaded only then)
  for (const m of config.models) await loadTokenizerFor(m.model ?? m.name);
  const recent = new RecentRecords(config.server.recentRecords ?? 0);

  const commit = (record: RequestRecord, ctx: GatewayContext, operation: 'chat' | 'embeddings', parsed: ChatRequest | undefined, onDurable?: () => void): void => {
    if (onDurable)
      deps.ledger.appendThen(record, () => {
        recent.add(record);
        onDurable();
      });
    else {
      deps.ledger.append(record);
      recent.add(record);
    }
    if (deps.payloads && parsed && operation === 'chat') {
      try {
        deps.payloads.put({ requestId: record.requestId, receivedAt: record.receivedAt, format: ctx.format, endpoint: ctx.endpoint, request: parsed });
      } catch {
        // the payload store is a convenience for replay: it never fails a request
      }
    }
    deps.metrics.observe(record, { provider: record.provider ? providers.get(record.provider)?.otelProviderName : undefined, operation });
    try {
      deps.onRecord?.(record);
    } catch {
      // an observer's bookkeeping must never take a request down
    }
    deps.otel?.observe(record, { operation, traceparent: ctx.headers['traceparent'], providerName: otelProviderName });
    for (const s of stages) {
      try {
        s.onRecord?.(record, ctx);
      } catch {
        // a stage's bookkeeping must never take a request down
      }
    }
  };

  const core: EngineCore = { registry, pricing, providers, stages, flags, spend, deps, quality, prefixes, defaultTimeoutMs, own, commit };
  const start = (meta: RequestMeta & { timeoutMs?: number }): RequestRun => new EngineRequestRun(core, meta);

  return {
    registry,
    pricing,
    providers,
    stages,
    own,
    adminRoutes,
    spend,
    quality,
    start,
    flags,
    shape,
    recentRecord: (id) => recent.get(id),
    async close() {
      quality?.close();
      await flags.close();
      for (const s of stages) await s.close?.();
      for (const p of providers.values()) await p.close?.();
      await spendParts.close();
    },
  };
}

/** What every request run of one engine shares, made once by createEngine. */
interface EngineCore {
  readonly registry: ModelRegistry;
  readonly pricing: Pricing;
  readonly providers: ReadonlyMap<string, ProviderAdapter>;
  readonly stages: readonly Stage[];
  readonly flags: Flags;
  readonly spend: SpendControl;
  readonly deps: EngineDeps;
  readonly quality: QualityEvaluator | undefined;
  readonly prefixes: PrefixMemory;
  readonly defaultTimeoutMs: number;
  readonly own: OwnCalls;
  commit(record: RequestRecord, ctx: GatewayContext, operation: 'chat' | 'embeddings', parsed: ChatRequest | undefined, onDurable?: () => void): void;
}

/**
 * One request through the engine. A class, its steps on the prototype: a run used to be an object
 * of closures (seven per request, plus the upstream call's deps), garbage on every request. The
 * run is also the deps callUpstream reads (providers, registry, pricing, timeoutMs, parsed, spend).
 */
class EngineRequestRun implements RequestRun, UpstreamDeps {
  readonly ctx: GatewayContext;
  readonly providers: ReadonlyMap<string, ProviderAdapter>;
  readonly registry: ModelRegistry;
  readonly pricing: Pricing;
  readonly spend: SpendControl;
  readonly timeoutMs: number;
  /** the request as parsed from the client's bytes (see UpstreamDeps.parsed) */
  parsed: ChatRequest | undefined = undefined;
  private operation: 'chat' | 'embeddings' = 'chat';
  private record: RequestRecord | undefined = undefined;
  // the prompt's anatomy, computed while the upstream works (see engine/anatomy.ts)
  private prepared: PreparedPrompt | undefined = undefined;
  private preparing = false;
  private contextMessages: Set<object> | undefined = undefined;

  constructor(
    private readonly core: EngineCore,
    meta: RequestMeta & { timeoutMs?: number },
  ) {
    this.ctx = createContext(meta, core.own);
    this.providers = core.providers;
    this.registry = core.registry;
    this.pricing = core.pricing;
    this.spend = core.spend;
    this.timeoutMs = meta.timeoutMs ?? core.defaultTimeoutMs;
  }

  admit(caller: Caller, rawBody?: Buffer): void {
    admit(this.ctx, caller, rawBody ?? EMPTY_BODY);
  }

  private prepare(): PreparedPrompt {
    const ctx = this.ctx;
    if (!this.prepared || this.prepared.request !== ctx.request) this.prepared = preparePrompt(ctx.request, this.contextMessages, ctx.target?.model);
    return this.prepared;
  }

  chat(request: ChatRequest): Promise<ChatResult> {
    const ctx = this.ctx;
    const core = this.core;
    ctx.request = request;
    this.parsed = request;
    const resolved = core.registry.resolve(request.model);
    if (resolved) ctx.target = resolved.target;
    else if (core.registry.isRoute(request.model)) ctx.route = request.model;
    else throw modelNotFound(request.model);
    const marked = contextMessagesFrom(ctx.headers['x-tollgate-context'], request);
    if (marked && !(marked instanceof Set)) throw new GatewayError('invalid_request', marked.error, { param: 'x-tollgate-context' });
    if (marked?.size) this.contextMessages = new Set([...marked].map((i) => request.messages[i]!));
    // rate limits count every request, cache hits included; budgets are reserved per attempt
    core.spend.admit(ctx);
    let applied = core.flags.snapshot().overlayFor(request.model);
    const experiments = core.deps.experiments;
    if (experiments) {
      const arm = experiments.assign(request.model, { session: ctx.headers['x-tollgate-session'], user: ctx.caller.user ?? ctx.headers['x-tollgate-user'], key: ctx.caller.keyId });
      if (arm) {
        ctx.variant = arm.variant;
        ctx.trail.push({ stage: 'experiments', decision: 'assign', reason: arm.variant, data: { variant: arm.variant, overlay: arm.overlay } });
        if (arm.flags.length) applied = { overlay: { ...applied?.overlay, ...arm.overlay, levers: { ...applied?.overlay.levers, ...arm.overlay.levers } }, flags: [...(applied?.flags ?? []), ...arm.flags] };
      }
    }
    const run = applied ? applyOverlay(ctx, applied, core.stages, core.registry) : core.stages;
    return runPipeline(run, ctx, () => this.callUpstream());
  }

  /** the pipeline's terminal step */
  private callUpstream(): Promise<ChatResult> {
    const call = callUpstream(this.ctx, this);
    if (!this.preparing && this.core.deps.promptAnatomy !== false) {
      this.preparing = true;
      setImmediate(prepareUnlessFinished, this);
    }
    return call;
  }

  /** @internal for prepareUnlessFinished */
  prepareIfOpen(): void {
    if (!this.record) this.prepare();
  }

  async embeddings(request: EmbeddingsRequest): Promise<EmbeddingsResponse> {
    const ctx = this.ctx;
    const { registry, providers, pricing } = this.core;
    this.operation = 'embeddings';
    // the record wants a request; embeddings have no messages
    ctx.request = { model: request.model, system: [], messages: [], stream: false, includeUsage: false, extra: {} };
    const resolved = registry.resolve(request.model);
    if (!resolved) throw modelNotFound(request.model);
    const target = (ctx.target = resolved.target);
    const adapter = providers.get(target.provider);
    if (!adapter?.embeddings) throw new GatewayError('unsupported', `Provider '${target.provider}' does not serve embeddings.`, { param: 'model' });
    const startedAt = now();
    try {
      const r = await adapter.embeddings(request, { model: target.model, signal: ctx.signal, timeoutMs: resolved.timeoutMs ?? this.timeoutMs, timings: ctx.timings });
      ctx.attempts.push(attemptRecord(target, startedAt, { status: 200, usage: r.usage, costUsd: pricing.costOf(target, r.usage) }));
      return r;
    } catch (err) {
      ctx.attempts.push(attemptRecord(target, startedAt, { status: failureStatus(err), errorClass: failureClass(err, clientGone(ctx)) }));
      throw err;
    }
  }

  settleStream(acc: StreamAccumulator, source: 'upstream' | 'cache', outcome: Outcome): void {
    settleStream(this.ctx, acc, source, outcome, this.core.pricing);
    this.core.spend.settleEnded(this.ctx);
  }

  costUsd(): number {
    return costOfAttempts(this.ctx.attempts);
  }

  finish(outcome: Outcome, onDurable?: () => void): RequestRecord {
    if (this.record) return this.record;
    const ctx = this.ctx;
    const core = this.core;
    core.spend.finish(ctx);
    const record = (this.record = buildRecord(ctx, outcome, core.pricing));
    if (this.preparing && !isCacheHit(record) && record.provider && record.model) {
      const price = core.pricing.priceOf({ provider: record.provider, model: record.model });
      const memoryKey = `${record.team ?? record.keyId ?? ''}\u0000${record.route ?? record.requestedModel}`;
      Object.assign(record, promptFields(this.prepare(), record.usage, price, { model: record.model, memory: core.prefixes, memoryKey }));
    }
    core.commit(record, ctx, this.operation, this.parsed, onDurable);
    // sampled for the judge and shadow evaluation: queued here, run later, never on this path
    if (core.quality && this.operation === 'chat') core.quality.observe(record, this.parsed, outcome.response);
    return record;
  }
}

function prepareUnlessFinished(run: EngineRequestRun): void {
  run.prepareIfOpen();
}

const EMPTY_BODY = Buffer.alloc(0);

/** a change made by another process (an instance, the CLI on the data dir) applies within this */
const FLAG_POLL_MS = 2_000;

/**
 * Puts the flags' overlay on the request: in the trail and the record, the model it forces on a
 * plain model request (a route's router honours model, tier and maxTier itself), and the levers it
 * turns off. Returns the stages to run.
 */
function applyOverlay(ctx: GatewayContext, applied: AppliedOverlay, stages: readonly Stage[], registry: ModelRegistry): readonly Stage[] {
  const o = applied.overlay;
  ctx.overlay = o;
  ctx.flags = applied.flags;
  ctx.trail.push({ stage: 'flags', decision: 'overlay', reason: `flag${applied.flags.length > 1 ? 's' : ''} ${applied.flags.join(', ')}`, data: { flags: applied.flags, overlay: o } });
  if (o.model !== undefined && ctx.route === undefined) {
    const forced = registry.resolve(o.model);
    if (forced) ctx.target = forced.target;
  }
  const levers = o.levers;
  return levers ? stages.filter((s) => levers[s.name] !== false) : stages;
}

/** what the running config serves, for checking a flag's overlay when it is set */
function policyShape(config: LoadedConfig, registry: ModelRegistry): PolicyShape {
  const routes = config.routes ?? {};
  const modelName = (m: string | { model: string }): string => (typeof m === 'string' ? m : m.model);
  return {
    isServed: (name) => registry.resolve(name) !== undefined || registry.isRoute(name),
    route: (name) => {
      const r = (routes as Record<string, { tiers?: { name: string; models: (string | { model: string })[] }[]; fallbacks?: string[] }>)[name];
      if (!r) return undefined;
      const tiers = r.tiers ?? [];
      return { tiers: tiers.map((t) => t.name), models: [...tiers.flatMap((t) => t.models.map(modelName)), ...(r.fallbacks ?? [])] };
    },
    levers: config.pipeline,
  };
}
const isCacheHit = (r: RequestRecord): boolean => r.cacheStatus === 'hit' || r.cacheStatus === 'semantic_hit';

function modelNotFound(model: string): GatewayError {
  return new GatewayError('model_not_found', `The model '${model}' does not exist or is not served by this gateway.`, { param: 'model' });
}
