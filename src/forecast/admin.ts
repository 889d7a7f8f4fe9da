// POST /admin/calc: the calculator over the admin API (the dashboard's page and scripts). The body
// is a scenario (src/forecast/scenario.ts); the config's `prices:` overrides apply under the
// scenario's own. Pure computation on a bounded body: no tenant's data is read.

import { GatewayError } from '../core/errors.js';
import type { PriceOverrides } from '../core/prices/config.js';
import type { AdminRoute } from '../pipeline/stage.js';
import { calculate } from './calc.js';
import { parseScenario, ScenarioError } from './scenario.js';

export function calcAdminRoute(configPrices: PriceOverrides): AdminRoute {
  return {
    method: 'POST',
    path: '/admin/calc',
    // it reads nothing of anyone's: any admin, tenant or not, may price a scenario
    scope: 'tenant',
    async handler(body) {
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new GatewayError('invalid_request', 'POST /admin/calc takes a scenario object: { requestsPerDay, tokens: { ..., output }, mix: [{ model, share }], ... }');
      }
      const raw = body as Record<string, unknown>;
      try {
        const given = Array.isArray(raw.prices) ? raw.prices : [];
        const scenario = parseScenario({ ...raw, prices: [...configPrices, ...given] });
        return { status: 200, body: calculate(scenario) };
      } catch (err) {
        if (err instanceof ScenarioError) throw new GatewayError('invalid_request', err.message);
        throw err;
      }
    },
  };
}
