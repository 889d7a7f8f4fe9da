// Strict parsing of the admin query API's parameters: every mistake (an unknown or repeated
// parameter, a bad time, bucket, dimension or metric) is an InsightParamError naming the parameter,
// which the routes answer as a 400 in the OpenAI error shape.

import { GatewayError } from '../core/errors.js';
import type { Bucket, Dimension, InsightQuery } from './contract.js';
import { DIMENSIONS } from './rollup-model.js';
import { MAX_REQUESTS_LIMIT, TIMESERIES_METRICS, type TimeseriesMetric } from './queries.js';

export class InsightParamError extends Error {
  override readonly name = 'InsightParamError';
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

export const COMMON_PARAMS = ['from', 'to', 'route', 'model', 'team', 'key'] as const;
export const DEFAULT_RANGE_MS = 24 * 3_600_000;
/** the longest range one query covers */
export const MAX_RANGE_MS = 400 * 86_400_000;
const MAX_VALUE_CHARS = 256;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** epoch ms, ISO 8601, `now`, or a span back from now (`30m`, `24h`, `7d`, `2w`) */
export function parseTime(param: string, v: string, now: number): number {
  if (v === 'now') return now;
  if (/^\d{1,16}$/.test(v)) return Number(v);
  const rel = /^(\d{1,6})([smhdw])$/.exec(v);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (ISO.test(v)) {
    const t = Date.parse(/T|\s/.test(v) || v.length > 10 ? v.replace(' ', 'T') : `${v}T00:00:00Z`);
    if (Number.isFinite(t)) return t;
  }
  throw new InsightParamError(param, `${param} must be epoch milliseconds, an ISO 8601 time, 'now', or a span back from now such as 30m, 24h or 7d (got '${v.slice(0, 40)}')`);
}

/** The query string's values, each given at most once, among `allowed`. */
export function paramsOf(query: URLSearchParams, allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of query) {
    if (!allowed.includes(k)) throw new InsightParamError(k, `unknown parameter '${k.slice(0, 40)}' (this endpoint takes: ${allowed.join(', ')})`);
    if (out.has(k)) throw new InsightParamError(k, `parameter '${k}' is given more than once`);
    if (v.length > MAX_VALUE_CHARS) throw new InsightParamError(k, `parameter '${k}' is longer than ${MAX_VALUE_CHARS} characters`);
    out.set(k, v);
  }
  return out;
}

/** The common parameters: the range and the filters; a tenant's team is forced. */
export function parseInsightQuery(p: Map<string, string>, now: number, tenant?: string): InsightQuery {
  const to = p.has('to') ? parseTime('to', p.get('to')!, now) : now;
  const from = p.has('from') ? parseTime('from', p.get('from')!, now) : to - DEFAULT_RANGE_MS;
  if (!(from < to)) throw new InsightParamError('from', 'from must be before to');
  if (to - from > MAX_RANGE_MS) throw new InsightParamError('from', `a range covers at most ${MAX_RANGE_MS / 86_400_000} days`);
  const q: InsightQuery = { from, to };
  for (const f of ['route', 'model', 'team', 'key'] as const) {
    const v = p.get(f);
    if (v === undefined) continue;
    if (v.length === 0) throw new InsightParamError(f, `${f} must not be empty`);
    q[f] = v;
  }
  if (tenant !== undefined) {
    if (q.team !== undefined && q.team !== tenant) throw new GatewayError('forbidden', `This admin key sees only team '${tenant}'.`, { param: 'team' });
    q.team = tenant;
  }
  return q;
}

export function parseBucket(p: Map<string, string>, fallback: Bucket): Bucket {
  const v = p.get('bucket');
  if (v === undefined) return fallback;
  if (v === 'minute' || v === 'hour' || v === 'day') return v;
  throw new InsightParamError('bucket', `bucket must be minute, hour or day (got '${v.slice(0, 40)}')`);
}

export function parseDimension(p: Map<string, string>, param: string, required: boolean): Dimension | undefined {
  const v = p.get(param);
  if (v === undefined) {
    if (required) throw new InsightParamError(param, `${param} is required: one of ${DIMENSIONS.join(', ')}`);
    return undefined;
  }
  if ((DIMENSIONS as readonly string[]).includes(v)) return v as Dimension;
  throw new InsightParamError(param, `${param} must be one of ${DIMENSIONS.join(', ')} (got '${v.slice(0, 40)}')`);
}

export function parseMetric(p: Map<string, string>): TimeseriesMetric {
  const v = p.get('metric');
  if (v === undefined) throw new InsightParamError('metric', `metric is required: one of ${TIMESERIES_METRICS.join(', ')}`);
  if ((TIMESERIES_METRICS as readonly string[]).includes(v)) return v as TimeseriesMetric;
  throw new InsightParamError('metric', `metric must be one of ${TIMESERIES_METRICS.join(', ')} (got '${v.slice(0, 40)}')`);
}

export function parseLimit(p: Map<string, string>, fallback: number): number {
  const v = p.get('limit');
  if (v === undefined) return fallback;
  if (!/^\d{1,4}$/.test(v) || Number(v) < 1 || Number(v) > MAX_REQUESTS_LIMIT) {
    throw new InsightParamError('limit', `limit must be a whole number from 1 to ${MAX_REQUESTS_LIMIT}`);
  }
  return Number(v);
}

export function parseStatus(p: Map<string, string>): 'ok' | 'error' | 'aborted' | undefined {
  const v = p.get('status');
  if (v === undefined) return undefined;
  if (v === 'ok' || v === 'error' || v === 'aborted') return v;
  throw new InsightParamError('status', `status must be ok, error or aborted (got '${v.slice(0, 40)}')`);
}
