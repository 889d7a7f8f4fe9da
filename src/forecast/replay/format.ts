// The replay report in a terminal: the recorded and the predicted policy side by side.

import { money, pct, table } from '../format.js';
import type { ReplayReport } from './index.js';

export function formatReplay(r: ReplayReport): string {
  const a = r.recorded;
  const b = r.predicted;
  const src = r.source.kind === 'ledger' ? `the ledger at ${r.source.dataDir}` : `the ${r.source.trace} trace (${r.source.file}) on ${r.source.model}`;
  const out = [`Replayed ${r.requests.toLocaleString('en-US')} requests from ${src}, ${r.mode} mode.`, ''];
  const q = (x: typeof a) => (x.quality ? `${x.quality.mean.toFixed(3)} (n=${x.quality.n})` : 'n/a');
  const rows: string[][] = [
    ['cost', money(a.costUsd), money(b.costUsd), `${r.costChange >= 0 ? '+' : ''}${pct(r.costChange, 1)}`],
    ['cost per 1K requests', money(a.requests ? (a.costUsd / a.requests) * 1000 : 0), money(b.requests ? (b.costUsd / b.requests) * 1000 : 0), ''],
    ['cache hits', String(a.cacheHits), String(b.cacheHits), ''],
    ['errors', String(a.errors), String(b.errors), ''],
    ['latency p50 (ms)', a.latencyMs.p50.toFixed(0), b.latencyMs.p50.toFixed(0), ''],
    ['latency p95 (ms)', a.latencyMs.p95.toFixed(0), b.latencyMs.p95.toFixed(0), ''],
    ['latency p99 (ms)', a.latencyMs.p99.toFixed(0), b.latencyMs.p99.toFixed(0), ''],
    ['rate-limited (waited)', String(a.rateLimitedRequests), String(b.rateLimitedRequests), ''],
    ['quality', q(a), q(b), ''],
  ];
  out.push(table(['', 'recorded', 'predicted', 'change'], rows));
  out.push('', 'Predicted by model:');
  out.push(table(['model', 'requests', 'cost'], Object.entries(b.byModel).map(([m, v]) => [m, v.requests.toLocaleString('en-US'), money(v.costUsd)])));
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}
