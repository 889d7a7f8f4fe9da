// Model routing (rules, the learned classifier, cascades, balancing, SLOs) as a lever.

import { estimateInputTokens } from '../../core/tokens.js';
import type { Lever } from '../lever.js';
import { createRouterStage } from './index.js';

export const routerLever: Lever = {
  name: 'router',
  configSection: 'routes',
  before: ['execute'],
  references(config) {
    const refs: { path: string; name: string }[] = [];
    for (const [route, def] of Object.entries(config.routes ?? {})) {
      const d = def as { tiers?: { name?: string; models?: (string | { model?: string; name?: string })[] }[]; fallbacks?: string[]; baseline?: string };
      d.tiers?.forEach((t, i) =>
        t.models?.forEach((m, j) => {
          const name = typeof m === 'string' ? m : (m.model ?? m.name);
          if (name) refs.push({ path: `routes.${route}.tiers[${i}].models[${j}]`, name });
        }),
      );
      d.fallbacks?.forEach((f, i) => refs.push({ path: `routes.${route}.fallbacks[${i}]`, name: f }));
      if (d.baseline) refs.push({ path: `routes.${route}.baseline`, name: d.baseline });
    }
    return refs;
  },
  create(config, deps) {
    return createRouterStage(config.routes, {
      resolveModel: (n) => deps.registry.resolve(n)?.target,
      costOf: deps.costOf,
      estimateInputTokens,
      dataDir: deps.dataDir,
    });
  },
};
