// What the seeded ledger says, computed here from the records themselves (no rollup, no query
// code), so the dashboard's and the report's figures are checked against an independent answer.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestRecord } from '../../src/ledger/record.js';
import { syntheticRecords } from '../../src/insights/synthetic-ledger.js';
import { writeRecords } from '../../src/demo/history.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface SeededLedger {
  dataDir: string;
  records: RequestRecord[];
  /** the range the records fill: whole hours, ending at the last whole hour before now */
  from: number;
  to: number;
}

/** a week of synthetic traffic written into a fresh data directory's ledger.db (rollups folded by the store) */
export async function seedLedger(count = 4000, seed = 11): Promise<SeededLedger> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-views-'));
  const to = Math.floor(Date.now() / HOUR) * HOUR;
  const from = to - 7 * DAY;
  const records = [...syntheticRecords({ from, to, count, seed, idPrefix: 'seed' })];
  await writeRecords(dataDir, records);
  return { dataDir, records, from, to };
}

export const sum = (xs: Iterable<number>): number => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};

const saved = (r: RequestRecord): number => sum(Object.values(r.savedByLever ?? {}));

export function groupBy<K>(records: RequestRecord[], key: (r: RequestRecord) => K): Map<K, RequestRecord[]> {
  const m = new Map<K, RequestRecord[]>();
  for (const r of records) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** the rollups' name for a missing dimension value, as the API shows it */
export const NONE = '(none)';
export const routeOf = (r: RequestRecord): string => r.route ?? NONE;
export const modelOf = (r: RequestRecord): string => r.model ?? r.requestedModel ?? NONE;

/** nearest-rank percentile of exact values */
export function exactPercentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  return v[Math.max(1, Math.ceil((v.length * p) / 100 - 1e-9)) - 1]!;
}

export function truth(records: RequestRecord[]) {
  const lookups = records.filter((r) => r.cacheStatus === 'hit' || r.cacheStatus === 'semantic_hit' || r.cacheStatus === 'miss');
  const hits = lookups.filter((r) => r.cacheStatus !== 'miss');
  const levers = new Map<string, number>();
  for (const r of records) for (const [l, v] of Object.entries(r.savedByLever ?? {})) if (v !== 0) levers.set(l, (levers.get(l) ?? 0) + v);
  const costBy = (key: (r: RequestRecord) => string) => new Map([...groupBy(records, key)].map(([k, rs]) => [k, sum(rs.map((r) => r.costUsd))]));
  const componentUsd = new Map<string, Map<string, number>>();
  for (const [route, rs] of groupBy(records, routeOf)) {
    const m = new Map<string, number>();
    for (const r of rs) for (const [k, v] of Object.entries(r.costByComponent ?? {})) m.set(k, (m.get(k) ?? 0) + v);
    componentUsd.set(route, m);
  }
  return {
    requests: records.length,
    costUsd: sum(records.map((r) => r.costUsd)),
    savedUsd: sum(records.map(saved)),
    counterfactualUsd: sum(records.map((r) => r.costUsd + saved(r))),
    errorRate: records.filter((r) => r.status === 'error').length / records.length,
    cacheHitRate: hits.length / lookups.length,
    lookups: lookups.length,
    cacheHits: hits.length,
    latencyP50: exactPercentile(records.map((r) => r.latencyMs), 50),
    latencyP95: exactPercentile(records.map((r) => r.latencyMs), 95),
    ttftP50: exactPercentile(records.filter((r) => typeof r.ttftMs === 'number').map((r) => r.ttftMs!), 50),
    overheadAvgMs: sum(records.map((r) => r.overheadMs)) / records.length,
    promptCacheReadTokens: sum(records.map((r) => r.usage.cacheRead)),
    promptCacheWriteTokens: sum(records.map((r) => r.usage.cacheWrite5m + r.usage.cacheWrite1h)),
    levers,
    costByModel: costBy(modelOf),
    costByRoute: costBy(routeOf),
    costByTeam: costBy((r) => r.team ?? NONE),
    requestsByRoute: new Map([...groupBy(records, routeOf)].map(([k, rs]) => [k, rs.length])),
    flows: new Map([...groupBy(records, (r) => `${routeOf(r)} → ${modelOf(r)}`)].map(([k, rs]) => [k, rs.length])),
    componentUsd,
    /** spend since UTC midnight (the records end before now) */
    spendTodayUsd: sum(records.filter((r) => r.receivedAt >= Math.floor(Date.now() / DAY) * DAY).map((r) => r.costUsd)),
  };
}

/** equal to floating-point rounding (sums taken in another order) */
export function close(actual: number | null | undefined, expected: number, rel = 1e-9): boolean {
  if (actual === null || actual === undefined || !Number.isFinite(actual)) return false;
  return Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected));
}
