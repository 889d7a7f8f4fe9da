// The response cache (exact and semantic) as a lever.

import { createHash } from 'node:crypto';
import type { ChatRequest } from '../../core/canonical.js';
import type { LoadedConfig } from '../../config/load.js';
import type { GatewayContext } from '../../pipeline/stage.js';
import type { GatewayMetrics } from '../../telemetry/metrics.js';
import type { Lever, LeverDeps } from '../lever.js';
import { checkCache } from './check.js';
import type { CacheStage } from './stage.js';

export const cacheLever: Lever = {
  name: 'cache',
  configSection: 'cache',
  before: ['router', 'execute'],
  check: checkCache,
  async create(config, deps) {
    const { createCacheStage } = await import('./stage.js');
    const verifierModel = config.cache.semantic.verifierModel;
    const cache = await createCacheStage(withRoutePolicyVersions(config), {
      dataDir: deps.dataDir,
      costOf: deps.costOf,
      embed: (model, texts, onAttempt, ctx) => deps.own.embed(model, texts, { purpose: 'cache-embedding', onAttempt, ctx }),
      verify: verifierModel ? verifyWith(verifierModel) : undefined,
      persistence: deps.stores?.cachePersistence,
    });
    exportCacheMetrics(deps.metrics, cache);
    return cache;
  },
};

const VERIFIER_PROMPT =
  'You decide whether two requests to an assistant ask for the same answer. Reply with exactly YES or NO.';

/** The semantic cache's verifier: a cheap model asked whether two requests want the same answer. */
function verifyWith(model: string) {
  return async (query: string, candidate: string, ctx: GatewayContext): Promise<{ same: boolean; costUsd: number }> => {
    const before = ctx.attempts.length;
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
    const r = await ctx.callModel(model, req, { purpose: 'cache-verifier' });
    const costUsd = ctx.attempts.slice(before).reduce((s, a) => s + a.costUsd, 0);
    const text = r.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
    return { same: /^\s*yes\b/i.test(text), costUsd };
  };
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

/** per-route cache effectiveness on /metrics, read from the stage at each scrape */
function exportCacheMetrics(metrics: GatewayMetrics, cache: CacheStage): void {
  metrics.observedCounter('tollgate_cache_lookups_total', 'cache lookups by route and outcome since start', ['route', 'outcome'], function* () {
    for (const [route, st] of Object.entries(cache.stats())) {
      yield [{ route, outcome: 'hit' }, st.hits];
      yield [{ route, outcome: 'semantic_hit' }, st.semanticHits];
      yield [{ route, outcome: 'miss' }, st.misses];
      yield [{ route, outcome: 'bypass' }, st.bypasses];
      yield [{ route, outcome: 'veto' }, st.vetoes];
    }
  });
  metrics.gauge('tollgate_cache_stale_ratio', "share of hits served from entries older than the route's freshness target or a superseded version", ['route'], (g) => {
    g.reset();
    for (const [route, st] of Object.entries(cache.stats())) g.set({ route }, st.staleRatio);
  });
}

export type { LeverDeps };
