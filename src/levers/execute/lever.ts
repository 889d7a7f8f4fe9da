// Retries, fallbacks, the retry budget and the circuit breaker as a lever: the last stage, the one
// whose next() is the upstream call.

import type { Lever } from '../lever.js';

export const executeLever: Lever = {
  name: 'execute',
  configSection: 'retry',
  last: true,
  async create(config, deps) {
    const { createExecuteStage } = await import('./index.js');
    return createExecuteStage(config.retry, { metricsRegistry: deps.metrics.registry });
  },
};
