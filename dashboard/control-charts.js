// ECharts options for the Budgets, Alerts and Experiments pages, built from the admin routes'
// answers (GET /admin/budgets, /admin/alerts, /admin/alerts/history, /admin/experiments,
// /admin/flags/audit). Pure functions, like charts.js.

import { count, ms, pct, tokens, usd, when } from './format.js';

const BAD = '#c94f7c';
const GOOD = '#2aa876';
const ACCENT = '#2f6fde';
const MUTED = '#c8cfdc';

const base = () => ({
  grid: { left: 24, right: 32, top: 40, bottom: 24, containLabel: true },
  textStyle: { fontFamily: 'system-ui, -apple-system, Segoe UI, sans-serif' },
});

/** how a budget reads in a chart or a table: "team support · month" */
export const budgetLabel = (b) => `${b.scope} ${b.id} · ${b.period}`;

/**
 * One bar per budget, as shares of its own limit (so a $5 daily budget and a $20,000 monthly one
 * read alike): spent up to the limit, what remains, and any spend past a notify-only limit. The
 * tooltip gives the dollars.
 */
export function budgetsChart(budgets) {
  const labels = budgets.map(budgetLabel);
  return {
    ...base(),
    // room for the dollars at the end of each bar
    grid: { left: 24, right: 150, top: 40, bottom: 24, containLabel: true },
    color: [ACCENT, MUTED, BAD],
    legend: { top: 0, data: ['Spent', 'Remaining', 'Over the limit'] },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps) => {
        const b = budgets[ps[0].dataIndex];
        return `${labels[ps[0].dataIndex]}: ${usd(b.spentUsd)} of ${usd(b.limitUsd)} (${pct(b.used)}), ${usd(b.remainingUsd)} left`;
      },
    },
    xAxis: { type: 'value', min: 0, max: (v) => Math.max(1, v.max), axisLabel: { formatter: (v) => pct(v) } },
    yAxis: { type: 'category', data: labels, inverse: true },
    series: [
      { name: 'Spent', type: 'bar', stack: 'limit', barMaxWidth: 28, data: budgets.map((b) => Math.min(b.used, 1)) },
      { name: 'Remaining', type: 'bar', stack: 'limit', data: budgets.map((b) => b.remainingUsd / b.limitUsd) },
      {
        name: 'Over the limit',
        type: 'bar',
        stack: 'limit',
        data: budgets.map((b) => Math.max(0, b.used - 1)),
        // each bar says what it has spent, at its end
        label: { show: true, position: 'right', color: '#1d2330', formatter: ({ dataIndex }) => `${usd(budgets[dataIndex].spentUsd)} of ${usd(budgets[dataIndex].limitUsd)}` },
      },
    ],
  };
}

/** an alert metric's value, in its unit */
export function formatMetric(metric, v) {
  if (v === null || v === undefined) return '—';
  switch (metric) {
    case 'spend_usd':
    case 'cost_per_request_usd':
    case 'cost_per_session_usd':
      return usd(v);
    case 'cache_hit_rate':
    case 'expensive_model_share':
    case 'error_rate':
      return pct(v);
    case 'p95_latency_ms':
      return ms(v);
    case 'tokens':
      return tokens(v);
    default:
      return count(v);
  }
}

/** bars past this share of the threshold are drawn to it (the label says the value) */
export const ALERT_BAR_CAP = 2;

/** a rule's last value as a share of its threshold, drawn up to ALERT_BAR_CAP */
export const alertBarValue = (value, threshold) => (value === null || value === undefined || !threshold ? null : Math.min(ALERT_BAR_CAP, value / threshold));

/** each rule's last value as a share of its threshold (100% is the threshold); red while firing */
export function alertValuesChart(rows) {
  const data = rows.map((r) => ({
    value: alertBarValue(r.state.lastValue, r.rule.threshold),
    itemStyle: { color: r.state.state === 'firing' ? BAD : GOOD },
  }));
  return {
    ...base(),
    grid: { left: 24, right: 40, top: 28, bottom: 24, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps) => {
        const r = rows[ps[0].dataIndex];
        return `${r.rule.name}: ${formatMetric(r.rule.metric, r.state.lastValue)} against ${formatMetric(r.rule.metric, r.rule.threshold)} (${r.state.state})`;
      },
    },
    xAxis: { type: 'value', min: 0, max: ALERT_BAR_CAP, axisLabel: { formatter: (v) => (v >= ALERT_BAR_CAP ? `≥${pct(v)}` : pct(v)) } },
    yAxis: { type: 'category', data: rows.map((r) => r.rule.name), inverse: true },
    series: [
      {
        name: 'last value ÷ threshold',
        type: 'bar',
        barMaxWidth: 24,
        data,
        label: { show: true, position: 'insideLeft', color: '#fff', formatter: ({ dataIndex }) => `${formatMetric(rows[dataIndex].rule.metric, rows[dataIndex].state.lastValue)} vs ${formatMetric(rows[dataIndex].rule.metric, rows[dataIndex].rule.threshold)}` },
        markLine: { symbol: 'none', silent: true, lineStyle: { color: '#1d2330', type: 'dashed' }, label: { formatter: 'threshold', position: 'start' }, data: [{ xAxis: 1 }] },
      },
    ],
  };
}

/** the history's notices on a time axis, one row per rule: firing in red, resolved in green */
export function alertHistoryChart(events) {
  const rules = [...new Set(events.map((e) => e.rule))].sort();
  const of = (state) => events.filter((e) => e.state === state).map((e) => ({ value: [e.at, e.rule], event: e }));
  const series = (name, state, color) => ({ name, type: 'scatter', symbolSize: 12, itemStyle: { color }, data: of(state) });
  return {
    ...base(),
    legend: { top: 0, data: ['firing', 'resolved'] },
    tooltip: { trigger: 'item', formatter: (p) => `${p.data.event.rule} ${p.data.event.state} at ${when(p.data.event.at)} UTC: ${p.data.event.value ?? '—'} (threshold ${p.data.event.threshold})` },
    xAxis: { type: 'time' },
    yAxis: { type: 'category', data: rules },
    series: [series('firing', 'firing', BAD), series('resolved', 'resolved', GOOD)],
  };
}

export const GUARDRAIL_NAMES = { error_rate: 'Error rate', latency_ms: 'Latency', cost_per_request_usd: 'Cost per request' };

/** a guardrail's figures in its unit */
export function formatGuardrail(metric, v) {
  if (v === null || v === undefined) return '—';
  return metric === 'error_rate' ? pct(v) : metric === 'latency_ms' ? ms(v) : usd(v);
}

/**
 * Each guardrail's difference (variant − control) and its confidence interval, in units of the
 * margin the variant is allowed: above 1 with the whole interval above 0 is a breach, an interval
 * wholly below 1 holds. Guardrails with no interval yet are left out (and said so in the table).
 */
export function guardrailsChart(experiment) {
  const rails = experiment.guardrails.filter((g) => g.comparison && g.margin > 0);
  const names = rails.map((g) => GUARDRAIL_NAMES[g.metric] ?? g.metric);
  const color = (g) => (g.verdict === 'breached' ? BAD : g.verdict === 'holds' ? GOOD : '#d4b030');
  return {
    ...base(),
    grid: { left: 24, right: 110, top: 40, bottom: 24, containLabel: true },
    tooltip: {
      trigger: 'item',
      formatter: (p) => {
        const g = rails[p.dataIndex];
        const f = (v) => formatGuardrail(g.metric, v);
        return `${names[p.dataIndex]}: difference ${f(g.comparison.diff)}, interval ${f(g.comparison.ci[0])} .. ${f(g.comparison.ci[1])}, allowed ${f(g.margin)} (${g.verdict})`;
      },
    },
    xAxis: { type: 'category', data: names },
    yAxis: { type: 'value', name: '÷ allowed margin', axisLabel: { formatter: (v) => `${v}×` } },
    series: [
      {
        name: 'interval',
        type: 'candlestick',
        barMaxWidth: 36,
        data: rails.map((g) => ({
          value: [g.comparison.ci[0] / g.margin, g.comparison.ci[1] / g.margin, g.comparison.ci[0] / g.margin, g.comparison.ci[1] / g.margin],
          itemStyle: { color: color(g), color0: color(g), borderColor: color(g), borderColor0: color(g), opacity: 0.5 },
        })),
        markLine: {
          symbol: 'none',
          silent: true,
          data: [
            { yAxis: 0, lineStyle: { color: '#667085' }, label: { formatter: 'no difference' } },
            { yAxis: 1, lineStyle: { color: BAD, type: 'dashed' }, label: { formatter: 'allowed margin' } },
          ],
        },
      },
      { name: 'difference', type: 'scatter', symbolSize: 10, itemStyle: { color: '#1d2330' }, data: rails.map((g) => g.comparison.diff / g.margin) },
    ],
  };
}

/**
 * The share flag's changes (`experiment:<name>` in the flags audit), oldest first, as the
 * variant's share over time: a step line from the start to now (or to the experiment's end).
 */
export function rampSteps(changes, now = Date.now()) {
  const points = changes.map((c) => [c.at, c.action === 'unset' ? 0 : Number(c.after?.value ?? 0)]);
  if (points.length) points.push([now, points.at(-1)[1]]);
  return points;
}

export function rampChart(changes, now) {
  return {
    ...base(),
    grid: { left: 24, right: 32, top: 24, bottom: 24, containLabel: true },
    tooltip: { trigger: 'axis', valueFormatter: (v) => `${v}%` },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    series: [{ name: "variant's share", type: 'line', step: 'end', areaStyle: { opacity: 0.15 }, color: ACCENT, data: rampSteps(changes, now) }],
  };
}
