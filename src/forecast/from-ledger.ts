// "My last 30 days": a scenario measured from the ledger through the reader's aggregate (bounded:
// a few groups per model and cache status, never the records themselves).

import type { LedgerReader } from '../stores/ledger.js';
import type { ScenarioInput } from './scenario.js';

export interface LedgerMeasure {
  scenario: ScenarioInput;
  /** what the window really cost, per day, for comparison with the calculated figure */
  recordedDailyUsd: number;
  requests: number;
  windowDays: number;
}

const DAY_MS = 86_400_000;

export async function scenarioFromLedger(reader: LedgerReader, since: number, until: number, days = 30): Promise<LedgerMeasure | undefined> {
  const filter = { since, until };
  const rows = await reader.aggregate(filter, ['model', 'cacheStatus'], ['count', 'costUsd', 'inputTokens', 'cacheReadTokens', 'cacheWrite5mTokens', 'cacheWrite1hTokens', 'outputTokens']);
  if (rows.length === 0) return undefined;
  let requests = 0;
  let cost = 0;
  let exact = 0;
  let semantic = 0;
  let served = 0;
  const tok = { input: 0, read: 0, write: 0, output: 0 };
  const byModel = new Map<string, number>();
  for (const r of rows) {
    const v = r.values;
    const n = v.count ?? 0;
    requests += n;
    cost += v.costUsd ?? 0;
    const status = r.group.cacheStatus;
    if (status === 'hit') exact += n;
    else if (status === 'semantic_hit') semantic += n;
    else {
      served += n;
      tok.input += v.inputTokens ?? 0;
      tok.read += v.cacheReadTokens ?? 0;
      tok.write += (v.cacheWrite5mTokens ?? 0) + (v.cacheWrite1hTokens ?? 0);
      tok.output += v.outputTokens ?? 0;
      const model = typeof r.group.model === 'string' ? r.group.model : undefined;
      if (model) byModel.set(model, (byModel.get(model) ?? 0) + n);
    }
  }
  if (requests === 0 || byModel.size === 0) return undefined;
  // the window the records span, at least a day (a fresh ledger would otherwise extrapolate minutes)
  const first = await reader.query(filter, { limit: 1, order: 'oldest' });
  const start = first.records[0]?.receivedAt ?? since;
  const windowDays = Math.max(1, (until - start) / DAY_MS);
  const per = (x: number) => (served > 0 ? x / served : 0);
  const prefix = tok.read + tok.write;
  return {
    requests,
    windowDays,
    recordedDailyUsd: cost / windowDays,
    scenario: {
      requestsPerDay: requests / windowDays,
      days,
      // the provider's cache holds the prefix: what was read or written is the cacheable part
      tokens: { system: per(prefix), user: per(tok.input), output: per(tok.output) },
      mix: [...byModel].map(([model, n]) => ({ model, share: n / served })),
      cache: { exactHitRate: exact / requests, semanticHitRate: semantic / requests, promptCacheHitRate: prefix > 0 ? tok.read / prefix : 0 },
    },
  };
}
