// GET /admin/api/<endpoint>: the admin query API's routes for the admin router. Each is
// `scope: 'tenant'`: an admin of one team gets that team's figures only (the team filter is
// forced); an admin of every tenant sees all. Parameters are parsed strictly (params.ts); a
// mistake is a 400 in the OpenAI error shape, never a 500.

import { GatewayError } from '../core/errors.js';
import type { AdminContext, AdminRoute } from '../pipeline/stage.js';
import { StoreInputError } from '../stores/types.js';
import { INSIGHT_ENDPOINTS } from './contract.js';
import {
  COMMON_PARAMS,
  InsightParamError,
  paramsOf,
  parseBucket,
  parseDimension,
  parseInsightQuery,
  parseLimit,
  parseMetric,
  parseStatus,
} from './params.js';
import * as Q from './queries.js';

type Endpoint = (typeof INSIGHT_ENDPOINTS)[number];

export const ADMIN_API_PREFIX = '/admin/api/';

export function insightRoutes(src: Q.InsightSources): AdminRoute[] {
  const now = (): number => (src.now ?? Date.now)();
  const handlers: Record<Endpoint, { params: readonly string[]; run: (p: Map<string, string>, admin: AdminContext) => Promise<unknown> }> = {
    overview: { params: COMMON_PARAMS, run: (p, a) => Q.overview(src, parseInsightQuery(p, now(), a.tenant)) },
    timeseries: {
      params: [...COMMON_PARAMS, 'metric', 'bucket', 'groupBy'],
      run: (p, a) => Q.timeseries(src, parseInsightQuery(p, now(), a.tenant), parseMetric(p), parseBucket(p, 'hour'), parseDimension(p, 'groupBy', false)),
    },
    breakdown: { params: [...COMMON_PARAMS, 'groupBy'], run: (p, a) => Q.breakdown(src, parseInsightQuery(p, now(), a.tenant), parseDimension(p, 'groupBy', true)!) },
    latency: { params: [...COMMON_PARAMS, 'bucket'], run: (p, a) => Q.latency(src, parseInsightQuery(p, now(), a.tenant), parseBucket(p, 'hour')) },
    cache: { params: [...COMMON_PARAMS, 'bucket'], run: (p, a) => Q.cache(src, parseInsightQuery(p, now(), a.tenant), parseBucket(p, 'hour')) },
    models: { params: [...COMMON_PARAMS, 'bucket'], run: (p, a) => Q.models(src, parseInsightQuery(p, now(), a.tenant), parseBucket(p, 'day')) },
    'hidden-costs': { params: COMMON_PARAMS, run: (p, a) => Q.hiddenCosts(src, parseInsightQuery(p, now(), a.tenant)) },
    waterfall: { params: COMMON_PARAMS, run: (p, a) => Q.waterfall(src, parseInsightQuery(p, now(), a.tenant)) },
    requests: {
      params: [...COMMON_PARAMS, 'q', 'status', 'cursor', 'limit'],
      run: (p, a) => {
        const q = p.get('q');
        return Q.requests(src, parseInsightQuery(p, now(), a.tenant), {
          q: q === undefined || q.length === 0 ? undefined : q,
          status: parseStatus(p),
          cursor: p.get('cursor'),
          limit: parseLimit(p, 50),
        });
      },
    },
    request: {
      params: ['id'],
      run: async (p, a) => {
        const id = p.get('id');
        if (id === undefined || id.length === 0) throw new InsightParamError('id', 'id is required: a request id');
        const rec = await Q.request(src, id, a.tenant);
        if (!rec) throw new GatewayError('not_found', `No request with id '${id.slice(0, 80)}'${a.tenant !== undefined ? ` in team '${a.tenant}'` : ''}`);
        return rec;
      },
    },
  };
  return INSIGHT_ENDPOINTS.map((name) => {
    const h = handlers[name];
    return {
      method: 'GET',
      path: `${ADMIN_API_PREFIX}${name}`,
      scope: 'tenant',
      async handler(_body, query, admin) {
        try {
          return { status: 200, body: await h.run(paramsOf(query, h.params), admin) };
        } catch (err) {
          if (err instanceof InsightParamError) throw new GatewayError('invalid_request', err.message, { param: err.param });
          if (err instanceof StoreInputError) throw new GatewayError('invalid_request', err.message);
          throw err;
        }
      },
    } satisfies AdminRoute;
  });
}
