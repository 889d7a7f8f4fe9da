// The report's InsightsSource in process: the admin query API's own functions (insights/queries.ts)
// over the data directory's rollups, read-only, so `tollgate report` gives the figures
// GET /admin/api/* gives, and runs while the gateway is running or down.

import * as Q from '../insights/queries.js';
import type { InsightsSource } from './data.js';

export function insightsSourceOf(src: Q.InsightSources): InsightsSource {
  return {
    overview: (q) => Q.overview(src, q),
    timeseries: (q, metric, bucket, groupBy) => Q.timeseries(src, q, metric as Q.TimeseriesMetric, bucket, groupBy),
    breakdown: (q, groupBy) => Q.breakdown(src, q, groupBy),
    latency: (q, bucket) => Q.latency(src, q, bucket),
    cache: (q, bucket) => Q.cache(src, q, bucket),
    models: (q, bucket) => Q.models(src, q, bucket),
    hiddenCosts: (q) => Q.hiddenCosts(src, q),
    waterfall: (q) => Q.waterfall(src, q),
  };
}

export interface OpenedSource {
  source: InsightsSource;
  close(): void;
}

/** the data directory's ledger.db, read-only; null when there is none yet */
export async function openDataDirSource(dataDir: string, now?: () => number): Promise<OpenedSource | null> {
  const { SqliteLedgerStore } = await import('../stores/sqlite/ledger-store.js');
  const store = SqliteLedgerStore.openReadOnly(dataDir);
  if (!store) return null;
  return { source: insightsSourceOf({ rollups: store.rollups, ledger: store, ...(now ? { now } : {}) }), close: () => store.close() };
}
