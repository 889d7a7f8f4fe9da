// The admin query API's answers (src/insights/contract.ts), computed from a RollupStore and a
// LedgerReader, so the HTTP routes, `tollgate report` and the coming alerts all give the same
// figures. Every figure is a sum of rollup cells; only `requests` and `request` read records, a
// page at a time through the ledger reader's indexes.
//
// Ranges: whole UTC days come from day cells, whole hours from hour cells; the partial hours at
// either end from minute cells while those are kept (MINUTE_RETENTION_MS), so a range is exact to
// the minute for the last two days and to the hour before (an older range's ends are widened to
// whole hours).

import type { RequestRecord } from '../ledger/record.js';
import type { LedgerFilter, LedgerReader } from '../stores/ledger.js';
import { GROUP_SEPARATOR, type RollupRow, type RollupStore } from '../stores/rollups.js';
import type {
  BreakdownAnswer,
  Bucket,
  CacheAnswer,
  Dimension,
  HiddenCostRow,
  HiddenCostsAnswer,
  InsightQuery,
  LatencyAnswer,
  ModelsAnswer,
  OverviewAnswer,
  Percentiles,
  PromptComponent,
  RequestsAnswer,
  Series,
  SavingsLever,
  TimeseriesAnswer,
  WaterfallAnswer,
} from './contract.js';
import { percentile } from './histogram.js';
import { COMPONENTS, DAY_MS, HOUR_MS, LEVERS, MINUTE_MS, cubeFor, emptyCell, get, mergeCell, type Grain, type RollupCell } from './rollup-model.js';

export interface InsightSources {
  rollups: RollupStore;
  ledger: LedgerReader;
  /** the clock (tests pin it) */
  now?: () => number;
  /** the smallest daily budget covering these filters, when budgets are configured */
  dailyBudgetUsd?: (q: InsightQuery) => number | undefined;
}

export const TIMESERIES_METRICS = [
  'requests',
  'cost_usd',
  'saved_usd',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'errors',
  'error_rate',
  'cache_hit_rate',
  'exact_hit_rate',
  'semantic_hit_rate',
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'ttft_p50_ms',
  'ttft_p95_ms',
  'ttft_p99_ms',
] as const;
export type TimeseriesMetric = (typeof TIMESERIES_METRICS)[number];

export const BUCKET_MS: Record<Bucket, number> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };
export const MAX_BREAKDOWN_ROWS = 500;
export const MAX_REQUESTS_LIMIT = 200;

function filtersOf(q: InsightQuery): Partial<Record<Dimension, string>> {
  const f: Partial<Record<Dimension, string>> = {};
  if (q.route !== undefined) f.route = q.route;
  if (q.model !== undefined) f.model = q.model;
  if (q.team !== undefined) f.team = q.team;
  if (q.key !== undefined) f.key = q.key;
  return f;
}

const ceilTo = (t: number, ms: number): number => Math.ceil(t / ms) * ms;
const floorTo = (t: number, ms: number): number => Math.floor(t / ms) * ms;

/**
 * The reads that cover [from, to): whole UTC days from day cells, the whole hours left at either
 * end from hour cells, the minutes left from minute cells while kept (`minutesFrom`, else the ends
 * widen to whole hours). A month is then ~30 rows per cell value, not 720.
 */
export function rangeReads(from: number, to: number, minutesFrom: number | null): Array<{ grain: Grain; from: number; to: number }> {
  const reads: Array<{ grain: Grain; from: number; to: number }> = [];
  const byMinute = (t: number): boolean => minutesFrom !== null && t >= minutesFrom;
  const dStart = ceilTo(from, DAY_MS);
  const dEnd = floorTo(to, DAY_MS);
  // the hours (and minutes) of [a, b), both inside one side of the whole days
  const hoursOf = (a: number, b: number): void => {
    if (!(b > a)) return;
    const hStart = ceilTo(a, HOUR_MS);
    const hEnd = floorTo(b, HOUR_MS);
    if (hStart < hEnd) {
      reads.push({ grain: 'hour', from: hStart, to: hEnd });
      const left = floorTo(a, MINUTE_MS);
      if (left < hStart) reads.push(byMinute(left) ? { grain: 'minute', from: left, to: hStart } : { grain: 'hour', from: floorTo(a, HOUR_MS), to: hStart });
      if (hEnd < b) reads.push(byMinute(hEnd) ? { grain: 'minute', from: hEnd, to: b } : { grain: 'hour', from: hEnd, to: b });
    } else {
      const left = floorTo(a, MINUTE_MS);
      reads.push(byMinute(left) ? { grain: 'minute', from: left, to: b } : { grain: 'hour', from: floorTo(a, HOUR_MS), to: b });
    }
  };
  if (dStart < dEnd) {
    reads.push({ grain: 'day', from: dStart, to: dEnd });
    hoursOf(from, dStart);
    hoursOf(dEnd, to);
  } else hoursOf(from, to);
  return reads;
}

/** The cells of [from, to) summed per group (rangeReads). */
export async function sumRange(
  store: RollupStore,
  q: InsightQuery,
  groupBy?: Dimension | readonly Dimension[],
  parts: 'sums' | 'all' = 'all',
): Promise<Map<string, RollupCell>> {
  const filters = filtersOf(q);
  const dims = [...(Object.keys(filters) as Dimension[]), ...(groupBy === undefined ? [] : typeof groupBy === 'string' ? [groupBy] : groupBy)];
  const coverage = cubeFor(dims, 'minute') === undefined ? null : await store.minuteCoverage();
  const out = new Map<string, RollupCell>();
  for (const r of rangeReads(q.from, q.to, coverage?.from ?? null)) {
    if (!(r.to > r.from)) continue;
    const rows = await store.read({ ...r, filters, groupBy, bucketMs: 0, parts });
    for (const row of rows) {
      const c = out.get(row.key);
      if (c) mergeCell(c, row.cell);
      else out.set(row.key, row.cell);
    }
  }
  return out;
}

async function total(store: RollupStore, q: InsightQuery, parts: 'sums' | 'all' = 'all'): Promise<RollupCell> {
  return (await sumRange(store, q, undefined, parts)).get('all') ?? emptyCell();
}

/** buckets of `bucket` over [from, to): cells whose bucket starts in [floor(from), to) */
async function overTime(store: RollupStore, q: InsightQuery, bucket: Bucket, groupBy?: Dimension, parts: 'sums' | 'all' = 'all'): Promise<RollupRow[]> {
  const bucketMs = BUCKET_MS[bucket];
  const from = floorTo(q.from, bucketMs);
  const read = (grain: Grain, a: number, b: number) => store.read({ grain, from: a, to: b, filters: filtersOf(q), groupBy, bucketMs, parts });
  if (bucket !== 'day') return read(bucket, from, q.to);
  // whole days from day cells (a range starting mid-day starts at that day's start); a last day
  // the range ends inside of from its hours, so it stops at `to`
  const lastDay = floorTo(q.to, DAY_MS);
  if (lastDay === q.to || lastDay < from) return read('day', from, q.to);
  return [...(lastDay > from ? await read('day', from, lastDay) : []), ...(await read('hour', lastDay, q.to))];
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

export function savedUsd(c: RollupCell): number {
  let s = 0;
  for (const l of LEVERS) s += get(c, `saved_${l}`);
  return s;
}
function hits(c: RollupCell): number {
  return get(c, 'exactHits') + get(c, 'semanticHits');
}
function percentiles(h: RollupCell['latency']): Percentiles {
  return { p50: percentile(h, 50), p95: percentile(h, 95), p99: percentile(h, 99) };
}

export function metricOf(c: RollupCell, m: TimeseriesMetric): number | null {
  switch (m) {
    case 'requests':
      return get(c, 'requests');
    case 'cost_usd':
      return get(c, 'costUsd');
    case 'saved_usd':
      return savedUsd(c);
    case 'input_tokens':
      return get(c, 'inputTokens');
    case 'output_tokens':
      return get(c, 'outputTokens');
    case 'cache_read_tokens':
      return get(c, 'cacheReadTokens');
    case 'cache_write_tokens':
      return get(c, 'cacheWriteTokens');
    case 'errors':
      return get(c, 'errors');
    case 'error_rate':
      return ratio(get(c, 'errors'), get(c, 'requests'));
    case 'cache_hit_rate':
      return ratio(hits(c), get(c, 'lookups'));
    case 'exact_hit_rate':
      return ratio(get(c, 'exactHits'), get(c, 'lookups'));
    case 'semantic_hit_rate':
      return ratio(get(c, 'semanticHits'), get(c, 'lookups'));
    case 'latency_p50_ms':
      return percentile(c.latency, 50);
    case 'latency_p95_ms':
      return percentile(c.latency, 95);
    case 'latency_p99_ms':
      return percentile(c.latency, 99);
    case 'ttft_p50_ms':
      return percentile(c.ttft, 50);
    case 'ttft_p95_ms':
      return percentile(c.ttft, 95);
    case 'ttft_p99_ms':
      return percentile(c.ttft, 99);
  }
}

const needsHistograms = (m: TimeseriesMetric): boolean => m.startsWith('latency_') || m.startsWith('ttft_');

export async function overview(src: InsightSources, q: InsightQuery): Promise<OverviewAnswer> {
  const now = (src.now ?? Date.now)();
  const c = await total(src.rollups, q);
  const requests = get(c, 'requests');
  const costUsd = get(c, 'costUsd');
  const dayStart = floorTo(now, DAY_MS);
  const spendTodayUsd = get(await total(src.rollups, { ...q, from: dayStart, to: now }, 'sums'), 'costUsd');
  const d = new Date(now);
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const monthEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const monthToDate = get(await total(src.rollups, { ...q, from: monthStart, to: now }, 'sums'), 'costUsd');
  // the month so far at its own pace; in its first day, the pace of the last 24 hours
  const elapsed = now - monthStart;
  const pace = elapsed >= DAY_MS ? monthToDate / elapsed : get(await total(src.rollups, { ...q, from: now - DAY_MS, to: now }, 'sums'), 'costUsd') / DAY_MS;
  const ownUsd = get(c, 'ownRequestsUsd');
  const answer: OverviewAnswer = {
    query: q,
    requests,
    costUsd,
    ownRequests: get(c, 'ownRequests'),
    ownRequestsCostUsd: ownUsd,
    counterfactualCostUsd: get(c, 'counterfactualUsd'),
    savedUsd: savedUsd(c),
    // the users' requests' own cost: the judge's dollars are not a price of their requests
    costPerRequestUsd: ratio(costUsd - ownUsd, requests),
    errorRate: ratio(get(c, 'errors'), requests),
    cacheHitRate: ratio(hits(c), get(c, 'lookups')),
    latencyMs: percentiles(c.latency),
    ttftMs: percentiles(c.ttft),
    spendTodayUsd,
    monthForecastUsd: monthToDate + pace * Math.max(0, monthEnd - now),
  };
  const budget = src.dailyBudgetUsd?.(q);
  if (budget !== undefined) answer.dailyBudgetUsd = budget;
  return answer;
}

export async function timeseries(src: InsightSources, q: InsightQuery, metric: TimeseriesMetric, bucket: Bucket, groupBy?: Dimension): Promise<TimeseriesAnswer> {
  const rows = await overTime(src.rollups, q, bucket, groupBy, needsHistograms(metric) ? 'all' : 'sums');
  const series = new Map<string, Series>();
  for (const r of rows) {
    const v = metricOf(r.cell, metric);
    if (v === null) continue;
    let s = series.get(r.key);
    if (!s) series.set(r.key, (s = { key: r.key, points: [] }));
    s.points.push([r.t, v]);
  }
  const answer: TimeseriesAnswer = { query: q, metric, bucket, series: [...series.values()] };
  if (groupBy !== undefined) answer.groupBy = groupBy;
  return answer;
}

export async function breakdown(src: InsightSources, q: InsightQuery, groupBy: Dimension): Promise<BreakdownAnswer> {
  const groups = await sumRange(src.rollups, q, groupBy, 'sums');
  const rows = [...groups].map(([key, c]) => {
    const requests = get(c, 'requests');
    const ownUsd = get(c, 'ownRequestsUsd');
    return {
      key,
      requests,
      costUsd: get(c, 'costUsd'),
      ownRequests: get(c, 'ownRequests'),
      ownRequestsCostUsd: ownUsd,
      costPerRequestUsd: requests > 0 ? (get(c, 'costUsd') - ownUsd) / requests : 0,
      inputTokens: get(c, 'inputTokens') + get(c, 'cacheReadTokens') + get(c, 'cacheWriteTokens'),
      outputTokens: get(c, 'outputTokens'),
      errors: get(c, 'errors'),
      savedUsd: savedUsd(c),
    };
  });
  rows.sort((a, b) => b.costUsd - a.costUsd || (a.key < b.key ? -1 : 1));
  return { query: q, groupBy, rows: rows.slice(0, MAX_BREAKDOWN_ROWS) };
}

export async function latency(src: InsightSources, q: InsightQuery, bucket: Bucket): Promise<LatencyAnswer> {
  const rows = await overTime(src.rollups, q, bucket);
  const c = await total(src.rollups, q, 'sums');
  const requests = get(c, 'requests');
  const avg = (sum: number, n: number): number => (n > 0 ? sum / n : 0);
  return {
    query: q,
    bucket,
    points: rows.map((r) => ({ t: r.t, latencyMs: percentiles(r.cell.latency), ttftMs: percentiles(r.cell.ttft) })),
    components: {
      overheadMs: avg(get(c, 'overheadSumMs'), requests),
      queueMs: avg(get(c, 'queueSumMs'), requests),
      ttftMs: avg(get(c, 'ttftSumMs'), get(c, 'ttftCount')),
      generationMs: avg(get(c, 'generationSumMs'), get(c, 'generationCount')),
    },
  };
}

export async function cache(src: InsightSources, q: InsightQuery, bucket: Bucket): Promise<CacheAnswer> {
  const rows = await overTime(src.rollups, q, bucket, undefined, 'sums');
  const c = await total(src.rollups, q, 'sums');
  return {
    query: q,
    bucket,
    points: rows.map((r) => ({
      t: r.t,
      lookups: get(r.cell, 'lookups'),
      exactHits: get(r.cell, 'exactHits'),
      semanticHits: get(r.cell, 'semanticHits'),
      staleHits: get(r.cell, 'staleHits'),
    })),
    savedUsd: get(c, 'saved_exact_cache') + get(c, 'saved_semantic_cache'),
    staleRatio: ratio(get(c, 'staleHits'), hits(c)),
    promptCache: {
      readTokens: get(c, 'cacheReadTokens'),
      writeTokens: get(c, 'cacheWriteTokens'),
      unreadWriteTokens: get(c, 'unreadWriteTokens'),
      unreadWriteUsd: get(c, 'unreadWriteUsd'),
    },
  };
}

export async function models(src: InsightSources, q: InsightQuery, bucket: Bucket): Promise<ModelsAnswer> {
  const rows = await overTime(src.rollups, q, bucket, 'model', 'sums');
  const totals = new Map<number, number>();
  for (const r of rows) totals.set(r.t, (totals.get(r.t) ?? 0) + get(r.cell, 'requests'));
  const share = new Map<string, Series>();
  for (const r of rows) {
    const n = get(r.cell, 'requests');
    if (n === 0) continue;
    let s = share.get(r.key);
    if (!s) share.set(r.key, (s = { key: r.key, points: [] }));
    s.points.push([r.t, n / totals.get(r.t)!]);
  }
  // the users' traffic: a route × model pair that only the gateway's own records used is no flow
  const flows = [...(await sumRange(src.rollups, q, ['route', 'model'], 'sums'))].flatMap(([key, c]) => {
    const [route, model] = key.split(GROUP_SEPARATOR) as [string, string];
    const requests = get(c, 'requests');
    return requests > 0 ? [{ route, model, requests, costUsd: get(c, 'costUsd') - get(c, 'ownRequestsUsd') }] : [];
  });
  flows.sort((a, b) => b.requests - a.requests || (a.route + a.model < b.route + b.model ? -1 : 1));
  return { query: q, bucket, share: [...share.values()], flows };
}

export async function hiddenCosts(src: InsightSources, q: InsightQuery): Promise<HiddenCostsAnswer> {
  const groups = await sumRange(src.rollups, q, 'route');
  const scale = (30 * DAY_MS) / Math.max(MINUTE_MS, q.to - q.from);
  const rows: HiddenCostRow[] = [...groups].map(([route, c]) => {
    const inputUsdByComponent: Partial<Record<PromptComponent, number>> = {};
    const inputTokensByComponent: Partial<Record<PromptComponent, number>> = {};
    for (const k of COMPONENTS) {
      const usd = get(c, `cost_${k}`);
      const tok = get(c, `tokens_${k}`);
      if (usd !== 0 || tok !== 0) {
        inputUsdByComponent[k] = usd;
        inputTokensByComponent[k] = tok;
      }
    }
    const own = c.ownCallsUsd;
    const dollars =
      Object.values(inputUsdByComponent).reduce((a, b) => a + b, 0) +
      get(c, 'failedAttemptsUsd') +
      get(c, 'cacheWritePremiumUsd') +
      Object.values(own).reduce((a, b) => a + b, 0);
    return {
      route,
      requests: get(c, 'requests'),
      inputUsdByComponent,
      inputTokensByComponent,
      failedAttemptsUsd: get(c, 'failedAttemptsUsd'),
      retries: get(c, 'retries'),
      cacheWriteUsd: get(c, 'cacheWritePremiumUsd'),
      unreadCacheWriteUsd: get(c, 'unreadWriteUsd'),
      ownCallsUsdByPurpose: { ...own },
      stablePrefixShare: ratio(get(c, 'stablePrefixTokens'), get(c, 'stablePrefixInputTokens')),
      monthlyUsd: dollars * scale,
    };
  });
  rows.sort((a, b) => b.monthlyUsd - a.monthlyUsd || (a.route < b.route ? -1 : 1));
  return { query: q, rows };
}

export async function waterfall(src: InsightSources, q: InsightQuery): Promise<WaterfallAnswer> {
  const c = await total(src.rollups, q, 'sums');
  const bars: WaterfallAnswer['bars'] = [];
  for (const lever of LEVERS) {
    const v = get(c, `saved_${lever}`);
    if (v !== 0) bars.push({ lever: lever as SavingsLever, savedUsd: v });
  }
  return { query: q, counterfactualUsd: get(c, 'counterfactualUsd'), actualUsd: get(c, 'costUsd'), bars };
}

export interface RequestsParams {
  q?: string;
  status?: 'ok' | 'error' | 'aborted';
  cursor?: string;
  limit: number;
}

function ledgerFilter(q: InsightQuery): LedgerFilter {
  const f: LedgerFilter = { since: q.from, until: q.to };
  if (q.route !== undefined) f.route = q.route;
  if (q.model !== undefined) f.model = q.model;
  if (q.team !== undefined) f.team = q.team;
  if (q.key !== undefined) f.keyId = q.key;
  return f;
}

export async function requests(src: InsightSources, q: InsightQuery, p: RequestsParams): Promise<RequestsAnswer> {
  const filter = ledgerFilter(q);
  if (p.status !== undefined) filter.status = p.status;
  if (p.q !== undefined) filter.text = p.q;
  const page = await src.ledger.query(filter, { limit: Math.min(p.limit, MAX_REQUESTS_LIMIT), order: 'newest', cursor: p.cursor });
  const answer: RequestsAnswer = { query: q, records: page.records };
  if (page.next !== undefined) answer.next = page.next;
  return answer;
}

/** one record by id, or undefined; a tenant sees only its own team's */
export async function request(src: InsightSources, id: string, team?: string): Promise<RequestRecord | undefined> {
  const filter: LedgerFilter = { requestId: id };
  if (team !== undefined) filter.team = team;
  const page = await src.ledger.query(filter, { limit: 1 });
  return page.records[0];
}
