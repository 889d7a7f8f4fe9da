// Builds the lever pipeline in the order config.pipeline gives
// (default: cache → router → prompt-cache → execute).

import { createHash } from 'node:crypto';
import type { LoadedConfig } from '../config/load.js';
import type { ChatRequest, Usage } from '../core/canonical.js';
import { GatewayError, UpstreamError } from '../core/errors.js';
import type { AttemptRecord } from '../ledger/record.js';
import { estimateInputTokens } from '../core/tokens.js';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { GatewayContext, Stage, Target } from '../pipeline/stage.js';
import type { ProviderAdapter } from '../providers/contract.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { createCacheStage, createPromptCacheStage, type CacheStage, type PromptCacheStage } from './cache/index.js';
import { createRouterStage } from './router/index.js';
import { createExecuteStage } from './execute/index.js';

export interface LeverDeps {
  dataDir: string;
  costOf(target: Target, usage: Usage): number;
  registry: ModelRegistry;
  providers: ReadonlyMap<string, ProviderAdapter>;
  metrics: GatewayMetrics;
}

export async function buildStages(config: LoadedConfig, deps: LeverDeps): Promise<Stage[]> {
  const stages: Stage[] = [];
  for (const name of config.pipeline) {
    switch (name) {
      case 'cache': {
        const cache = await createCacheStage(withRoutePolicyVersions(config), {
            dataDir: deps.dataDir,
            costOf: deps.costOf,
            embed: embedThroughProviders(deps),
            verify: config.cache.semantic.verifierModel ? verifyThroughProviders(deps, config.cache.semantic.verifierModel) : undefined,
        });
        exportCacheMetrics(deps.metrics, cache);
        stages.push(cache);
        break;
      }
      case 'prompt-cache': {
        const promptCache = createPromptCacheStage(config.cache);
        exportPromptCacheMetrics(deps.metrics, promptCache);
        stages.push(promptCache);
        break;
      }
      case 'router':
        stages.push(
          createRouterStage(config.routes, {
            resolveModel: (n) => deps.registry.resolve(n)?.target,
            costOf: deps.costOf,
            estimateInputTokens,
            dataDir: deps.dataDir,
          }),
        );
        break;
      case 'execute':
        stages.push(createExecuteStage(config.retry, { metricsRegistry: deps.metrics.registry }));
        break;
    }
  }
  return stages;
}

/** per-route cache effectiveness on /metrics, read from the stage at each scrape */
function exportCacheMetrics(metrics: GatewayMetrics, cache: CacheStage): void {
  metrics.gauge('tollgate_cache_lookups', 'cache lookups by route and outcome since start', ['route', 'outcome'], (g) => {
    g.reset();
    for (const [route, st] of Object.entries(cache.stats())) {
      g.set({ route, outcome: 'hit' }, st.hits);
      g.set({ route, outcome: 'semantic_hit' }, st.semanticHits);
      g.set({ route, outcome: 'miss' }, st.misses);
      g.set({ route, outcome: 'bypass' }, st.bypasses);
      g.set({ route, outcome: 'veto' }, st.vetoes);
    }
  });
  metrics.gauge('tollgate_cache_stale_ratio', 'share of hits served from entries older than the route\'s freshness target or a superseded version', ['route'], (g) => {
    g.reset();
    for (const [route, st] of Object.entries(cache.stats())) g.set({ route }, st.staleRatio);
  });
}

/** the provider prompt-cache picture per route: how much of the input repeats a recent prefix */
function exportPromptCacheMetrics(metrics: GatewayMetrics, stage: PromptCacheStage): void {
  metrics.gauge('tollgate_cacheable_prefix_share', 'share of input tokens that repeat a prefix seen recently, by route', ['route'], (g) => {
    g.reset();
    for (const [route, st] of Object.entries(stage.stats())) g.set({ route }, st.cacheablePrefixShare);
  });
  metrics.gauge('tollgate_prompt_variable_content_warnings', 'requests whose variable content came before static content, by route', ['route'], (g) => {
    g.reset();
    for (const [route, st] of Object.entries(stage.stats())) g.set({ route }, st.variableContentWarnings);
  });
}

/**
 * A route's cache entries belong to its policy: unless the config pins `cache.routes.<r>.policyVersion`,
 * the version is a hash of the route's definition, so changing its models, rules or classifier
 * retires the answers the old policy produced.
 */
function withRoutePolicyVersions(config: LoadedConfig): LoadedConfig['cache'] {
  const routes: Record<string, object> = { ...config.cache.routes };
  for (const [name, def] of Object.entries(config.routes ?? {})) {
    const own = config.cache.routes[name] as { policyVersion?: string } | undefined;
    if (own?.policyVersion) continue;
    const version = `auto-${createHash('sha256').update(JSON.stringify(def)).digest('hex').slice(0, 12)}`;
    routes[name] = { ...(own ?? {}), policyVersion: version };
  }
  return { ...config.cache, routes } as LoadedConfig['cache'];
}

const VERIFIER_PROMPT =
  'You decide whether two requests to an assistant ask for the same answer. Reply with exactly YES or NO.';

/**
 * The semantic cache's verifier: a cheap model asked whether two requests want the same answer.
 * Its call is an attempt of the request (purpose 'cache-verifier'), so its cost is in the ledger.
 */
function verifyThroughProviders(deps: LeverDeps, model: string) {
  return async (query: string, candidate: string, ctx: GatewayContext): Promise<{ same: boolean; costUsd: number }> => {
    const resolved = deps.registry.resolve(model);
    const adapter = resolved && deps.providers.get(resolved.target.provider);
    if (!resolved || !adapter) throw new GatewayError('model_not_found', `verifier model '${model}' is not served by this gateway`);
    const req: ChatRequest = {
      model,
      system: [{ type: 'text', text: VERIFIER_PROMPT }],
      messages: [{ role: 'user', content: [{ type: 'text', text: `Request A:\n${query}\n\nRequest B:\n${candidate}` }] }],
      maxTokens: 3,
      temperature: 0,
      stream: false,
      includeUsage: false,
      extra: {},
    };
    const startedAt = Date.now();
    const r = await adapter.chat(req, { model: resolved.target.model, signal: ctx.signal, timeoutMs: resolved.timeoutMs ?? 10_000, timings: {} });
    if (r.kind !== 'complete') throw new GatewayError('internal', 'verifier answered with a stream');
    const costUsd = deps.costOf(resolved.target, r.response.usage);
    ctx.attempts.push({ purpose: 'cache-verifier', provider: resolved.target.provider, model: resolved.target.model, status: r.status, startedAt, endedAt: Date.now(), usage: r.response.usage, costUsd });
    const text = r.response.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
    return { same: /^\s*yes\b/i.test(text), costUsd };
  };
}

/**
 * The semantic cache's openai-compatible embedder calls an embeddings model this gateway serves.
 * Each call is reported as an attempt (purpose 'cache-embedding', with its cost, failed or not), so
 * the request that needed the embedding pays for it in the ledger, as with the verifier.
 */
function embedThroughProviders(deps: LeverDeps) {
  return async (model: string, texts: string[], onAttempt?: (attempt: AttemptRecord) => void): Promise<number[][]> => {
    const resolved = deps.registry.resolve(model);
    const adapter = resolved && deps.providers.get(resolved.target.provider);
    if (!resolved || !adapter?.embeddings) throw new GatewayError('model_not_found', `embeddings model '${model}' is not served by this gateway`);
    const { provider, model: upstreamModel } = resolved.target;
    const startedAt = Date.now();
    try {
      const r = await adapter.embeddings({ model, input: texts, single: false }, { model: upstreamModel, signal: AbortSignal.timeout(resolved.timeoutMs ?? 30_000), timings: {} });
      onAttempt?.({ purpose: 'cache-embedding', provider, model: upstreamModel, status: 200, startedAt, endedAt: Date.now(), usage: r.usage, costUsd: deps.costOf(resolved.target, r.usage) });
      return r.data;
    } catch (err) {
      onAttempt?.({ purpose: 'cache-embedding', provider, model: upstreamModel, status: err instanceof UpstreamError ? err.status : null, errorClass: err instanceof UpstreamError ? err.errorClass : 'internal', startedAt, endedAt: Date.now(), costUsd: 0 });
      throw err;
    }
  };
}
