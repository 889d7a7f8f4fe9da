// The weekly report as one self-contained HTML file: styles inline, every chart an inline SVG, no
// script and nothing fetched, so it opens anywhere (mail, an archive, a browser with no network)
// and prints to PDF as it shows. Each headline figure carries its exact value in data-value.

import * as charts from '../../dashboard/charts.js';
import { count, ms, pct, tokens, usd } from '../../dashboard/format.js';
import type { BreakdownAnswer, Percentiles } from '../insights/contract.js';
import type { ReportData } from './data.js';
import { renderSvg } from './svg.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const e = (v: unknown): string => escapeHtml(String(v ?? ''));

function figure(id: string, label: string, value: number | null | undefined, text: string, sub?: string): string {
  return `<div class="figure" data-figure="${id}" data-value="${value === null || value === undefined ? '' : value}"><div class="label">${e(label)}</div><div class="value">${e(text)}</div>${sub ? `<div class="sub">${e(sub)}</div>` : ''}</div>`;
}

function chart(id: string, option: charts.ChartOption, height = 320): string {
  return `<figure class="chart" data-chart="${id}">${renderSvg(option, 960, height)}</figure>`;
}

function table(id: string, head: string[], rows: Array<Array<string | number>>, numeric: boolean[] = []): string {
  const th = head.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''}>${e(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${e(c)}</td>`).join('')}</tr>`).join('');
  return `<table data-table="${id}"><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

const pcts = (p: Percentiles): string => `${ms(p.p50)} / ${ms(p.p95)} / ${ms(p.p99)}`;

function breakdownTable(id: string, label: string, b: BreakdownAnswer): string {
  return table(
    id,
    [label, 'Requests', 'Cost', 'Per request', 'Input tokens', 'Output tokens', 'Errors', 'Saved'],
    b.rows.slice(0, 25).map((r) => [r.key, count(r.requests), usd(r.costUsd), usd(r.costPerRequestUsd), tokens(r.inputTokens), tokens(r.outputTokens), count(r.errors), usd(r.savedUsd)]),
    [false, true, true, true, true, true, true, true],
  );
}

const STYLE = `
body{margin:0;font:13px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;background:#fff}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #e3e6ec;padding-bottom:4px;break-after:avoid}
.meta{color:#667085;margin:0 0 16px}
.figures{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin:8px 0}
.figure{border:1px solid #e3e6ec;border-radius:8px;padding:8px 10px;break-inside:avoid}
.figure .label{font-size:11px;color:#667085}.figure .value{font-size:17px;font-weight:600}.figure .sub{font-size:11px;color:#667085}
figure.chart{margin:8px 0;break-inside:avoid}figure.chart svg{width:100%;height:auto}
table{width:100%;border-collapse:collapse;font-size:12px;margin:8px 0;break-inside:auto}
th{text-align:left;color:#667085;font-weight:600;border-bottom:1px solid #e3e6ec;padding:4px 6px}
td{border-bottom:1px solid #f0f1f4;padding:4px 6px;font-variant-numeric:tabular-nums}.num{text-align:right}
.note{color:#667085;font-size:12px}
@media print{main{padding:0}h2{break-before:auto}}
`;

export function renderReportHtml(d: ReportData): string {
  const o = d.overview;
  const w = d.waterfall;
  const from = new Date(d.query.from).toISOString().slice(0, 16).replace('T', ' ');
  const to = new Date(d.query.to).toISOString().slice(0, 16).replace('T', ' ');
  const filters = (['route', 'model', 'team', 'key'] as const).filter((k) => d.query[k]).map((k) => `${k} ${d.query[k]}`);
  const lookups = d.cache.points.reduce((n, p) => n + p.lookups, 0);
  const hits = d.cache.points.reduce((n, p) => n + p.exactHits + p.semanticHits, 0);
  const has = (n: number): boolean => n > 0;
  const empty = (what: string): string => `<p class="note">No ${e(what)} in this range.</p>`;
  const sections = [
    `<h2>Summary</h2>
<div class="figures">
${figure('requests', 'Requests', o.requests, count(o.requests))}
${figure('costUsd', 'Spend', o.costUsd, usd(o.costUsd))}
${figure('costPerRequestUsd', 'Cost per request', o.costPerRequestUsd, usd(o.costPerRequestUsd))}
${figure('savedUsd', 'Saved', o.savedUsd, usd(o.savedUsd), `of ${usd(o.counterfactualCostUsd)} without Tollgate`)}
${figure('errorRate', 'Error rate', o.errorRate, pct(o.errorRate))}
${figure('cacheHitRate', 'Cache hit rate', o.cacheHitRate, pct(o.cacheHitRate))}
${figure('latencyP50', 'Latency P50 / P95 / P99', o.latencyMs.p50, pcts(o.latencyMs))}
${figure('ttftP50', 'TTFT P50 / P95 / P99', o.ttftMs.p50, pcts(o.ttftMs))}
</div>`,
    `<h2>Latency percentiles</h2>
${d.latency.points.length ? chart('latency-e2e', charts.percentilesChart(d.latency, 'latencyMs')) : empty('requests')}
${d.latency.points.some((p) => p.ttftMs.p50 !== null) ? `<p class="note">Time to first token (streams)</p>${chart('latency-ttft', charts.percentilesChart(d.latency, 'ttftMs'), 260)}` : ''}
${table(
  'latency',
  ['', 'P50', 'P95', 'P99'],
  [
    ['End to end', ms(o.latencyMs.p50), ms(o.latencyMs.p95), ms(o.latencyMs.p99)],
    ['Time to first token', ms(o.ttftMs.p50), ms(o.ttftMs.p95), ms(o.ttftMs.p99)],
  ],
  [false, true, true, true],
)}
<p class="note">Where an average request's time goes: gateway ${ms(d.latency.components.overheadMs)}, queue ${ms(d.latency.components.queueMs)}, first token ${ms(d.latency.components.ttftMs)}, generation ${ms(d.latency.components.generationMs)}.</p>`,
    `<h2>Spend</h2>
${d.dailySpendByModel.series.length ? chart('spend-daily', charts.timeseriesChart(d.dailySpendByModel, { format: usd, stack: true })) : empty('spend')}
${breakdownTable('spend-models', 'Model', d.byModel)}
${breakdownTable('spend-teams', 'Team', d.byTeam)}
${breakdownTable('spend-routes', 'Route', d.byRoute)}`,
    `<h2>Cache effectiveness</h2>
<div class="figures">
${figure('cacheLookupHitRate', 'Hit rate (exact + semantic)', lookups ? hits / lookups : null, pct(lookups ? hits / lookups : null), `${count(hits)} of ${count(lookups)} lookups`)}
${figure('cacheSavedUsd', 'Saved by the cache', d.cache.savedUsd, usd(d.cache.savedUsd))}
${figure('staleRatio', 'Stale ratio', d.cache.staleRatio, pct(d.cache.staleRatio))}
${figure('unreadWriteUsd', 'Prompt-cache writes never read', d.cache.promptCache.unreadWriteUsd, usd(d.cache.promptCache.unreadWriteUsd), `${tokens(d.cache.promptCache.unreadWriteTokens)} tokens`)}
</div>
${has(lookups) ? chart('cache-hit-rate', charts.cacheHitRateChart(d.cache)) : empty('cache lookups')}
${has(d.cache.promptCache.readTokens + d.cache.promptCache.writeTokens) ? chart('cache-prompt', charts.promptCacheChart(d.cache), 240) : ''}`,
    `<h2>Model distribution</h2>
${d.models.share.length ? chart('models-share', charts.modelShareChart(d.models)) : empty('requests')}
${table(
  'models-flows',
  ['Route', 'Model', 'Requests', 'Cost'],
  d.models.flows.map((f) => [f.route, f.model, count(f.requests), usd(f.costUsd)]),
  [false, false, true, true],
)}`,
    `<h2>Hidden costs</h2>
${d.hiddenCosts.rows.length ? chart('hidden-costs', charts.hiddenCostsChart(d.hiddenCosts), Math.max(240, d.hiddenCosts.rows.length * 36 + 80)) : empty('routes')}
${table(
  'hidden-costs',
  ['Route', 'Requests', ...charts.PROMPT_COMPONENTS.map(([, n]) => n), 'Failed attempts', 'Unread cache writes', "Gateway's calls", 'Stable prefix', 'Per month'],
  d.hiddenCosts.rows.map((r) => [
    r.route,
    count(r.requests),
    ...charts.PROMPT_COMPONENTS.map(([k]) => (r.inputUsdByComponent[k as keyof typeof r.inputUsdByComponent] === undefined ? '—' : usd(r.inputUsdByComponent[k as keyof typeof r.inputUsdByComponent]))),
    usd(r.failedAttemptsUsd),
    usd(r.unreadCacheWriteUsd),
    usd(Object.values(r.ownCallsUsdByPurpose).reduce((a, b) => a + b, 0)),
    pct(r.stablePrefixShare),
    usd(r.monthlyUsd),
  ]),
  [false, true, true, true, true, true, true, true, true, true, true, true],
)}`,
    `<h2>Savings waterfall</h2>
<div class="figures">
${figure('counterfactualUsd', 'Without Tollgate', w.counterfactualUsd, usd(w.counterfactualUsd))}
${figure('actualUsd', 'Actual', w.actualUsd, usd(w.actualUsd))}
${figure('waterfallSaved', 'Saved', w.counterfactualUsd - w.actualUsd, usd(w.counterfactualUsd - w.actualUsd), pct(w.counterfactualUsd ? 1 - w.actualUsd / w.counterfactualUsd : null))}
</div>
${w.counterfactualUsd ? chart('waterfall', charts.waterfallChart(w), 360) : empty('spend')}
${table('waterfall', ['Lever', 'Saved'], w.bars.map((b) => [charts.LEVER_NAMES[b.lever] ?? b.lever, usd(b.savedUsd)]), [false, true])}`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Tollgate report ${e(from.slice(0, 10))} – ${e(to.slice(0, 10))}</title>
<style>${STYLE}</style></head>
<body><main>
<h1>Tollgate weekly report</h1>
<p class="meta">${e(from)} – ${e(to)} UTC${filters.length ? ` · ${e(filters.join(', '))}` : ''} · generated ${e(new Date(d.generatedAt).toISOString().slice(0, 16).replace('T', ' '))} UTC</p>
${sections.join('\n')}
</main></body></html>
`;
}
