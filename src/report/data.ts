// What the weekly report shows: the admin query API's answers for one range, gathered through an
// InsightsSource (in process, the rollup store's queries: the same ones GET /admin/api/* answers).

import type {
  Bucket,
  BreakdownAnswer,
  CacheAnswer,
  Dimension,
  HiddenCostsAnswer,
  InsightQuery,
  LatencyAnswer,
  ModelsAnswer,
  OverviewAnswer,
  TimeseriesAnswer,
  WaterfallAnswer,
} from '../insights/contract.js';

type Awaitable<T> = T | Promise<T>;

/** the queries the report reads, by the endpoint names of the admin query API */
export interface InsightsSource {
  overview(q: InsightQuery): Awaitable<OverviewAnswer>;
  timeseries(q: InsightQuery, metric: string, bucket: Bucket, groupBy?: Dimension): Awaitable<TimeseriesAnswer>;
  breakdown(q: InsightQuery, groupBy: Dimension): Awaitable<BreakdownAnswer>;
  latency(q: InsightQuery, bucket: Bucket): Awaitable<LatencyAnswer>;
  cache(q: InsightQuery, bucket: Bucket): Awaitable<CacheAnswer>;
  models(q: InsightQuery, bucket: Bucket): Awaitable<ModelsAnswer>;
  hiddenCosts(q: InsightQuery): Awaitable<HiddenCostsAnswer>;
  waterfall(q: InsightQuery): Awaitable<WaterfallAnswer>;
}

export interface ReportData {
  /** when the report was made, epoch ms */
  generatedAt: number;
  query: InsightQuery;
  /** the bucket the time charts use (hour for a week or less, else day) */
  bucket: Bucket;
  overview: OverviewAnswer;
  dailySpendByModel: TimeseriesAnswer;
  byModel: BreakdownAnswer;
  byTeam: BreakdownAnswer;
  byRoute: BreakdownAnswer;
  latency: LatencyAnswer;
  cache: CacheAnswer;
  models: ModelsAnswer;
  hiddenCosts: HiddenCostsAnswer;
  waterfall: WaterfallAnswer;
}

export const REPORT_STEPS = 10;

/** reads every answer the report needs; `onStep` is told after each (for the progress bar) */
export async function collectReport(source: InsightsSource, query: InsightQuery, onStep: (label: string) => void = () => {}, now = Date.now()): Promise<ReportData> {
  const bucket: Bucket = query.to - query.from <= 8 * 86_400_000 ? 'hour' : 'day';
  const step = async <T>(label: string, read: () => Awaitable<T>): Promise<T> => {
    const v = await read();
    onStep(label);
    return v;
  };
  return {
    generatedAt: now,
    query,
    bucket,
    overview: await step('overview', () => source.overview(query)),
    dailySpendByModel: await step('spend', () => source.timeseries(query, 'cost_usd', 'day', 'model')),
    byModel: await step('models', () => source.breakdown(query, 'model')),
    byTeam: await step('teams', () => source.breakdown(query, 'team')),
    byRoute: await step('routes', () => source.breakdown(query, 'route')),
    latency: await step('latency', () => source.latency(query, bucket)),
    cache: await step('cache', () => source.cache(query, bucket)),
    models: await step('model distribution', () => source.models(query, 'day')),
    hiddenCosts: await step('hidden costs', () => source.hiddenCosts(query)),
    waterfall: await step('waterfall', () => source.waterfall(query)),
  };
}
