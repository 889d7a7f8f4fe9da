// Model routing (rules, the learned classifier, cascades, balancing, SLOs) as a lever.

import type { Lever } from '../lever.js';
import { checkRoutes } from './check.js';

export const routerLever: Lever = {
  name: 'router',
  configSection: 'routes',
  before: ['execute'],
  check: checkRoutes,
  async create(config, deps) {
    const [{ createRouterStage }, { estimateInputTokens }] = await Promise.all([import('./index.js'), import('../../core/tokens.js')]);
    return createRouterStage(config.routes, {
      resolveModel: (n) => deps.registry.resolve(n)?.target,
      costOf: deps.costOf,
      estimateInputTokens: deps.estimateInputTokens ?? estimateInputTokens,
      dataDir: deps.dataDir,
    });
  },
};
