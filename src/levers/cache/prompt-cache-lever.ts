// Provider prompt caching (breakpoints on the stable prefix, the cacheable-prefix metric) as a lever.

import type { GatewayMetrics } from '../../telemetry/metrics.js';
import type { Lever } from '../lever.js';
import type { PromptCacheStage } from './prompt-cache.js';

export const promptCacheLever: Lever = {
  name: 'prompt-cache',
  configSection: 'cache.promptCache',
  // breakpoints go on the request the router chose, and before the call
  after: ['router'],
  before: ['execute'],
  async create(config, deps) {
    const { createPromptCacheStage } = await import('./prompt-cache.js');
    const stage = createPromptCacheStage(config.cache);
    exportPromptCacheMetrics(deps.metrics, stage);
    return stage;
  },
};

/** the provider prompt-cache picture per route: how much of the input repeats a recent prefix */
function exportPromptCacheMetrics(metrics: GatewayMetrics, stage: PromptCacheStage): void {
  metrics.gauge('tollgate_cacheable_prefix_ratio', 'share (0..1) of input tokens that repeat a prefix seen recently, by route', ['route'], (g) => {
    g.reset();
    for (const [route, st] of Object.entries(stage.stats())) g.set({ route }, st.cacheablePrefixShare);
  });
  metrics.observedCounter('tollgate_prompt_variable_content_warnings_total', 'requests whose variable content came before static content, by route', ['route'], function* () {
    for (const [route, st] of Object.entries(stage.stats())) yield [{ route }, st.variableContentWarnings] as [{ route: string }, number];
  });
}
