// The pages of what the gateway enforces and watches now: Budgets (GET /admin/budgets), Alerts
// (GET /admin/alerts and /admin/alerts/history) and Experiments (GET /admin/experiments, and the
// ramp history from GET /admin/flags/audit). They show the state in force, so the range and the
// filters do not apply to them. Rules, budgets and experiments are changed with an admin key (the
// CLI, the admin API): a browser session only reads.

import { useEffect, useState } from 'preact/hooks';
import { getAdmin } from './api.js';
import * as cc from './control-charts.js';
import { count, pct, usd, when } from './format.js';
import { Chart, Figure, Panel, Table, html } from './ui.js';

/** the flags audit holds every flag's changes; the ramp history is read from its newest page */
export const AUDIT_PAGE = 500;

/** GETs admin paths (name → [path, params]); `reload` reads them again */
function useAdmin(wants, deps = []) {
  const [state, setState] = useState({ data: null, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setState({ data: null, error: null });
    Promise.all(Object.entries(wants).map(async ([name, [path, params]]) => [name, await getAdmin(path, new URLSearchParams(params ?? {}), ctl.signal)]))
      .then((pairs) => setState({ data: Object.fromEntries(pairs), error: null }))
      .catch((err) => {
        if (err.name !== 'AbortError') setState({ data: null, error: err });
      });
    return () => ctl.abort();
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

function Loaded({ q, children }) {
  if (q.error) return html`<p class="error" role="alert">Could not load: ${q.error.message}</p>`;
  if (!q.data) return html`<p class="loading">Loading…</p>`;
  return children(q.data);
}

/** a table cell's figure with its exact value (data-value, for tests) */
const exact = (value, text) => html`<span data-value=${value === null || value === undefined ? '' : String(value)}>${text}</span>`;

const Refresh = ({ q }) => html`<button class="refresh" onClick=${q.reload}>Refresh</button>`;

export function Budgets() {
  const q = useAdmin({ budgets: ['/admin/budgets'] });
  return html`<${Loaded} q=${q}>${({ budgets: { budgets } }) => {
    const early = budgets.filter((b) => b.exhaustsBeforeReset);
    const spent = budgets.filter((b) => b.spentUsd >= b.limitUsd);
    return html`
    <div class="figures">
      <${Figure} id="budgetCount" label="Budgets in force" value=${budgets.length} text=${count(budgets.length)} />
      <${Figure} id="budgetsExhausting" label="Run out before they reset" value=${early.length} text=${count(early.length)} sub="at this period's pace" />
      <${Figure} id="budgetsSpent" label="Spent to the limit" value=${spent.length} text=${count(spent.length)} />
    </div>
    <div class="grid">
      <${Panel} title="Spent and remaining, this period" wide note="one bar per budget: what it has spent this period (its share of the limit on the bar), what remains, and any spend past a notify-only limit"><${Refresh} q=${q} />
        ${budgets.length ? html`<${Chart} id="budgets" height=${Math.max(160, budgets.length * 44 + 72)} points=${budgets.length} option=${cc.budgetsChart(budgets)} />` : html`<p class="empty">No budgets are configured: add them under <code>budgets:</code> in tollgate.yaml or with <code>PUT /admin/budgets</code>.</p>`}
      <//>
      <${Panel} title="Every budget" wide note="the burn rate is this period's spend per day so far; the forecast is when the limit is reached at that pace">
        <${Table} id="budgets" rows=${budgets} columns=${[
          { key: 'budget', label: 'Budget', render: (b) => html`<span data-value=${cc.budgetLabel(b)}>${b.scope} <b>${b.id}</b></span>` },
          { key: 'period', label: 'Period', render: (b) => `${b.period} (${b.periodLabel}, ${b.timeZone})` },
          { key: 'limitUsd', label: 'Limit', num: true, render: (b) => exact(b.limitUsd, usd(b.limitUsd)) },
          { key: 'spentUsd', label: 'Spent', num: true, render: (b) => exact(b.spentUsd, usd(b.spentUsd)) },
          { key: 'remainingUsd', label: 'Remaining', num: true, render: (b) => exact(b.remainingUsd, usd(b.remainingUsd)) },
          { key: 'used', label: 'Used', num: true, render: (b) => exact(b.used, pct(b.used)) },
          { key: 'burnRateUsdPerDay', label: 'Burn rate', num: true, render: (b) => exact(b.burnRateUsdPerDay, `${usd(b.burnRateUsdPerDay)}/day`) },
          {
            key: 'forecastExhaustedAt',
            label: 'Runs out (UTC)',
            render: (b) => html`<span data-value=${b.forecastExhaustedAt ?? ''} class=${b.exhaustsBeforeReset ? 'status-error' : ''}>${b.forecastExhaustedAt === null ? (b.spentUsd >= b.limitUsd ? 'spent' : '—') : `${when(b.forecastExhaustedAt)}${b.exhaustsBeforeReset ? '' : ' (after the reset)'}`}</span>`,
          },
          { key: 'resetsAt', label: 'Resets (UTC)', render: (b) => when(b.resetsAt) },
          { key: 'action', label: 'At the limit', render: (b) => (b.action === 'downgrade' ? `downgrade at ${pct(b.downgradeAt)}${b.downgradeTo ? ` to ${b.downgradeTo}` : ''}, then reject` : b.action) },
          { key: 'source', label: 'Set in' },
        ]} />
      <//>
    </div>`;
  }}<//>`;
}

const RULE_PAGE = 100;

function AlertHistory({ rules }) {
  const [rule, setRule] = useState('');
  const [pages, setPages] = useState([]);
  const [error, setError] = useState(null);
  const load = (before, reset) => {
    const p = new URLSearchParams({ limit: String(RULE_PAGE) });
    if (rule) p.set('rule', rule);
    if (before !== undefined) p.set('before', String(before));
    getAdmin('/admin/alerts/history', p).then((a) => setPages((prev) => (reset ? [a.events] : [...prev, a.events])), setError);
  };
  useEffect(() => {
    setError(null);
    setPages([]);
    load(undefined, true);
  }, [rule]);
  const events = pages.flat();
  const more = pages.length > 0 && pages.at(-1).length === RULE_PAGE;
  return html`<${Panel} title="History" wide note="every notice the evaluator sent, newest first: when a rule started firing and when it resolved">
    <div class="search">
      <select aria-label="rule" data-filter="alert-rule" value=${rule} onChange=${(e) => setRule(e.currentTarget.value)}>
        <option value="">every rule</option>
        ${rules.map((r) => html`<option value=${r.name}>${r.name}</option>`)}
      </select>
    </div>
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    ${events.length ? html`<${Chart} id="alert-history" height=${Math.max(140, new Set(events.map((e) => e.rule)).size * 36 + 80)} points=${events.length} option=${cc.alertHistoryChart(events)} />` : html`<p class="empty">No notices yet.</p>`}
    <${Table} id="alert-history" rows=${events} columns=${[
      { key: 'at', label: 'When (UTC)', render: (e) => exact(e.at, when(e.at)) },
      { key: 'rule', label: 'Rule' },
      { key: 'state', label: 'Notice', render: (e) => html`<span class=${e.state === 'firing' ? 'status-error' : 'status-ok'}>${e.state}</span>` },
      { key: 'value', label: 'Value', num: true, render: (e) => exact(e.value, cc.formatMetric(rules.find((r) => r.name === e.rule)?.metric, e.value)) },
      { key: 'threshold', label: 'Threshold', num: true, render: (e) => exact(e.threshold, cc.formatMetric(rules.find((r) => r.name === e.rule)?.metric, e.threshold)) },
      { key: 'delivered', label: 'Delivered to', render: (e) => (e.delivered.length ? e.delivered.join(', ') : '—') },
      { key: 'failed', label: 'Failed', render: (e) => (e.failed?.length ? e.failed.map((f) => `${f.channel}: ${f.error}`).join('; ') : '') },
    ]} />
    ${more ? html`<button class="more" onClick=${() => load(events.at(-1).seq)}>Older</button>` : null}
  <//>`;
}

const scopeText = (scope) => (scope ? Object.entries(scope).map(([k, v]) => `${k} ${v}`).join(', ') : 'everything');

export function Alerts() {
  const q = useAdmin({ alerts: ['/admin/alerts'] });
  return html`<${Loaded} q=${q}>${({ alerts: a }) => {
    const byName = new Map(a.states.map((s) => [s.rule, s]));
    const rows = a.rules.map((rule) => ({ rule, state: byName.get(rule.name) ?? { state: 'ok', lastValue: null } }));
    const firing = rows.filter((r) => r.state.state === 'firing');
    return html`
    <div class="figures">
      <${Figure} id="alertRules" label="Rules" value=${rows.length} text=${count(rows.length)} sub=${`evaluated every ${a.intervalSeconds} s`} />
      <${Figure} id="alertsFiring" label="Firing" value=${firing.length} text=${count(firing.length)} sub=${firing.map((r) => r.rule.name).join(', ') || 'none'} />
      <${Figure} id="alertErrors" label="Failed evaluations" value=${a.errors} text=${count(a.errors)} sub="a metric that could not be read; the rule keeps its state" />
    </div>
    <div class="grid">
      <${Panel} title="Last value against threshold" wide note="each rule's last evaluated value as a share of its threshold; red while firing (for a rule that fires below its threshold, under 100% is firing)"><${Refresh} q=${q} />
        ${rows.some((r) => r.state.lastValue !== null) ? html`<${Chart} id="alert-values" height=${Math.max(140, rows.length * 40 + 60)} points=${rows.length} option=${cc.alertValuesChart(rows)} />` : html`<p class="empty">${rows.length ? 'No rule has been evaluated with data yet.' : 'No alert rules: add them under alerts.rules in tollgate.yaml or with PUT /admin/alerts/rules.'}</p>`}
      <//>
      <${Panel} title="Rules" wide>
        <${Table} id="alert-rules" rows=${rows} columns=${[
          { key: 'name', label: 'Rule', render: (r) => html`<b>${r.rule.name}</b>` },
          { key: 'state', label: 'State', render: (r) => html`<span data-value=${r.state.state} class=${r.state.state === 'firing' ? 'status-error' : 'status-ok'}>${r.state.state}</span>` },
          { key: 'metric', label: 'Metric', render: (r) => `${r.rule.metric}${r.rule.spike ? ' (spike)' : ''}${r.rule.burnRate ? ' (burn rate)' : ''}` },
          { key: 'window', label: 'Window', render: (r) => r.rule.window },
          { key: 'scope', label: 'Scope', render: (r) => scopeText(r.rule.scope) },
          { key: 'lastValue', label: 'Last value', num: true, render: (r) => exact(r.state.lastValue, cc.formatMetric(r.rule.metric, r.state.lastValue)) },
          { key: 'threshold', label: 'Threshold', num: true, render: (r) => exact(r.rule.threshold, `${(r.rule.direction ?? (r.rule.metric === 'cache_hit_rate' ? 'below' : 'above')) === 'below' ? '<' : '>'} ${r.rule.spike ? `${r.rule.threshold} MADs` : cc.formatMetric(r.rule.metric, r.rule.threshold)}`) },
          { key: 'since', label: 'Since (UTC)', render: (r) => (r.state.since ? when(r.state.since) : '—') },
          { key: 'lastEvaluatedAt', label: 'Evaluated (UTC)', render: (r) => (r.state.lastEvaluatedAt ? when(r.state.lastEvaluatedAt) : '—') },
          { key: 'action', label: 'Action', render: (r) => (r.rule.action ? `sets flag ${r.rule.action.setFlag.name}` : '') },
          { key: 'source', label: 'Set in', render: (r) => r.state.source ?? '' },
          { key: 'lastError', label: 'Last error', render: (r) => html`<span class="error">${r.state.lastError ?? ''}</span>` },
        ]} />
      <//>
      <${AlertHistory} rules=${a.rules} />
    </div>`;
  }}<//>`;
}

const ARM_ROWS = [
  ['requests', 'Requests', (a) => count(a.requests)],
  ['errors', 'Errors', (a) => count(a.errors ?? 0)],
  ['errorRate', 'Error rate', (a) => pct(a.requests ? (a.errors ?? 0) / a.requests : null)],
  ['meanLatencyMs', 'Mean latency', (a) => cc.formatGuardrail('latency_ms', a.meanLatencyMs)],
  ['costPerRequestUsd', 'Cost per request', (a) => cc.formatGuardrail('cost_per_request_usd', a.costPerRequestUsd)],
  ['requestsThisStep', 'Requests in this step', (a) => count(a.requestsThisStep ?? 0)],
];

const armValue = (a, k) => (k === 'errorRate' ? (a.requests ? (a.errors ?? 0) / a.requests : null) : (a[k] ?? (k === 'errors' || k === 'requestsThisStep' ? 0 : null)));

function Experiment({ e, changes }) {
  const name = e.def.name;
  const verdictClass = (v) => (v === 'breached' ? 'status-error' : v === 'holds' ? 'status-ok' : 'status-aborted');
  const ramp = changes.filter((c) => c.name === `experiment:${name}` && c.at >= e.startedAt).sort((a, b) => a.seq - b.seq);
  return html`<section class="experiment" data-experiment=${name}>
    <h2>${name} <span class=${`badge state-${e.state}`} data-value=${e.state}>${e.state.replace('_', ' ')}</span></h2>
    <div class="figures">
      <${Figure} id=${`${name}-share`} label="Variant's share" value=${e.sharePercent} text=${`${e.sharePercent}%`} sub=${`step ${e.step + 1} of ${e.def.ramp.length}: ${e.def.ramp.map((s) => `${s}%`).join(' → ')}`} />
      <${Figure} id=${`${name}-target`} label="On" value=${e.def.target} text=${e.def.target} sub=${`sticky by ${e.def.stickyBy}`} />
      <${Figure} id=${`${name}-started`} label="Started (UTC)" value=${e.startedAt} text=${when(e.startedAt)} sub=${`by ${e.startedBy}`} />
      <${Figure} id=${`${name}-confidence`} label="Confidence" value=${1 - e.def.alpha} text=${pct(1 - e.def.alpha)} sub=${`always-valid intervals; steps of at least ${e.def.minStepMinutes} min and ${count(e.def.minSamples)} requests per arm`} />
    </div>
    ${e.reason ? html`<p class="note" data-reason>${e.state === 'rolled_back' ? 'Rolled back: ' : e.state === 'stopped' ? 'Stopped: ' : ''}${e.reason}${e.endedAt ? ` (${when(e.endedAt)} UTC)` : ''}</p>` : null}
    <div class="grid">
      <${Panel} title="The arms side by side" note=${`variant: ${JSON.stringify(e.def.variant)}`}>
        <${Table} id=${`${name}-arms`} rows=${ARM_ROWS} columns=${[
          { key: 'what', label: '', render: (r) => r[1] },
          { key: 'control', label: 'Control', num: true, render: (r) => exact(armValue(e.arms.control, r[0]), r[2](e.arms.control)) },
          { key: 'variant', label: 'Variant', num: true, render: (r) => exact(armValue(e.arms.variant, r[0]), r[2](e.arms.variant)) },
        ]} />
      <//>
      <${Panel} title="Guardrails" note="the variant's difference from the control with its confidence interval, in units of the margin it is allowed: a breach rolls it back, every guardrail holding promotes it">
        ${e.guardrails.some((g) => g.comparison && g.margin > 0) ? html`<${Chart} id=${`${name}-guardrails`} height=${260} points=${e.guardrails.filter((g) => g.comparison).length} option=${cc.guardrailsChart(e)} />` : html`<p class="empty">No interval yet: each arm needs requests.</p>`}
      <//>
      <${Panel} title="Guardrail figures" wide>
        <${Table} id=${`${name}-guardrails`} rows=${e.guardrails} columns=${[
          { key: 'metric', label: 'Guardrail', render: (g) => cc.GUARDRAIL_NAMES[g.metric] ?? g.metric },
          { key: 'control', label: 'Control', num: true, render: (g) => exact(g.control, cc.formatGuardrail(g.metric, g.control)) },
          { key: 'variant', label: 'Variant', num: true, render: (g) => exact(g.variant, cc.formatGuardrail(g.metric, g.variant)) },
          { key: 'diff', label: 'Difference', num: true, render: (g) => exact(g.comparison?.diff, cc.formatGuardrail(g.metric, g.comparison?.diff)) },
          { key: 'ci', label: `${pct(1 - e.def.alpha)} interval`, num: true, render: (g) => html`<span data-value=${g.comparison ? g.comparison.ci.join(',') : ''}>${g.comparison ? `${cc.formatGuardrail(g.metric, g.comparison.ci[0])} .. ${cc.formatGuardrail(g.metric, g.comparison.ci[1])}` : '—'}</span>` },
          { key: 'margin', label: 'Allowed', num: true, render: (g) => exact(g.margin, cc.formatGuardrail(g.metric, g.margin)) },
          { key: 'verdict', label: 'Verdict', render: (g) => html`<span data-value=${g.verdict} class=${verdictClass(g.verdict)}>${g.verdict}</span>` },
        ]} />
      <//>
      <${Panel} title="Ramp history" wide note=${`every change of the share flag experiment:${name}, from the flags audit (its newest ${AUDIT_PAGE} changes)`}>
        ${ramp.length ? html`<${Chart} id=${`${name}-ramp`} height=${200} points=${ramp.length} option=${cc.rampChart(ramp, e.endedAt ?? Date.now())} />` : html`<p class="empty">No share changes in the audit's newest page.</p>`}
        <${Table} id=${`${name}-ramp`} rows=${[...ramp].reverse()} columns=${[
          { key: 'at', label: 'When (UTC)', render: (c) => exact(c.at, when(c.at)) },
          { key: 'share', label: 'Share', num: true, render: (c) => exact(c.action === 'unset' ? 0 : c.after?.value, c.action === 'unset' ? 'unset' : `${c.after?.value}%`) },
          { key: 'by', label: 'By' },
          { key: 'reason', label: 'Why', render: (c) => html`<span class="wrap">${c.reason}</span>` },
        ]} />
      <//>
    </div>
  </section>`;
}

export function Experiments() {
  const q = useAdmin({ experiments: ['/admin/experiments'], audit: ['/admin/flags/audit', { limit: String(AUDIT_PAGE) }] });
  return html`<${Loaded} q=${q}>${({ experiments: { experiments }, audit: { changes } }) => {
    const order = { running: 0, completed: 1, rolled_back: 2, stopped: 3 };
    const list = [...experiments].sort((a, b) => (order[a.state] ?? 9) - (order[b.state] ?? 9) || b.startedAt - a.startedAt);
    const running = list.filter((e) => e.state === 'running');
    return html`
    <div class="figures">
      <${Figure} id="experimentsRunning" label="Running" value=${running.length} text=${count(running.length)} sub=${running.map((e) => e.def.name).join(', ') || 'none'} />
      <${Figure} id="experimentsRolledBack" label="Rolled back" value=${list.filter((e) => e.state === 'rolled_back').length} text=${count(list.filter((e) => e.state === 'rolled_back').length)} />
      <${Figure} id="experimentsCompleted" label="Completed" value=${list.filter((e) => e.state === 'completed').length} text=${count(list.filter((e) => e.state === 'completed').length)} />
    </div>
    <${Refresh} q=${q} />
    ${list.length ? list.map((e) => html`<${Experiment} key=${e.def.name} e=${e} changes=${changes} />`) : html`<p class="empty">No experiments: start one with <code>POST /admin/experiments</code> (or <code>tollgate experiment start</code>).</p>`}`;
  }}<//>`;
}
