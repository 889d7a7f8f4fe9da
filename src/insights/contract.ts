// The admin query API's contract: what the rollups answer and what the dashboard, `tollgate
// report`, budgets and the coming alerts read. One file, so the producers (src/insights/, the
// rollup store) and the consumers (the dashboard, the report) agree on names and meanings.
//
// Every endpoint is `GET /admin/api/<name>` behind an admin key (a tenant admin sees only its own
// team: the handler forces `team`), takes the common query parameters below, and answers JSON.
// Every figure comes from rollups (bounded reads), never from a scan of raw records, except the
// `requests` list and one `request`, which page through the ledger reader by index.

import type { RequestRecord } from '../ledger/record.js';

/**
 * Common query parameters: `from`, `to` (epoch ms, ISO 8601, or relative to now: `7d`, `24h`,
 * `30m`; default the last 24 h), and the filters `route`, `model`, `team`, `key` (exact values).
 */
export interface InsightQuery {
  from: number;
  to: number;
  route?: string;
  model?: string;
  team?: string;
  key?: string;
}

export type Bucket = 'minute' | 'hour' | 'day';
/** dimensions a rollup is kept by */
export type Dimension = 'model' | 'route' | 'team' | 'key' | 'status' | 'cacheStatus' | 'variant';

/** milliseconds; null when no request in the range measured it */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** GET /admin/api/overview */
export interface OverviewAnswer {
  query: InsightQuery;
  /**
   * the users' requests: the gateway's own records (the judge's and shadow evaluations', caller
   * `tollgate:judge`, endpoint `internal:*`) are not counted here, nor in any rate, percentile or
   * model share; their dollars are in costUsd, the waterfall and the hidden costs
   */
  requests: number;
  /** every dollar spent, the gateway's own records included */
  costUsd: number;
  /** the gateway's own records (judge, shadow) and what they cost, in costUsd */
  ownRequests: number;
  ownRequestsCostUsd: number;
  /** what the same traffic would have cost without the levers (the waterfall's start) */
  counterfactualCostUsd: number;
  savedUsd: number;
  /** what the users' requests cost each (costUsd without the own records, over requests) */
  costPerRequestUsd: number | null;
  errorRate: number | null;
  cacheHitRate: number | null;
  latencyMs: Percentiles;
  ttftMs: Percentiles;
  /** spend since midnight (UTC unless a time zone is configured) and the month's forecast at this pace */
  spendTodayUsd: number;
  monthForecastUsd: number;
  /** the smallest daily budget that covers the filtered scope, when budgets are configured */
  dailyBudgetUsd?: number;
}

/** One series of a chart: `points` are [bucket start epoch ms, value], ascending, empty buckets omitted. */
export interface Series {
  /** the group's value (a model name, a team...), or 'all' when not grouped */
  key: string;
  points: Array<[number, number]>;
}

/**
 * GET /admin/api/timeseries?metric=M&bucket=B[&groupBy=D]
 * metrics: requests, cost_usd, saved_usd, input_tokens, output_tokens, cache_read_tokens,
 * cache_write_tokens, errors, error_rate, cache_hit_rate, exact_hit_rate, semantic_hit_rate,
 * latency_p50_ms, latency_p95_ms, latency_p99_ms, ttft_p50_ms, ttft_p95_ms, ttft_p99_ms
 */
export interface TimeseriesAnswer {
  query: InsightQuery;
  metric: string;
  bucket: Bucket;
  groupBy?: Dimension;
  series: Series[];
}

/** GET /admin/api/breakdown?groupBy=D: one row per group, largest cost first (at most 500 rows) */
export interface BreakdownRow {
  key: string;
  /** the users' requests (as OverviewAnswer.requests) */
  requests: number;
  costUsd: number;
  /** the gateway's own records in this group and their dollars (in costUsd) */
  ownRequests: number;
  ownRequestsCostUsd: number;
  /** (costUsd - ownRequestsCostUsd) / requests; 0 without requests */
  costPerRequestUsd: number;
  inputTokens: number;
  outputTokens: number;
  errors: number;
  savedUsd: number;
}
export interface BreakdownAnswer {
  query: InsightQuery;
  groupBy: Dimension;
  rows: BreakdownRow[];
}

/**
 * GET /admin/api/latency?bucket=B: percentiles over time, and where a request's time goes (the
 * chapter's components), as averages in ms over the range.
 */
export interface LatencyAnswer {
  query: InsightQuery;
  bucket: Bucket;
  points: Array<{ t: number; latencyMs: Percentiles; ttftMs: Percentiles }>;
  components: { overheadMs: number; queueMs: number; ttftMs: number; generationMs: number };
}

/** GET /admin/api/cache?bucket=B */
export interface CacheAnswer {
  query: InsightQuery;
  bucket: Bucket;
  points: Array<{ t: number; lookups: number; exactHits: number; semanticHits: number; staleHits: number }>;
  savedUsd: number;
  staleRatio: number | null;
  promptCache: {
    readTokens: number;
    writeTokens: number;
    /** write tokens (and what they cost over the plain input price) never read within their TTL */
    unreadWriteTokens: number;
    unreadWriteUsd: number;
  };
}

/** GET /admin/api/models?bucket=day: traffic share per model per bucket, and route → model flows */
export interface ModelsAnswer {
  query: InsightQuery;
  bucket: Bucket;
  share: Series[];
  flows: Array<{ route: string; model: string; requests: number; costUsd: number }>;
}

/** The prompt components a request's input is split into (RequestRecord.costByComponent keys). */
export type PromptComponent = 'system' | 'tools' | 'context' | 'history' | 'user';

/** GET /admin/api/hidden-costs: per route, what each hidden cost came to in the range and per month at this pace */
export interface HiddenCostRow {
  route: string;
  requests: number;
  inputUsdByComponent: Partial<Record<PromptComponent, number>>;
  inputTokensByComponent: Partial<Record<PromptComponent, number>>;
  failedAttemptsUsd: number;
  retries: number;
  cacheWriteUsd: number;
  unreadCacheWriteUsd: number;
  /** the gateway's own calls by purpose (cascade-verifier, embedder, judge, summary...) */
  ownCallsUsdByPurpose: Record<string, number>;
  /** share of the route's input tokens that is a prefix stable across its requests (0..1) */
  stablePrefixShare: number | null;
  /** every dollar figure above scaled to 30 days at the range's pace */
  monthlyUsd: number;
}
export interface HiddenCostsAnswer {
  query: InsightQuery;
  rows: HiddenCostRow[];
}

/**
 * The levers a waterfall bar can name (RequestRecord.savedByLever keys). A bar is what that lever
 * saved against the request as it would have been without it; a negative bar is a lever or an
 * overhead that cost money (retries, the gateway's own calls).
 */
export type SavingsLever =
  | 'tiering'
  | 'exact_cache'
  | 'semantic_cache'
  | 'prompt_caching'
  | 'trimming'
  | 'batching'
  | 'retries'
  | 'own_calls';

/**
 * GET /admin/api/waterfall: from the counterfactual (every request as sent, on its baseline model,
 * no gateway cache, no provider prompt-cache discount, untrimmed) to the actual cost. The bars
 * telescope: counterfactualUsd - sum(bars.savedUsd) === actualUsd (to floating-point rounding).
 */
export interface WaterfallAnswer {
  query: InsightQuery;
  counterfactualUsd: number;
  actualUsd: number;
  bars: Array<{ lever: SavingsLever; savedUsd: number }>;
}

/** GET /admin/api/requests?[q=text][&status=ok|error|aborted][&cursor=C][&limit=N] (N ≤ 200): newest first */
export interface RequestsAnswer {
  query: InsightQuery;
  records: RequestRecord[];
  next?: string;
}

/** GET /admin/api/request?id=ID: one record, or 404 */
export type RequestAnswer = RequestRecord;

/**
 * Fields a RequestRecord carries for these views (added to src/ledger/record.ts):
 * - costByComponent / tokensByComponent: the input's dollars and tokens per PromptComponent;
 * - savedByLever: dollars per SavingsLever; costUsd + sum(savedByLever) is the request's
 *   counterfactual cost;
 * - promptCache: { prefixHash, writeTokens, readTokens, ttlSeconds } when the provider's prompt
 *   cache was written or read (for writes never read within their TTL);
 * - stablePrefixTokens: input tokens of the prefix this request shares with its route's previous one;
 * - cacheWritePremiumUsd: what the request's prompt-cache writes cost over the plain input price
 *   (the rollups' cacheWriteUsd, and unreadWriteUsd / unreadCacheWriteUsd for writes never read).
 */
export const INSIGHT_ENDPOINTS = [
  'overview',
  'timeseries',
  'breakdown',
  'latency',
  'cache',
  'models',
  'hidden-costs',
  'waterfall',
  'requests',
  'request',
] as const;
