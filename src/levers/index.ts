// Builds the lever pipeline in the order config.pipeline gives (default: cache → router →
// prompt-cache → execute), through the lever registry.

import type { LoadedConfig } from '../config/load.js';
import { GatewayError } from '../core/errors.js';
import type { Stage } from '../pipeline/stage.js';
import type { LeverDeps } from './lever.js';
import { leverNamed, pipelineProblems } from './registry.js';

export type { Lever, LeverDeps, LeverStores } from './lever.js';
export { LEVERS, leverNamed, leverNames, pipelineProblems } from './registry.js';

export async function buildStages(config: LoadedConfig, deps: LeverDeps): Promise<Stage[]> {
  const problems = pipelineProblems(config.pipeline);
  if (problems.length) throw new GatewayError('invalid_request', problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  const stages: Stage[] = [];
  for (const name of config.pipeline) stages.push(await leverNamed(name)!.create(config, deps));
  return stages;
}
