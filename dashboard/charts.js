// ECharts options built from the admin query API's answers (src/insights/contract.ts). Pure
// functions, shared by the dashboard (rendered on a canvas in the browser) and `tollgate report`
// (rendered to SVG in Node), so a chart shows the same thing in both.

import { usd, ms, pct, tokens, count } from './format.js';

const PALETTE = ['#2f6fde', '#e8803a', '#2aa876', '#c94f7c', '#8a63d2', '#d4b030', '#3bb3c3', '#7d7d7d', '#a0522d', '#5c7cfa'];

const base = () => ({
  color: PALETTE,
  grid: { left: 64, right: 24, top: 40, bottom: 40, containLabel: true },
  tooltip: { trigger: 'axis' },
  textStyle: { fontFamily: 'system-ui, -apple-system, Segoe UI, sans-serif' },
});

const legend = (names) => ({ type: 'scroll', top: 0, data: names });
const timeAxis = () => ({ type: 'time' });
const valueAxis = (format) => ({ type: 'value', axisLabel: { formatter: (v) => format(v) } });

/** a TimeseriesAnswer as lines, or stacked bars (`stack: true`) */
export function timeseriesChart(answer, { format = count, stack = false, area = false } = {}) {
  const series = answer.series.map((s) => ({
    name: s.key,
    type: stack && !area ? 'bar' : 'line',
    ...(stack ? { stack: 'total' } : {}),
    ...(area ? { areaStyle: {} } : {}),
    showSymbol: false,
    data: s.points,
  }));
  return {
    ...base(),
    legend: legend(answer.series.map((s) => s.key)),
    tooltip: { trigger: 'axis', valueFormatter: format },
    xAxis: timeAxis(),
    yAxis: valueAxis(format),
    series,
  };
}

/** percentiles over time: p50, p95 and p99 of end-to-end latency or TTFT (LatencyAnswer.points) */
export function percentilesChart(answer, which = 'latencyMs') {
  const line = (p) => ({
    name: p.toUpperCase(),
    type: 'line',
    showSymbol: false,
    connectNulls: false,
    data: answer.points.filter((x) => x[which][p] !== null).map((x) => [x.t, x[which][p]]),
  });
  return {
    ...base(),
    legend: legend(['P50', 'P95', 'P99']),
    tooltip: { trigger: 'axis', valueFormatter: ms },
    xAxis: timeAxis(),
    yAxis: valueAxis(ms),
    series: ['p50', 'p95', 'p99'].map(line),
  };
}

export const LATENCY_COMPONENTS = [
  ['overheadMs', 'Gateway overhead'],
  ['queueMs', 'Queue wait'],
  ['ttftMs', 'Time to first token'],
  ['generationMs', 'Generation'],
];

/** where an average request's time goes (LatencyAnswer.components), one stacked bar */
export function latencyComponentsChart(answer) {
  return {
    ...base(),
    grid: { left: 24, right: 24, top: 40, bottom: 24, containLabel: true },
    legend: legend(LATENCY_COMPONENTS.map(([, n]) => n)),
    tooltip: { trigger: 'item', valueFormatter: ms },
    xAxis: valueAxis(ms),
    yAxis: { type: 'category', data: ['average request'] },
    series: LATENCY_COMPONENTS.map(([k, name]) => ({ name, type: 'bar', stack: 'time', data: [answer.components[k]] })),
  };
}

/** hit rate per bucket, exact and semantic (CacheAnswer.points) */
export function cacheHitRateChart(answer) {
  const rate = (k) => answer.points.filter((p) => p.lookups > 0).map((p) => [p.t, p[k] / p.lookups]);
  return {
    ...base(),
    legend: legend(['Exact hits', 'Semantic hits', 'Stale hits']),
    tooltip: { trigger: 'axis', valueFormatter: pct },
    xAxis: timeAxis(),
    yAxis: { ...valueAxis(pct), max: (v) => Math.min(1, Math.max(0.1, v.max * 1.2)) },
    series: [
      { name: 'Exact hits', type: 'line', stack: 'hits', areaStyle: {}, showSymbol: false, data: rate('exactHits') },
      { name: 'Semantic hits', type: 'line', stack: 'hits', areaStyle: {}, showSymbol: false, data: rate('semanticHits') },
      { name: 'Stale hits', type: 'line', showSymbol: false, lineStyle: { type: 'dashed' }, data: rate('staleHits') },
    ],
  };
}

/** the provider's prompt cache: tokens read, written, and written but never read within the TTL */
export function promptCacheChart(answer) {
  const pc = answer.promptCache;
  return {
    ...base(),
    tooltip: { trigger: 'item', valueFormatter: tokens },
    xAxis: { type: 'category', data: ['Read', 'Written', 'Written, never read'] },
    yAxis: valueAxis(tokens),
    series: [{ type: 'bar', name: 'tokens', data: [pc.readTokens, pc.writeTokens, { value: pc.unreadWriteTokens, itemStyle: { color: '#c94f7c' } }] }],
  };
}

/** traffic share per model per bucket (ModelsAnswer.share), normalised to 100% per bucket */
export function modelShareChart(answer) {
  const totals = new Map();
  for (const s of answer.share) for (const [t, v] of s.points) totals.set(t, (totals.get(t) ?? 0) + v);
  return {
    ...base(),
    legend: legend(answer.share.map((s) => s.key)),
    tooltip: { trigger: 'axis', valueFormatter: pct },
    xAxis: timeAxis(),
    yAxis: { ...valueAxis(pct), max: 1 },
    series: answer.share.map((s) => ({
      name: s.key,
      type: 'bar',
      stack: 'share',
      data: s.points.map(([t, v]) => [t, totals.get(t) ? v / totals.get(t) : 0]),
    })),
  };
}

/** where each route sends its traffic (ModelsAnswer.flows), as a Sankey diagram */
export function flowsChart(answer) {
  const nodes = new Map();
  const node = (name, depth) => nodes.set(name, { name, depth });
  const links = [];
  for (const f of answer.flows) {
    const from = `route: ${f.route}`;
    const to = `model: ${f.model}`;
    node(from, 0);
    node(to, 1);
    links.push({ source: from, target: to, value: f.requests });
  }
  return {
    color: PALETTE,
    tooltip: { trigger: 'item', valueFormatter: (v) => `${count(v)} requests` },
    series: [{ type: 'sankey', left: 16, right: 160, top: 16, bottom: 16, emphasis: { focus: 'adjacency' }, data: [...nodes.values()], links, label: { fontSize: 12 } }],
  };
}

/** one horizontal bar per BreakdownRow for a field ('costUsd', 'costPerRequestUsd', 'inputTokens'...) */
export function breakdownChart(answer, fields, { format = usd, limit = 12 } = {}) {
  const rows = answer.rows.slice(0, limit).reverse();
  const list = Array.isArray(fields) ? fields : [[fields, fields]];
  return {
    ...base(),
    grid: { left: 24, right: 32, top: 40, bottom: 24, containLabel: true },
    legend: legend(list.map(([, n]) => n)),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: format },
    xAxis: valueAxis(format),
    yAxis: { type: 'category', data: rows.map((r) => r.key) },
    series: list.map(([f, name]) => ({ name, type: 'bar', stack: list.length > 1 ? 'all' : undefined, data: rows.map((r) => r[f]) })),
  };
}

export const PROMPT_COMPONENTS = [
  ['system', 'System prompt'],
  ['tools', 'Tool definitions'],
  ['context', 'Retrieved context'],
  ['history', 'Conversation history'],
  ['user', "User's message"],
];

/** per route, the range's input dollars by prompt component and the other hidden costs (HiddenCostsAnswer) */
export function hiddenCostsChart(answer) {
  const rows = answer.rows.slice(0, 12).reverse();
  const parts = [
    ...PROMPT_COMPONENTS.map(([k, name]) => [name, (r) => r.inputUsdByComponent[k] ?? 0]),
    ['Failed attempts', (r) => r.failedAttemptsUsd],
    ['Prompt-cache writes never read', (r) => r.unreadCacheWriteUsd],
    ["Gateway's own calls", (r) => Object.values(r.ownCallsUsdByPurpose).reduce((a, b) => a + b, 0)],
  ];
  return {
    ...base(),
    grid: { left: 24, right: 32, top: 56, bottom: 24, containLabel: true },
    legend: legend(parts.map(([n]) => n)),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: usd },
    xAxis: valueAxis(usd),
    yAxis: { type: 'category', data: rows.map((r) => r.route) },
    series: parts.map(([name, f]) => ({ name, type: 'bar', stack: 'usd', data: rows.map(f) })),
  };
}

export const LEVER_NAMES = {
  tiering: 'Model tiering',
  exact_cache: 'Exact cache',
  semantic_cache: 'Semantic cache',
  prompt_caching: 'Prompt caching',
  trimming: 'Trimming',
  batching: 'Batching',
  retries: 'Retries',
  own_calls: "Gateway's own calls",
};

/**
 * The savings waterfall (WaterfallAnswer): the counterfactual cost, one floating bar per lever
 * stepping down (or up, for a lever that cost money), and the actual cost.
 */
export function waterfallChart(answer) {
  const labels = ['Without Tollgate', ...answer.bars.map((b) => LEVER_NAMES[b.lever] ?? b.lever), 'Actual'];
  const invisible = [0];
  const down = [{ value: answer.counterfactualUsd, itemStyle: { color: '#7d7d7d' } }];
  const up = ['-'];
  let level = answer.counterfactualUsd;
  for (const b of answer.bars) {
    const next = level - b.savedUsd;
    invisible.push(Math.min(level, next));
    if (b.savedUsd >= 0) {
      down.push(b.savedUsd);
      up.push('-');
    } else {
      down.push('-');
      up.push(-b.savedUsd);
    }
    level = next;
  }
  invisible.push(0);
  down.push({ value: answer.actualUsd, itemStyle: { color: '#2f6fde' } });
  up.push('-');
  return {
    ...base(),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => (v === '-' || v === undefined ? '' : usd(v)) },
    legend: legend(['Saved', 'Cost']),
    xAxis: { type: 'category', data: labels, axisLabel: { interval: 0, rotate: labels.length > 7 ? 20 : 0 } },
    yAxis: valueAxis(usd),
    series: [
      { name: 'base', type: 'bar', stack: 'w', silent: true, itemStyle: { color: 'transparent' }, tooltip: { show: false }, data: invisible },
      { name: 'Saved', type: 'bar', stack: 'w', itemStyle: { color: '#2aa876' }, label: { show: true, position: 'top', formatter: (p) => usd(p.value?.value ?? p.value) }, data: down },
      { name: 'Cost', type: 'bar', stack: 'w', itemStyle: { color: '#c94f7c' }, label: { show: true, position: 'top', formatter: (p) => `+${usd(p.value)}` }, data: up },
    ],
  };
}

/** one request's timeline: its phases, then each upstream attempt, on a shared time axis (ms from receipt) */
export function requestTimelineChart(rec) {
  const t0 = rec.receivedAt;
  const rows = [];
  const add = (label, from, to, color) => {
    if (from === undefined || to === undefined || to < from) return;
    rows.push({ label, from: from - t0, to: to - t0, color });
  };
  add('Request', rec.receivedAt, rec.completedAt, '#7d7d7d');
  add('Queue', rec.receivedAt, rec.dequeuedAt, '#d4b030');
  add('To first token', rec.upstreamSentAt, rec.firstTokenAt, '#e8803a');
  add('Generation', rec.firstTokenAt, rec.lastTokenAt ?? rec.completedAt, '#2aa876');
  (rec.attempts ?? []).forEach((a, i) => add(`Attempt ${i + 1}: ${a.model}${a.purpose ? ` (${a.purpose})` : ''}${a.status !== null && a.status >= 400 ? ` ${a.status}` : ''}`, a.startedAt, a.endedAt, a.status !== null && a.status < 400 ? '#2f6fde' : '#c94f7c'));
  rows.reverse();
  return {
    ...base(),
    grid: { left: 24, right: 32, top: 16, bottom: 32, containLabel: true },
    tooltip: { trigger: 'item', formatter: (p) => `${rows[p.dataIndex].label}: ${ms(rows[p.dataIndex].to - rows[p.dataIndex].from)}` },
    xAxis: { ...valueAxis(ms), splitNumber: 4 },
    yAxis: { type: 'category', data: rows.map((r) => r.label), axisLabel: { width: 200, overflow: 'truncate' } },
    series: [
      { type: 'bar', stack: 't', silent: true, itemStyle: { color: 'transparent' }, data: rows.map((r) => r.from) },
      { type: 'bar', stack: 't', data: rows.map((r) => ({ value: r.to - r.from, itemStyle: { color: r.color } })) },
    ],
  };
}
