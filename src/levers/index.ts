// Builds the lever pipeline in the order config.pipeline gives (default: cache → router → execute).

import type { LoadedConfig } from '../config/load.js';
import type { Usage } from '../core/canonical.js';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { Stage, Target } from '../pipeline/stage.js';
import type { ProviderAdapter } from '../providers/contract.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';

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
    void name;
    void deps;
  }
  return stages;
}
