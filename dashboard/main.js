// The dashboard's shell: navigation, the time range and filters, and the page they apply to. The
// state lives in the URL's hash (#/spend?from=7d&model=gpt-4o), so a view can be bookmarked and
// shared, and the back button works.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getInsight, queryParams } from './api.js';
import { Alerts, Budgets, Experiments } from './control-pages.js';
import { Cache, HiddenCosts, Latency, Models, Overview, Requests, Spend, Waterfall } from './pages.js';
import { html } from './ui.js';

const ALL_PAGES = [
  ['overview', 'Overview', Overview],
  ['spend', 'Spend', Spend],
  ['latency', 'Latency', Latency],
  ['cache', 'Cache', Cache],
  ['models', 'Models', Models],
  ['hidden-costs', 'Hidden costs', HiddenCosts],
  ['waterfall', 'Savings waterfall', Waterfall],
  ['requests', 'Requests', Requests],
  ['budgets', 'Budgets', Budgets],
  ['alerts', 'Alerts', Alerts],
  ['experiments', 'Experiments', Experiments],
];

/** pages of the state in force now: the range and the filters do not apply to them */
const NOW_PAGES = new Set(['budgets', 'alerts', 'experiments']);

/**
 * Pages whose routes cover every tenant: a tenant admin (an admin key with a team) is refused them
 * by the gateway, so they are not offered to one.
 */
const GLOBAL_PAGES = new Set(['alerts', 'experiments']);

const PAGES = document.body.dataset.team === undefined ? ALL_PAGES : ALL_PAGES.filter(([id]) => !GLOBAL_PAGES.has(id));

const RANGES = [
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];

const FILTERS = ['route', 'model', 'team', 'key'];
const STATE_KEYS = ['from', 'to', ...FILTERS, 'q', 'open'];

function readHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const p = new URLSearchParams(query);
  const state = { from: '24h' };
  for (const k of STATE_KEYS) if (p.get(k)) state[k] = p.get(k);
  return { page: PAGES.some(([id]) => id === path) ? path : 'overview', state };
}

function writeHash(page, state) {
  const p = new URLSearchParams();
  for (const k of STATE_KEYS) if (state[k]) p.set(k, state[k]);
  const next = `#/${page}?${p}`;
  if (location.hash !== next) location.hash = next;
}

/** the values each filter can take in the range, from the breakdown endpoint */
function useFilterOptions(from, to) {
  const [options, setOptions] = useState({});
  useEffect(() => {
    const ctl = new AbortController();
    Promise.all(FILTERS.map((f) => getInsight('breakdown', queryParams({ from, to }, { groupBy: f }), ctl.signal).then((a) => [f, a.rows.map((r) => r.key)])))
      .then((pairs) => setOptions(Object.fromEntries(pairs)))
      .catch(() => {});
    return () => ctl.abort();
  }, [from, to]);
  return options;
}

function toLocalInput(v) {
  const t = Date.parse(v);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 16) : '';
}

function FilterBar({ state, setState }) {
  const options = useFilterOptions(state.from, state.to);
  const custom = !RANGES.some(([r]) => r === state.from) || state.to;
  return html`<form class="filters" onSubmit=${(e) => e.preventDefault()}>
    <label>Range
      <select data-filter="range" value=${custom ? 'custom' : state.from} onChange=${(e) => {
        const v = e.currentTarget.value;
        if (v === 'custom') setState({ ...state, from: new Date(Date.now() - 7 * 86400_000).toISOString().slice(0, 16) + 'Z', to: new Date().toISOString().slice(0, 16) + 'Z' });
        else setState({ ...state, from: v, to: undefined });
      }}>
        ${RANGES.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
        <option value="custom">Custom…</option>
      </select>
    </label>
    ${custom ? html`
      <label>From (UTC) <input type="datetime-local" value=${toLocalInput(state.from)} onChange=${(e) => setState({ ...state, from: `${e.currentTarget.value}Z` })} /></label>
      <label>To (UTC) <input type="datetime-local" value=${toLocalInput(state.to)} onChange=${(e) => setState({ ...state, to: `${e.currentTarget.value}Z` })} /></label>` : null}
    ${FILTERS.map((f) => {
      const values = options[f] ?? [];
      const list = state[f] && !values.includes(state[f]) ? [state[f], ...values] : values;
      return html`<label>${f}
        <select data-filter=${f} value=${state[f] ?? ''} onChange=${(e) => setState({ ...state, [f]: e.currentTarget.value || undefined })}>
          <option value="">all</option>
          ${list.map((v) => html`<option value=${v}>${v}</option>`)}
        </select>
      </label>`;
    })}
  </form>`;
}

function App() {
  const [{ page, state }, setRoute] = useState(readHash);
  useEffect(() => {
    const onHash = () => setRoute(readHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const go = (p, s) => {
    writeHash(p, s);
    setRoute({ page: p, state: s });
  };
  const [, title, Page] = PAGES.find(([id]) => id === page);
  const who = document.body.dataset;
  return html`<div class="shell">
    <header>
      <span class="brand">Tollgate</span>
      <nav>${PAGES.map(([id, label]) => html`<a href=${`#/${id}?${new URLSearchParams(Object.entries(state).filter(([k, v]) => v && k !== 'open' && k !== 'q'))}`} class=${id === page ? 'on' : ''} data-page=${id}>${label}</a>`)}</nav>
      <span class="who">${who.keyId}${who.team ? ` (team ${who.team})` : ''}
        ${who.session === 'cookie' ? html`<form method="post" action="/dashboard/sign-out"><button type="submit">Sign out</button></form>` : null}
      </span>
    </header>
    <main>
      <h1>${title}</h1>
      ${NOW_PAGES.has(page) ? null : html`<${FilterBar} state=${state} setState=${(s) => go(page, s)} />`}
      <div class="page" data-page-body=${page}><${Page} key=${page} state=${state} setState=${(s) => go(page, s)} /></div>
    </main>
  </div>`;
}

// the shell's "Loading…" is for the seconds before this module runs: Preact appends, so clear it first
const root = document.getElementById('app');
root.replaceChildren();
render(html`<${App} />`, root);
