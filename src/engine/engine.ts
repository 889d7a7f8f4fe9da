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
import { PriceCatalog } from '../core/prices/catalog.js';
import type { StreamAccumulator } from '../core/stream-accumulator.js';
import type { LoadedConfig } from '../config/load.js';
import type { Ledger } from '../ledger/ledger.js';
import type { RequestRecord } from '../ledger/record.js';
import { buildStages, type LeverStores } from '../levers/index.js';
import { ModelRegistry } from '../pipeline/model-registry.js';
import { runPipeline, type AdminRoute, type Caller, type ChatResult, type GatewayContext, type Stage } from '../pipeline/stage.js';
import type { ProviderAdapter } from '../providers/contract.js';
import { createProvider } from '../providers/registry.js';
import '../providers/index.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import type { PayloadStore } from '../stores/payloads.js';
import { attemptRecord, failureClass, failureStatus } from './attempts.js';
import { callUpstream } from './call-upstream.js';
import { now } from './clock.js';
import { admit, clientGone, createContext, type RequestMeta } from './context.js';
import type { Outcome } from './outcome.js';
import { createOwnCalls, type OwnCalls } from './own-calls.js';
import { Pricing } from './pricing.js';
import { buildRecord, costOfAttempts } from './record.js';
import { settleStream } from './stream-end.js';

export interface Engine {
  readonly registry: ModelRegistry;
  readonly pricing: Pricing;
  readonly providers: ReadonlyMap<string, ProviderAdapter>;
  readonly stages: readonly Stage[];
  readonly own: OwnCalls;
  /** admin endpoints the levers expose */
  readonly adminRoutes: readonly AdminRoute[];
  start(meta: RequestMeta & { timeoutMs?: number }): RequestRun;
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
  /** stores for the levers instead of the embedded SQLite defaults (the SDK passes memory ones) */
  stores?: LeverStores;
  /** the opt-in payload store (config payloadStore): each request as the client sent it, redacted */
  payloads?: PayloadStore;
  /** how levers count input tokens (replay: the recorded counts of synthesised prompts) */
  estimateInputTokens?: (req: ChatRequest) => number;
}

export async function createEngine(config: LoadedConfig, deps: EngineDeps): Promise<Engine> {
  const providers = new Map<string, ProviderAdapter>();
  for (const p of config.providers) providers.set(p.name, createProvider({ ...p, apiKey: config.providerKeys[p.name] }));
  const registry = new ModelRegistry(config.models, Object.keys(config.routes ?? {}));
  const pricing = new Pricing(PriceCatalog.load(config.prices), registry);
  const own = createOwnCalls({ registry, providers, pricing });
  const stages = await buildStages(config, { dataDir: config.dataDir, costOf: pricing.cost, registry, providers, metrics: deps.metrics, own, stores: deps.stores, estimateInputTokens: deps.estimateInputTokens });
  const adminRoutes = stages.flatMap((s) => s.adminRoutes ?? []);
  const defaultTimeoutMs = config.server.requestTimeoutMs;

  const commit = (record: RequestRecord, ctx: GatewayContext, operation: 'chat' | 'embeddings', parsed: ChatRequest | undefined, onDurable?: () => void): void => {
    if (onDurable) deps.ledger.appendThen(record, onDurable);
    else deps.ledger.append(record);
    if (deps.payloads && parsed && operation === 'chat') {
      try {
        deps.payloads.put({ requestId: record.requestId, receivedAt: record.receivedAt, format: ctx.format, endpoint: ctx.endpoint, request: parsed });
      } catch {
        // the payload store is a convenience for replay: it never fails a request
      }
    }
    deps.metrics.observe(record, { provider: record.provider ? providers.get(record.provider)?.otelProviderName : undefined, operation });
    for (const s of stages) {
      try {
        s.onRecord?.(record, ctx);
      } catch {
        // a stage's bookkeeping must never take a request down
      }
    }
  };

  function start(meta: RequestMeta & { timeoutMs?: number }): RequestRun {
    const ctx = createContext(meta, own);
    const timeoutMs = meta.timeoutMs ?? defaultTimeoutMs;
    let operation: 'chat' | 'embeddings' = 'chat';
    let record: RequestRecord | undefined;
    let parsed: ChatRequest | undefined;
    return {
      ctx,
      admit: (caller, rawBody) => admit(ctx, caller, rawBody ?? EMPTY_BODY),
      chat(request) {
        ctx.request = request;
        parsed = request;
        const resolved = registry.resolve(request.model);
        if (resolved) ctx.target = resolved.target;
        else if (registry.isRoute(request.model)) ctx.route = request.model;
        else throw modelNotFound(request.model);
        const upstream = { providers, registry, pricing, timeoutMs, parsed: request };
        return runPipeline(stages, ctx, () => callUpstream(ctx, upstream));
      },
      async embeddings(request) {
        operation = 'embeddings';
        // the record wants a request; embeddings have no messages
        ctx.request = { model: request.model, system: [], messages: [], stream: false, includeUsage: false, extra: {} };
        const resolved = registry.resolve(request.model);
        if (!resolved) throw modelNotFound(request.model);
        const target = (ctx.target = resolved.target);
        const adapter = providers.get(target.provider);
        if (!adapter?.embeddings) throw new GatewayError('unsupported', `Provider '${target.provider}' does not serve embeddings.`, { param: 'model' });
        const startedAt = now();
        try {
          const r = await adapter.embeddings(request, { model: target.model, signal: ctx.signal, timeoutMs: resolved.timeoutMs ?? timeoutMs, timings: ctx.timings });
          ctx.attempts.push(attemptRecord(target, startedAt, { status: 200, usage: r.usage, costUsd: pricing.costOf(target, r.usage) }));
          return r;
        } catch (err) {
          ctx.attempts.push(attemptRecord(target, startedAt, { status: failureStatus(err), errorClass: failureClass(err, clientGone(ctx)) }));
          throw err;
        }
      },
      settleStream: (acc, source, outcome) => settleStream(ctx, acc, source, outcome, pricing),
      costUsd: () => costOfAttempts(ctx.attempts),
      finish(outcome, onDurable) {
        if (record) return record;
        record = buildRecord(ctx, outcome, pricing);
        commit(record, ctx, operation, parsed, onDurable);
        return record;
      },
    };
  }

  return {
    registry,
    pricing,
    providers,
    stages,
    own,
    adminRoutes,
    start,
    async close() {
      for (const s of stages) await s.close?.();
      for (const p of providers.values()) await p.close?.();
    },
  };
}

const EMPTY_BODY = Buffer.alloc(0);

function modelNotFound(model: string): GatewayError {
  return new GatewayError('model_not_found', `The model '${model}' does not exist or is not served by this gateway.`, { param: 'model' });
}
