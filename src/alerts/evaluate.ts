// What a rule's metric is now: read from the rollups (sums over the window, through the same
// range arithmetic as the dashboard) or, for sessions and users, from the in-memory tally. No
// state: whether that fires is the evaluator's job (alerts.ts).

import { percentile } from '../insights/histogram.js';
import type { InsightQuery } from '../insights/contract.js';
import { sumRange } from '../insights/queries.js';
import { emptyCell, get, mergeCell, type RollupCell } from '../insights/rollup-model.js';
import type { RollupStore } from '../stores/rollups.js';
import { windowMs, type AlertRule } from './config.js';
import type { SpendTally } from './tally.js';

export interface Reading {
  /** null: not enough data to say (no traffic, fewer than minRequests) */
  value: number | null;
  /** what else a notice should say (the session, the exhaustion date, the trailing median...) */
  detail?: Record<string, unknown>;
}

export interface EvaluationSources {
  rollups: RollupStore;
  tally: SpendTally;
}

const DAY = 86_400_000;

function query(rule: AlertRule, from: number, to: number): InsightQuery {
  const s = rule.scope ?? {};
  return { from, to, ...(s.route ? { route: s.route } : {}), ...(s.model ? { model: s.model } : {}), ...(s.team ? { team: s.team } : {}), ...(s.key ? { key: s.key } : {}) };
}

async function total(src: EvaluationSources, rule: AlertRule, from: number, to: number): Promise<RollupCell> {
  return (await sumRange(src.rollups, query(rule, from, to))).get('all') ?? emptyCell();
}

const tokensOf = (c: RollupCell): number => get(c, 'inputTokens') + get(c, 'cacheReadTokens') + get(c, 'cacheWriteTokens') + get(c, 'outputTokens');

/** median and MAD-based z-score of `value` against `history` */
export function robustZ(value: number, history: readonly number[]): { z: number; median: number; mad: number } {
  const sorted = [...history].sort((a, b) => a - b);
  const med = (xs: number[]): number => (xs.length % 2 ? xs[(xs.length - 1) / 2]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2);
  const median = med(sorted);
  const mad = med(sorted.map((x) => Math.abs(x - median)).sort((a, b) => a - b));
  // a flat history (MAD 0) has no spread to measure against: any rise is infinitely unusual, so
  // use a floor of 1% of the median (or 1) to keep the score finite and meaningful
  const scale = 1.4826 * Math.max(mad, Math.abs(median) * 0.01, 1e-9);
  return { z: (value - median) / scale, median, mad };
}

/** the first day of the next month (UTC) */
function monthEnd(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
function monthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export async function readMetric(rule: AlertRule, src: EvaluationSources, now: number): Promise<Reading> {
  const w = windowMs(rule.window);
  const from = now - w;
  const user = rule.scope?.user;
  switch (rule.metric) {
    case 'spend_usd': {
      if (rule.spike) return spike(rule, src, now, w, (c) => get(c, 'costUsd'));
      const spent = user !== undefined ? src.tally.userSpend(user, from, now) : get(await total(src, rule, from, now), 'costUsd');
      if (!rule.burnRate) return { value: spent };
      // at the window's pace, the month's spend and the day the budget (the threshold) runs out
      const start = monthStart(now);
      const soFar = user !== undefined ? src.tally.userSpend(user, Math.max(start, now - DAY), now) : get(await total(src, rule, start, now), 'costUsd');
      const pace = spent / w; // $ per ms
      const projected = soFar + pace * (monthEnd(now) - now);
      const detail: Record<string, unknown> = { monthToDateUsd: soFar, pacePerDayUsd: pace * DAY, monthlyBudgetUsd: rule.threshold };
      if (pace > 0 && soFar < rule.threshold) {
        const runsOut = now + (rule.threshold - soFar) / pace;
        if (runsOut < monthEnd(now)) detail.budgetRunsOutOn = new Date(runsOut).toISOString().slice(0, 10);
      } else if (soFar >= rule.threshold) detail.budgetRunsOutOn = new Date(now).toISOString().slice(0, 10);
      return { value: projected, detail };
    }
    case 'tokens':
      if (rule.spike) return spike(rule, src, now, w, tokensOf);
      return { value: tokensOf(await total(src, rule, from, now)) };
    case 'cost_per_session_usd': {
      const top = src.tally.topSession(from, now, user);
      return top ? { value: top.costUsd, detail: { session: top.session, ...(top.user ? { user: top.user } : {}) } } : { value: null };
    }
    case 'cost_per_request_usd': {
      const c = await total(src, rule, from, now);
      const n = get(c, 'requests');
      return n > 0 && n >= rule.minRequests ? { value: get(c, 'costUsd') / n, detail: { requests: n } } : { value: null, detail: { requests: n } };
    }
    case 'error_rate': {
      const c = await total(src, rule, from, now);
      const n = get(c, 'requests');
      return n > 0 && n >= rule.minRequests ? { value: get(c, 'errors') / n, detail: { requests: n, errors: get(c, 'errors') } } : { value: null, detail: { requests: n } };
    }
    case 'cache_hit_rate': {
      const c = await total(src, rule, from, now);
      const n = get(c, 'lookups');
      const hits = get(c, 'exactHits') + get(c, 'semanticHits');
      return n > 0 && n >= rule.minRequests ? { value: hits / n, detail: { lookups: n, hits } } : { value: null, detail: { lookups: n } };
    }
    case 'p95_latency_ms': {
      const c = await total(src, rule, from, now);
      const n = get(c, 'requests');
      return n > 0 && n >= rule.minRequests ? { value: percentile(c.latency, 95), detail: { requests: n } } : { value: null, detail: { requests: n } };
    }
    case 'expensive_model_share': {
      const byModel = await sumRange(src.rollups, query(rule, from, now), 'model', 'sums');
      const all = emptyCell();
      let expensive = 0;
      const models = new Set(rule.models);
      for (const [m, c] of byModel) {
        mergeCell(all, c);
        if (models.has(m)) expensive += get(c, 'requests');
      }
      const n = get(all, 'requests');
      return n > 0 && n >= rule.minRequests ? { value: expensive / n, detail: { requests: n, onExpensiveModels: expensive } } : { value: null, detail: { requests: n } };
    }
  }
}

/**
 * A spike: the last complete window against the `trailing` windows before it (aligned to the
 * window's length), as a robust z-score (median and MAD), so one past burst does not set the bar.
 */
async function spike(rule: AlertRule, src: EvaluationSources, now: number, w: number, of: (c: RollupCell) => number): Promise<Reading> {
  const n = rule.spike!.trailing;
  const end = Math.floor(now / w) * w;
  const values: number[] = [];
  for (let i = n; i >= 0; i--) values.push(of(await total(src, rule, end - (i + 1) * w, end - i * w)));
  const current = values.pop()!;
  if (values.every((v) => v === 0) && current === 0) return { value: null };
  const r = robustZ(current, values);
  return { value: r.z, detail: { current, trailingMedian: r.median, trailingMad: r.mad, windows: n } };
}
