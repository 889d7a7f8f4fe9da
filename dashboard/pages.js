// The dashboard's pages. Each reads the admin query API for the page's range and filters and
// draws charts from the answers (charts.js builds the options, the same ones the report renders).

import { useEffect, useMemo, useState } from 'preact/hooks';
import { bucketFor, getInsight, queryParams } from './api.js';
import * as charts from './charts.js';
import { count, ms, pct, tokens, usd, when } from './format.js';
import { Chart, Empty, Figure, Panel, Table, html } from './ui.js';

/** fetches named endpoints (name → [endpoint, extra params]) whenever the page's state changes */
function useInsights(state, wants) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const key = JSON.stringify([state, wants]);
  useEffect(() => {
    const ctl = new AbortController();
    setError(null);
    Promise.all(Object.entries(wants).map(async ([name, [endpoint, extra]]) => [name, await getInsight(endpoint, queryParams(state, extra), ctl.signal)]))
      .then((pairs) => setData({ key, answers: Object.fromEntries(pairs) }))
      .catch((err) => {
        if (err.name !== 'AbortError') setError(err);
      });
    return () => ctl.abort();
  }, [key]);
  // answers for an earlier range or filter are not shown as this one's: loading until they arrive
  return { data: data && data.key === key ? data.answers : null, error };
}

function Loading({ error, children, data }) {
  if (error) return html`<p class="error" role="alert">Could not load: ${error.message}</p>`;
  if (!data) return html`<p class="loading">Loading…</p>`;
  return children(data);
}

const pointsOf = (series) => series.reduce((n, s) => n + s.points.length, 0);

export function Overview({ state }) {
  const bucket = bucketFor(state);
  const q = useInsights(state, {
    overview: ['overview'],
    spend: ['timeseries', { metric: 'cost_usd', bucket }],
    requests: ['timeseries', { metric: 'requests', bucket, groupBy: 'status' }],
  });
  return html`<${Loading} ...${q}>${({ overview: o, spend, requests }) => html`
    <div class="figures">
      <${Figure} id="spendToday" label="Spend today" value=${o.spendTodayUsd} text=${usd(o.spendTodayUsd)} sub=${o.dailyBudgetUsd !== undefined ? `of ${usd(o.dailyBudgetUsd)} daily budget (${pct(o.spendTodayUsd / o.dailyBudgetUsd)})` : 'no daily budget configured'} />
      <${Figure} id="monthForecast" label="Month's forecast" value=${o.monthForecastUsd} text=${usd(o.monthForecastUsd)} sub="at this pace" />
      <${Figure} id="costUsd" label="Spend in range" value=${o.costUsd} text=${usd(o.costUsd)} />
      <${Figure} id="requests" label="Requests" value=${o.requests} text=${count(o.requests)} />
      <${Figure} id="costPerRequestUsd" label="Cost per request" value=${o.costPerRequestUsd} text=${usd(o.costPerRequestUsd)} />
      <${Figure} id="savedUsd" label="Money saved" value=${o.savedUsd} text=${usd(o.savedUsd)} sub=${`of ${usd(o.counterfactualCostUsd)} without Tollgate`} />
      <${Figure} id="errorRate" label="Error rate" value=${o.errorRate} text=${pct(o.errorRate)} />
      <${Figure} id="cacheHitRate" label="Cache hit rate" value=${o.cacheHitRate} text=${pct(o.cacheHitRate)} />
      <${Figure} id="latencyP50" label="Latency P50 / P95 / P99" value=${o.latencyMs.p50} text=${`${ms(o.latencyMs.p50)} / ${ms(o.latencyMs.p95)} / ${ms(o.latencyMs.p99)}`} />
      <${Figure} id="ttftP50" label="TTFT P50 / P95 / P99" value=${o.ttftMs.p50} text=${`${ms(o.ttftMs.p50)} / ${ms(o.ttftMs.p95)} / ${ms(o.ttftMs.p99)}`} />
    </div>
    <div class="grid">
      <${Panel} title="Spend">${pointsOf(spend.series) ? html`<${Chart} id="overview-spend" points=${pointsOf(spend.series)} option=${charts.timeseriesChart(spend, { format: usd, stack: true })} />` : html`<${Empty} what="spend" />`}<//>
      <${Panel} title="Requests by status">${pointsOf(requests.series) ? html`<${Chart} id="overview-requests" points=${pointsOf(requests.series)} option=${charts.timeseriesChart(requests, { stack: true })} />` : html`<${Empty} what="requests" />`}<//>
    </div>`}<//>`;
}

const GROUPS = [
  ['model', 'Model'],
  ['team', 'Team'],
  ['route', 'Route'],
  ['key', 'Key'],
];

export function Spend({ state }) {
  const [groupBy, setGroupBy] = useState('model');
  const q = useInsights(state, {
    daily: ['timeseries', { metric: 'cost_usd', bucket: 'day', groupBy }],
    byRoute: ['breakdown', { groupBy: 'route' }],
    byModel: ['breakdown', { groupBy: 'model' }],
    byTeam: ['breakdown', { groupBy: 'team' }],
  });
  return html`<${Loading} ...${q}>${({ daily, byRoute, byModel, byTeam }) => html`
    <div class="grid">
      <${Panel} title="Daily spend" wide>
        <div class="tabs" role="tablist">${GROUPS.map(([g, label]) => html`<button role="tab" aria-selected=${g === groupBy} class=${g === groupBy ? 'on' : ''} onClick=${() => setGroupBy(g)}>by ${label.toLowerCase()}</button>`)}</div>
        ${pointsOf(daily.series) ? html`<${Chart} id="spend-daily" points=${pointsOf(daily.series)} option=${charts.timeseriesChart(daily, { format: usd, stack: true })} />` : html`<${Empty} what="spend" />`}
      <//>
      <${Panel} title="Cost per request, by route">${byRoute.rows.length ? html`<${Chart} id="spend-cost-per-request" points=${byRoute.rows.length} option=${charts.breakdownChart(byRoute, [['costPerRequestUsd', 'cost per request']])} />` : html`<${Empty} what="routes" />`}<//>
      <${Panel} title="Tokens per model">${byModel.rows.length ? html`<${Chart} id="spend-tokens-model" points=${byModel.rows.length} option=${charts.breakdownChart(byModel, [['inputTokens', 'input'], ['outputTokens', 'output']], { format: tokens })} />` : html`<${Empty} what="models" />`}<//>
      <${Panel} title="Tokens per team">${byTeam.rows.length ? html`<${Chart} id="spend-tokens-team" points=${byTeam.rows.length} option=${charts.breakdownChart(byTeam, [['inputTokens', 'input'], ['outputTokens', 'output']], { format: tokens })} />` : html`<${Empty} what="teams" />`}<//>
      <${Panel} title="By model" wide>
        <${Table} id="spend-models" rows=${byModel.rows} columns=${[
          { key: 'key', label: 'Model' },
          { key: 'requests', label: 'Requests', num: true, render: (r) => count(r.requests) },
          { key: 'costUsd', label: 'Cost', num: true, render: (r) => usd(r.costUsd) },
          { key: 'costPerRequestUsd', label: 'Per request', num: true, render: (r) => usd(r.costPerRequestUsd) },
          { key: 'inputTokens', label: 'Input tokens', num: true, render: (r) => tokens(r.inputTokens) },
          { key: 'outputTokens', label: 'Output tokens', num: true, render: (r) => tokens(r.outputTokens) },
          { key: 'errors', label: 'Errors', num: true, render: (r) => count(r.errors) },
          { key: 'savedUsd', label: 'Saved', num: true, render: (r) => usd(r.savedUsd) },
        ]} />
      <//>
    </div>`}<//>`;
}

export function Latency({ state }) {
  const q = useInsights(state, { latency: ['latency', { bucket: bucketFor(state) }] });
  return html`<${Loading} ...${q}>${({ latency }) => html`
    <div class="grid">
      <${Panel} title="End-to-end latency">${latency.points.length ? html`<${Chart} id="latency-e2e" points=${latency.points.length} option=${charts.percentilesChart(latency, 'latencyMs')} />` : html`<${Empty} what="requests" />`}<//>
      <${Panel} title="Time to first token" note="streams only">${latency.points.some((p) => p.ttftMs.p50 !== null) ? html`<${Chart} id="latency-ttft" points=${latency.points.length} option=${charts.percentilesChart(latency, 'ttftMs')} />` : html`<${Empty} what="streams" />`}<//>
      <${Panel} title="Where a request's time goes" wide note="averages over the range: the gateway's own time, waiting in a queue, waiting for the first token, and generating the rest">
        <${Chart} id="latency-components" height=${160} points=${4} option=${charts.latencyComponentsChart(latency)} />
        <div class="figures">${charts.LATENCY_COMPONENTS.map(([k, label]) => html`<${Figure} id=${`component-${k}`} label=${label} value=${latency.components[k]} text=${ms(latency.components[k])} />`)}</div>
      <//>
    </div>`}<//>`;
}

export function Cache({ state }) {
  const q = useInsights(state, { cache: ['cache', { bucket: bucketFor(state) }] });
  return html`<${Loading} ...${q}>${({ cache: c }) => {
    const lookups = c.points.reduce((n, p) => n + p.lookups, 0);
    const hits = c.points.reduce((n, p) => n + p.exactHits + p.semanticHits, 0);
    return html`
    <div class="figures">
      <${Figure} id="cacheHitRate" label="Hit rate" value=${lookups ? hits / lookups : null} text=${pct(lookups ? hits / lookups : null)} sub=${`${count(hits)} of ${count(lookups)} lookups`} />
      <${Figure} id="cacheSavedUsd" label="Saved by the cache" value=${c.savedUsd} text=${usd(c.savedUsd)} />
      <${Figure} id="staleRatio" label="Stale ratio" value=${c.staleRatio} text=${pct(c.staleRatio)} />
      <${Figure} id="promptCacheRead" label="Prompt-cache reads" value=${c.promptCache.readTokens} text=${tokens(c.promptCache.readTokens)} sub="tokens" />
      <${Figure} id="promptCacheWrite" label="Prompt-cache writes" value=${c.promptCache.writeTokens} text=${tokens(c.promptCache.writeTokens)} sub="tokens" />
      <${Figure} id="unreadWriteUsd" label="Writes never read" value=${c.promptCache.unreadWriteUsd} text=${usd(c.promptCache.unreadWriteUsd)} sub=${`${tokens(c.promptCache.unreadWriteTokens)} tokens paid at the write price for nothing`} />
    </div>
    <div class="grid">
      <${Panel} title="Hit rate, exact and semantic">${lookups ? html`<${Chart} id="cache-hit-rate" points=${c.points.length} option=${charts.cacheHitRateChart(c)} />` : html`<${Empty} what="cache lookups" />`}<//>
      <${Panel} title="Provider prompt cache">${c.promptCache.readTokens + c.promptCache.writeTokens ? html`<${Chart} id="cache-prompt" points=${3} option=${charts.promptCacheChart(c)} />` : html`<${Empty} what="prompt-cache use" />`}<//>
    </div>`;
  }}<//>`;
}

export function Models({ state }) {
  const q = useInsights(state, { models: ['models', { bucket: 'day' }] });
  return html`<${Loading} ...${q}>${({ models: m }) => html`
    <div class="grid">
      <${Panel} title="Traffic share per model, per day" wide>${pointsOf(m.share) ? html`<${Chart} id="models-share" points=${pointsOf(m.share)} option=${charts.modelShareChart(m)} />` : html`<${Empty} what="requests" />`}<//>
      <${Panel} title="Where each route sends its traffic" wide>${m.flows.length ? html`<${Chart} id="models-flows" height=${Math.max(240, m.flows.length * 28)} points=${m.flows.length} option=${charts.flowsChart(m)} />` : html`<${Empty} what="requests" />`}
        <${Table} id="models-flows" rows=${m.flows} columns=${[
          { key: 'route', label: 'Route' },
          { key: 'model', label: 'Model' },
          { key: 'requests', label: 'Requests', num: true, render: (r) => count(r.requests) },
          { key: 'costUsd', label: 'Cost', num: true, render: (r) => usd(r.costUsd) },
        ]} />
      <//>
    </div>`}<//>`;
}

export function HiddenCosts({ state }) {
  const q = useInsights(state, { hidden: ['hidden-costs'] });
  return html`<${Loading} ...${q}>${({ hidden }) => html`
    <div class="grid">
      <${Panel} title="Hidden costs per route" wide note="the input's dollars by prompt component, and what retries, prompt-cache writes never read and the gateway's own calls cost">${hidden.rows.length ? html`<${Chart} id="hidden-costs" height=${Math.max(240, hidden.rows.length * 36 + 80)} points=${hidden.rows.length} option=${charts.hiddenCostsChart(hidden)} />` : html`<${Empty} what="routes" />`}<//>
      <${Panel} title="Per route, and per month at this pace" wide>
        <${Table} id="hidden-costs" rows=${hidden.rows} columns=${[
          { key: 'route', label: 'Route' },
          { key: 'requests', label: 'Requests', num: true, render: (r) => count(r.requests) },
          ...charts.PROMPT_COMPONENTS.map(([k, label]) => ({ key: k, label, num: true, render: (r) => (r.inputUsdByComponent[k] === undefined ? '—' : usd(r.inputUsdByComponent[k])) })),
          { key: 'failedAttemptsUsd', label: 'Failed attempts', num: true, render: (r) => `${usd(r.failedAttemptsUsd)} (${count(r.retries)} retries)` },
          { key: 'unreadCacheWriteUsd', label: 'Unread cache writes', num: true, render: (r) => usd(r.unreadCacheWriteUsd) },
          { key: 'ownCalls', label: "Gateway's calls", num: true, render: (r) => usd(Object.values(r.ownCallsUsdByPurpose).reduce((a, b) => a + b, 0)) },
          { key: 'stablePrefixShare', label: 'Stable prefix', num: true, render: (r) => pct(r.stablePrefixShare) },
          { key: 'monthlyUsd', label: 'Per month', num: true, render: (r) => usd(r.monthlyUsd) },
        ]} />
      <//>
    </div>`}<//>`;
}

export function Waterfall({ state }) {
  const q = useInsights(state, { w: ['waterfall'] });
  return html`<${Loading} ...${q}>${({ w }) => html`
    <div class="figures">
      <${Figure} id="counterfactualUsd" label="Without Tollgate" value=${w.counterfactualUsd} text=${usd(w.counterfactualUsd)} />
      <${Figure} id="actualUsd" label="Actual" value=${w.actualUsd} text=${usd(w.actualUsd)} />
      <${Figure} id="waterfallSaved" label="Saved" value=${w.counterfactualUsd - w.actualUsd} text=${usd(w.counterfactualUsd - w.actualUsd)} sub=${pct(w.counterfactualUsd ? 1 - w.actualUsd / w.counterfactualUsd : null)} />
    </div>
    <div class="grid">
      <${Panel} title="Savings waterfall" wide note="from what the same traffic would have cost on its baseline models with no cache, no prompt-cache discount and no trimming, to what it cost; one bar per lever">
        ${w.counterfactualUsd ? html`<${Chart} id="waterfall" height=${380} points=${w.bars.length + 2} option=${charts.waterfallChart(w)} />` : html`<${Empty} what="spend" />`}
        <${Table} id="waterfall" rows=${w.bars} columns=${[
          { key: 'lever', label: 'Lever', render: (r) => charts.LEVER_NAMES[r.lever] ?? r.lever },
          { key: 'savedUsd', label: 'Saved', num: true, render: (r) => usd(r.savedUsd) },
        ]} />
      <//>
    </div>`}<//>`;
}

const TOKEN_KINDS = [
  ['input', 'Input'],
  ['cacheRead', 'Cache read'],
  ['cacheWrite5m', 'Cache write 5m'],
  ['cacheWrite1h', 'Cache write 1h'],
  ['output', 'Output'],
  ['reasoning', 'Reasoning (part of output)'],
];

function RequestDetail({ id, onClose }) {
  const [rec, setRec] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const ctl = new AbortController();
    setRec(null);
    getInsight('request', new URLSearchParams({ id }), ctl.signal).then(setRec, (e) => e.name !== 'AbortError' && setError(e));
    return () => ctl.abort();
  }, [id]);
  if (error) return html`<aside class="detail"><button class="close" onClick=${onClose}>×</button><p class="error" role="alert">${error.message}</p></aside>`;
  if (!rec) return html`<aside class="detail"><p class="loading">Loading…</p></aside>`;
  const usage = rec.usage ?? {};
  return html`<aside class="detail" data-request=${rec.requestId}>
    <button class="close" aria-label="close" onClick=${onClose}>×</button>
    <h2>Request <code>${rec.requestId}</code></h2>
    <div class="figures">
      <${Figure} id="detail-cost" label="Cost" value=${rec.costUsd} text=${usd(rec.costUsd)} sub=${rec.baselineCostUsd !== undefined ? `baseline ${usd(rec.baselineCostUsd)} on ${rec.baselineModel ?? rec.requestedModel}` : undefined} />
      <${Figure} id="detail-latency" label="Latency" value=${rec.latencyMs} text=${ms(rec.latencyMs)} sub=${`overhead ${ms(rec.overheadMs)}${rec.ttftMs !== undefined ? `, TTFT ${ms(rec.ttftMs)}` : ''}`} />
      <${Figure} id="detail-status" label="Status" value=${rec.status} text=${`${rec.status} (${rec.httpStatus})`} sub=${rec.errorClass} />
    </div>
    <dl class="facts">
      <dt>When</dt><dd>${when(rec.receivedAt)} UTC</dd>
      <dt>Model</dt><dd>${rec.requestedModel}${rec.model && rec.model !== rec.requestedModel ? ` → ${rec.model}` : ''}${rec.provider ? ` (${rec.provider})` : ''}</dd>
      ${rec.route ? html`<dt>Route</dt><dd>${rec.route}</dd>` : null}
      <dt>Key / team</dt><dd>${rec.keyId ?? '—'} / ${rec.team ?? '—'}</dd>
      <dt>Cache</dt><dd>${rec.cacheStatus ?? '—'}${rec.savedCostUsd ? `, saved ${usd(rec.savedCostUsd)}` : ''}</dd>
    </dl>
    <h3>Timeline</h3>
    <${Chart} id="request-timeline" height=${80 + 28 * (4 + (rec.attempts?.length ?? 0))} points=${rec.attempts?.length ?? 0} option=${charts.requestTimelineChart(rec)} />
    <h3>Decision trail</h3>
    <ol class="trail" data-table="trail">${rec.trail.map((t) => html`<li><b>${t.stage}</b> ${t.decision}${t.reason ? html` <span class="reason">${t.reason}</span>` : null}</li>`)}</ol>
    <h3>Attempts</h3>
    <${Table} id="attempts" rows=${rec.attempts ?? []} columns=${[
      { key: 'model', label: 'Model', render: (a) => `${a.model}${a.purpose ? ` (${a.purpose})` : ''}` },
      { key: 'provider', label: 'Provider' },
      { key: 'status', label: 'Status', render: (a) => `${a.status ?? '—'}${a.errorClass ? ` ${a.errorClass}` : ''}` },
      { key: 'time', label: 'Time', num: true, render: (a) => ms(a.endedAt - a.startedAt) },
      { key: 'costUsd', label: 'Cost', num: true, render: (a) => usd(a.costUsd) },
    ]} />
    <h3>Tokens</h3>
    <${Table} id="tokens" rows=${TOKEN_KINDS.filter(([k]) => usage[k])} columns=${[
      { key: 0, label: 'Kind', render: (r) => r[1] },
      { key: 1, label: 'Tokens', num: true, render: (r) => count(usage[r[0]]) },
    ]} />
    ${rec.costByComponent ? html`<h3>Input by prompt component</h3>
      <${Table} id="components" rows=${charts.PROMPT_COMPONENTS.filter(([k]) => rec.costByComponent[k] !== undefined)} columns=${[
        { key: 0, label: 'Component', render: (r) => r[1] },
        { key: 1, label: 'Tokens', num: true, render: (r) => count(rec.tokensByComponent?.[r[0]]) },
        { key: 2, label: 'Cost', num: true, render: (r) => usd(rec.costByComponent[r[0]]) },
      ]} />` : null}
  </aside>`;
}

export function Requests({ state, setState }) {
  const [q, setQ] = useState(state.q ?? '');
  const [status, setStatus] = useState('');
  const [pages, setPages] = useState([]);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);
  // opening or closing a request keeps the list (and its pages) as it is
  const { open: _open, ...listState } = state;
  const base = useMemo(() => queryParams(listState, { q: listState.q, status, limit: 50 }), [JSON.stringify(listState), status]);
  const load = (cursor, reset) => {
    setLoading(true);
    const p = new URLSearchParams(base);
    if (cursor) p.set('cursor', cursor);
    getInsight('requests', p).then(
      (page) => {
        setPages((prev) => (reset ? [page] : [...prev, page]));
        setLoading(false);
      },
      (e) => {
        setError(e);
        setLoading(false);
      },
    );
  };
  useEffect(() => {
    setError(null);
    load(undefined, true);
  }, [base]);
  const records = pages.flatMap((p) => p.records);
  const next = pages.at(-1)?.next;
  const submit = async (e) => {
    e.preventDefault();
    const text = q.trim();
    // a request id opens that request; anything else searches
    if (text && !/\s/.test(text)) {
      const found = await getInsight('request', new URLSearchParams({ id: text })).catch(() => undefined);
      if (found) return setState({ ...state, open: found.requestId, q: undefined });
    }
    setState({ ...state, q: text || undefined });
  };
  return html`<div class=${`requests${state.open ? ' with-detail' : ''}`}>
    <form class="search" onSubmit=${submit} role="search">
      <input type="search" placeholder="Search: request id, model, route, error…" value=${q} onInput=${(e) => setQ(e.currentTarget.value)} aria-label="search requests" />
      <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)} aria-label="status">
        <option value="">any status</option><option value="ok">ok</option><option value="error">error</option><option value="aborted">aborted</option>
      </select>
      <button type="submit">Search</button>
    </form>
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    <${Table} id="requests" rows=${records} onRow=${(r) => setState({ ...state, open: r.requestId })} columns=${[
      { key: 'receivedAt', label: 'When (UTC)', render: (r) => when(r.receivedAt) },
      { key: 'requestId', label: 'Request', render: (r) => html`<code>${r.requestId}</code>` },
      { key: 'model', label: 'Model', render: (r) => r.model ?? r.requestedModel },
      { key: 'route', label: 'Route', render: (r) => r.route ?? '—' },
      { key: 'team', label: 'Team', render: (r) => r.team ?? '—' },
      { key: 'status', label: 'Status', render: (r) => html`<span class=${`status status-${r.status}`}>${r.status}</span>` },
      { key: 'cacheStatus', label: 'Cache', render: (r) => r.cacheStatus ?? '—' },
      { key: 'latencyMs', label: 'Latency', num: true, render: (r) => ms(r.latencyMs) },
      { key: 'tokens', label: 'Tokens', num: true, render: (r) => tokens((r.usage?.input ?? 0) + (r.usage?.cacheRead ?? 0) + (r.usage?.cacheWrite5m ?? 0) + (r.usage?.cacheWrite1h ?? 0) + (r.usage?.output ?? 0)) },
      { key: 'costUsd', label: 'Cost', num: true, render: (r) => usd(r.costUsd) },
    ]} />
    ${!loading && records.length === 0 ? html`<${Empty} what="requests" />` : null}
    ${next ? html`<button class="more" disabled=${loading} onClick=${() => load(next)}>More</button>` : null}
    ${state.open ? html`<${RequestDetail} id=${state.open} onClose=${() => setState({ ...state, open: undefined })} />` : null}
  </div>`;
}
