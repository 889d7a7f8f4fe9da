// Builds the lever pipeline in the order config.pipeline gives
// (default: cache → router → prompt-cache → execute).

import type { LoadedConfig } from '../config/load.js';
import type { Usage } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import { estimateInputTokens } from '../core/tokens.js';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { Stage, Target } from '../pipeline/stage.js';
import type { ProviderAdapter } from '../providers/contract.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { createCacheStage, createPromptCacheStage } from './cache/index.js';
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
      case 'cache':
        stages.push(await createCacheStage(config.cache, { dataDir: deps.dataDir, costOf: deps.costOf, embed: embedThroughProviders(deps) }));
        break;
      case 'prompt-cache':
        stages.push(createPromptCacheStage(config.cache));
        break;
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

/** The semantic cache's openai-compatible embedder calls an embeddings model this gateway serves. */
function embedThroughProviders(deps: LeverDeps) {
  return async (model: string, texts: string[]): Promise<number[][]> => {
    const resolved = deps.registry.resolve(model);
    const adapter = resolved && deps.providers.get(resolved.target.provider);
    if (!resolved || !adapter?.embeddings) throw new GatewayError('model_not_found', `embeddings model '${model}' is not served by this gateway`);
    const r = await adapter.embeddings({ model, input: texts, single: false }, { model: resolved.target.model, signal: AbortSignal.timeout(resolved.timeoutMs ?? 30_000), timings: {} });
    return r.data;
  };
}
