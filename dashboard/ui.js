// Small components the pages share: a chart, a figure, a card grid, a table, loading states.

import { h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import htm from 'htm';
import * as echarts from 'echarts';

export const html = htm.bind(h);

// the browser tests (and anyone in the console) read a chart's data through the library's own API
globalThis.echarts = echarts;

/** an ECharts chart; `id` names it for tests (data-chart) and `points` says how much data it drew */
export function Chart({ id, option, height = 320, points }) {
  const el = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    chart.current = echarts.init(el.current, null, { renderer: 'canvas' });
    const ro = new ResizeObserver(() => chart.current?.resize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);
  return html`<div class="chart" data-chart=${id} data-points=${points ?? ''} ref=${el} style=${`height:${height}px`}></div>`;
}

/** a headline number; `value` is the exact figure (data-value, for tests), `text` how it reads */
export function Figure({ id, label, value, text, sub }) {
  return html`<div class="figure" data-figure=${id} data-value=${value === null || value === undefined ? '' : String(value)}>
    <div class="label">${label}</div>
    <div class="value">${text}</div>
    ${sub ? html`<div class="sub">${sub}</div>` : null}
  </div>`;
}

export function Panel({ title, children, wide, note }) {
  return html`<section class=${`panel${wide ? ' wide' : ''}`}>
    <h2>${title}</h2>
    ${note ? html`<p class="note">${note}</p>` : null}
    ${children}
  </section>`;
}

export function Empty({ what }) {
  return html`<p class="empty">No ${what} in this range.</p>`;
}

export function Table({ id, columns, rows, onRow }) {
  return html`<div class="table-wrap"><table class="table" data-table=${id}>
    <thead><tr>${columns.map((c) => html`<th class=${c.num ? 'num' : ''}>${c.label}</th>`)}</tr></thead>
    <tbody>
      ${rows.map(
        (r, i) => html`<tr onClick=${onRow ? () => onRow(r, i) : undefined} class=${onRow ? 'clickable' : ''}>
          ${columns.map((c) => html`<td class=${c.num ? 'num' : ''} data-col=${c.key}>${c.render ? c.render(r) : r[c.key]}</td>`)}
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}
