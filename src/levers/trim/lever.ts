// Prompt trimming (history windows and budgets, summaries, retrieved-context top-k, by break-even)
// as a lever.

import type { ChatRequest } from '../../core/canonical.js';
import type { LoadedConfig } from '../../config/load.js';
import type { Lever } from '../lever.js';
import { checkTrim } from './check.js';
import type { ProviderCacheInfo, TrimStage } from './stage.js';
import type { GatewayMetrics } from '../../telemetry/metrics.js';

export const trimLever: Lever = {
  name: 'trim',
  configSection: 'trim',
  // it prices the model the router chose; prompt-cache puts its breakpoints on the trimmed request
  after: ['cache', 'router'],
  before: ['prompt-cache', 'execute'],
  check: checkTrim,
  async create(config, deps) {
    const { createTrimStage } = await import('./stage.js');
    const stage = createTrimStage(config.trim, {
      costOf: deps.costOf,
      resolveModel: (n) => deps.registry.resolve(n)?.target,
      providerCache: providerCacheOf(config),
    });
    exportTrimMetrics(deps.metrics, stage);
    return stage;
  },
};

/** whether a request will carry cache_control breakpoints, and their TTL, as the prompt-cache lever will place them */
function providerCacheOf(config: LoadedConfig): ProviderCacheInfo {
  const pc = config.cache.promptCache;
  const inPipeline = config.pipeline.includes('prompt-cache');
  let modelRe: RegExp | undefined;
  try {
    modelRe = new RegExp(pc.models, 'i');
  } catch {
    modelRe = undefined;
  }
  const hasBreakpoints = (r: ChatRequest) =>
    (r.tools ?? []).some((t) => t.cacheControl) || r.system.some((p) => p.cacheControl) || r.messages.some((m) => m.content.some((p) => 'cacheControl' in p && p.cacheControl));
  return {
    breakpoints(route, model, request) {
      if (hasBreakpoints(request)) return true;
      const enabled = config.cache.routes[route]?.promptCache?.enabled ?? pc.enabled;
      return inPipeline && enabled && (modelRe?.test(model) ?? false);
    },
    ttlSeconds(route) {
      const r = config.cache.routes[route]?.promptCache;
      return (r?.ttl ?? pc.ttl) === '1h' ? 3600 : 300;
    },
  };
}

function exportTrimMetrics(metrics: GatewayMetrics, stage: TrimStage): void {
  metrics.gauge('tollgate_trim_tokens_removed', 'input tokens the trim lever removed since start, by route', ['route'], (g) => {
    g.reset();
    for (const [route, st] of Object.entries(stage.stats())) g.set({ route }, st.tokensRemoved);
  });
  metrics.gauge('tollgate_trim_refused', 'trims the break-even refused since start (they would have cost more than they saved), by route', ['route'], (g) => {
    g.reset();
    for (const [route, st] of Object.entries(stage.stats())) g.set({ route }, st.refused);
  });
}
