// The Budgets, Alerts and Experiments pages in a real browser (playwright-core driving Debian's
// Chromium) against a real gateway in front of the simulator, configured with budgets, alert rules
// (one that fires, evaluated with POST /admin/alerts/evaluate) and an experiment (POST
// /admin/experiments) that traffic sent with the OpenAI SDK ramps: sign in through the form as a
// person does, open each page, check that its figures, tables and bars are the admin API's JSON,
// and screenshot each (written to docs/screenshots/ only with TOLLGATE_WRITE_SCREENSHOTS=1).

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { resolveConfig } from '../../src/config/load.js';
import { demoConfig } from '../../src/config/demo.js';
import { hashKey } from '../../src/server/auth.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { startSimulator } from '../../src/sim/index.js';
import { CHROMIUM, NO_CHROMIUM, chartSeries, figureValue, launchBrowser, screenshot, signIn, yOf } from './browser.js';

const ADMIN = 'tg_control_admin_key';
const CLIENT = 'tg_control_client_key';
const TENANT_ADMIN = 'tg_control_support_admin';
const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');

if (!CHROMIUM) console.warn(`test/dashboard/control.browser.test.ts: ${NO_CHROMIUM}`);

interface Budget { scope: string; id: string; period: string; limitUsd: number; spentUsd: number; remainingUsd: number; used: number; burnRateUsdPerDay: number; forecastExhaustedAt: string | null }
interface RuleState { rule: string; state: 'ok' | 'firing'; lastValue: number | null }
interface AlertEvent { seq: number; at: number; rule: string; state: string; value: number | null; threshold: number }
interface Guardrail { metric: string; control: number | null; variant: number | null; margin: number | null; comparison?: { diff: number; ci: [number, number] }; verdict: string }
interface Arm { requests: number; errors?: number; meanLatencyMs?: number | null; costPerRequestUsd?: number | null }
interface ExperimentStatus { def: { name: string; ramp: number[] }; state: string; step: number; startedAt: number; sharePercent: number; arms: { control: Arm; variant: Arm }; guardrails: Guardrail[] }
interface FlagChange { seq: number; at: number; name: string; action: string; by: string; after?: { value: unknown } }

const relClose = (a: number | null, b: number | null, tol = 1e-9): boolean => a !== null && b !== null && Math.abs(a - b) <= tol * Math.max(1e-12, Math.abs(a), Math.abs(b));

describe.skipIf(!CHROMIUM)('the Budgets, Alerts and Experiments pages in Chromium', () => {
  let dataDir: string;
  let sim: { url: string; close(): Promise<void> };
  let gw: RunningGateway;
  let browser: Browser;
  let page: Page;

  async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status, `${method} ${path}`).toBe(200);
    return (await res.json()) as T;
  }

  /** n chat completions to `model` through the OpenAI SDK, each in a session of its own (so the experiment's arms both get some) */
  let sessions = 0;
  async function traffic(model: string, n: number): Promise<void> {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CLIENT, maxRetries: 0 });
    for (let i = 0; i < n; i += 4) {
      await Promise.all(
        Array.from({ length: Math.min(4, n - i) }, () =>
          client.chat.completions.create({ model, messages: [{ role: 'user', content: `question ${sessions}` }], max_tokens: 24 }, { headers: { 'x-tollgate-session': `s-${sessions++}` } }),
        ),
      );
    }
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tollgate-control-'));
    sim = await startSimulator({ port: 0, latencyScale: 0, seed: 11 });
    const config = resolveConfig(
      {
        ...demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false }),
        auth: {
          mode: 'keys',
          keys: [
            { id: 'ops', sha256: hashKey(ADMIN), role: 'admin' },
            { id: 'support-app', sha256: hashKey(CLIENT), team: 'support' },
            { id: 'support-admin', sha256: hashKey(TENANT_ADMIN), team: 'support', role: 'admin' },
          ],
        },
        budgets: [
          { scope: 'team', id: 'support', period: 'month', limitUsd: 0.02 },
          // a soft cap the traffic passes, so the page has spend past a limit to show
          { scope: 'key', id: 'support-app', period: 'day', limitUsd: 0.004, action: 'notify' },
          { scope: 'team', id: 'growth', period: 'day', limitUsd: 5 },
        ],
        alerts: {
          // the test evaluates on demand; the timer must not move the states while the page is read
          intervalSeconds: 3600,
          rules: [
            { name: 'any-spend', metric: 'spend_usd', threshold: 0.001, window: '1h' },
            { name: 'errors', metric: 'error_rate', threshold: 0.5, window: '1h', minRequests: 1 },
            { name: 'growth-spend', metric: 'spend_usd', threshold: 1, window: '1h', scope: { team: 'growth' } },
          ],
        },
      },
      '(test)',
      {},
    );
    gw = await startGateway({ config, port: 0 });
    await admin('POST', '/admin/experiments', { name: 'mini-for-4o', target: 'gpt-4o', variant: { model: 'gpt-4o-mini' }, ramp: [50, 100], minStepMinutes: 0, minSamples: 6, guardrails: { errorRateIncrease: 0.5, latencyIncrease: 5, costIncrease: 5 } });
    await traffic('gpt-4o', 40);
    await gw.ledger.flush();
    // the alert evaluator reads the rollups: evaluate until the spend rule sees the traffic (no clock involved)
    let states: RuleState[] = [];
    for (let i = 0; i < 50 && !states.some((s) => s.rule === 'any-spend' && s.state === 'firing'); i++) {
      states = (await admin<{ states: RuleState[] }>('POST', '/admin/alerts/evaluate')).states;
    }
    expect(states.find((s) => s.rule === 'any-spend')?.state).toBe('firing');
    await admin('POST', '/admin/experiments/evaluate');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('pageerror', (e) => console.error(`browser: ${e.message}`));
    await signIn(page, gw.url, ADMIN);
    mkdirSync(SHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await sim?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(name: string, charts: string[] = []): Promise<void> {
    await page.goto(`${gw.url}/dashboard#/${name}`);
    await page.waitForSelector(`[data-page-body="${name}"]`);
    await page.waitForFunction(() => !document.querySelector('.loading'));
    for (const c of charts) await page.waitForSelector(`[data-chart="${c}"] canvas`);
    const error = await page.$('.page [role=alert]');
    expect(error && (await error.textContent())).toBeNull();
    // these pages show what is in force now: no range or filters
    expect(await page.$('.filters')).toBeNull();
  }

  /** a table's exact values (data-value of each cell's figure), one object per row */
  const tableValues = (id: string): Promise<Record<string, string>[]> =>
    page.$$eval(`[data-table="${id}"] tbody tr`, (rows) =>
      rows.map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.col!, td.querySelector('[data-value]')?.getAttribute('data-value') ?? td.textContent ?? '']))),
    );
  const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));

  // checked non-empty every run; written to docs/screenshots only with TOLLGATE_WRITE_SCREENSHOTS=1
  const shot = (name: string) => screenshot(page, SHOTS, name, { fullPage: true });

  it('Budgets: every budget with its limit, spent, remaining, burn rate and forecast, and a bar each, as GET /admin/budgets says', async () => {
    await open('budgets', ['budgets']);
    const { budgets } = await admin<{ budgets: Budget[] }>('GET', '/admin/budgets');
    expect(budgets).toHaveLength(3);
    const support = budgets.find((b) => b.scope === 'team' && b.id === 'support')!;
    expect(support.spentUsd).toBeGreaterThan(0);
    const rows = await tableValues('budgets');
    expect(rows.map((r) => r.budget)).toEqual(budgets.map((b) => `${b.scope} ${b.id} · ${b.period}`));
    budgets.forEach((b, i) => {
      const r = rows[i]!;
      expect(num(r.limitUsd)).toBe(b.limitUsd);
      expect(num(r.spentUsd)).toBe(b.spentUsd);
      expect(num(r.remainingUsd)).toBe(b.remainingUsd);
      expect(num(r.used)).toBe(b.used);
      // the burn rate and the forecast move with the clock between the page's read and this one
      expect(relClose(num(r.burnRateUsdPerDay), b.burnRateUsdPerDay, 1e-3) || (b.burnRateUsdPerDay === 0 && num(r.burnRateUsdPerDay) === 0), `${r.budget} burn`).toBe(true);
      if (b.forecastExhaustedAt === null) expect(r.forecastExhaustedAt).toBe('');
      else expect(Math.abs(Date.parse(r.forecastExhaustedAt!) - Date.parse(b.forecastExhaustedAt)), `${r.budget} forecast`).toBeLessThan(0.01 * (Date.parse(b.forecastExhaustedAt) - Date.now()) + 60_000);
    });
    // the bars, as shares of each budget's limit: spent (to the limit), remaining, past the limit; in the API's order
    const bars = await chartSeries(page, 'budgets');
    expect(bars.find((s) => s.name === 'Spent')!.data.map(yOf)).toEqual(budgets.map((b) => Math.min(b.used, 1)));
    expect(bars.find((s) => s.name === 'Remaining')!.data.map(yOf)).toEqual(budgets.map((b) => b.remainingUsd / b.limitUsd));
    expect(bars.find((s) => s.name === 'Over the limit')!.data.map(yOf)).toEqual(budgets.map((b) => Math.max(0, b.used - 1)));
    expect(await figureValue(page, 'budgetCount')).toBe(3);
    expect(await figureValue(page, 'budgetsSpent')).toBe(budgets.filter((b) => b.spentUsd >= b.limitUsd).length);
    await shot('budgets');
  });

  it('Alerts: each rule with its state and last value against its threshold, and the history, as GET /admin/alerts(/history) say', async () => {
    await open('alerts', ['alert-values', 'alert-history']);
    const a = await admin<{ rules: { name: string; threshold: number }[]; states: RuleState[] }>('GET', '/admin/alerts');
    const { events } = await admin<{ events: AlertEvent[] }>('GET', '/admin/alerts/history?limit=100');
    const rows = await tableValues('alert-rules');
    expect(rows.map((r) => r.name)).toEqual(a.rules.map((r) => r.name));
    a.rules.forEach((rule, i) => {
      const st = a.states.find((s) => s.rule === rule.name)!;
      expect(rows[i]!.state, rule.name).toBe(st.state);
      expect(num(rows[i]!.lastValue), rule.name).toBe(st.lastValue);
      expect(num(rows[i]!.threshold), rule.name).toBe(rule.threshold);
    });
    const firing = a.states.filter((s) => s.state === 'firing');
    expect(firing.map((s) => s.rule)).toContain('any-spend');
    expect(await figureValue(page, 'alertsFiring')).toBe(firing.length);
    // the bars: last value ÷ threshold, per rule (drawn up to twice the threshold)
    const [bars] = await chartSeries(page, 'alert-values');
    const ratio = a.rules.map((r) => {
      const v = a.states.find((s) => s.rule === r.name)!.lastValue;
      return v === null ? null : Math.min(2, v / r.threshold);
    });
    expect(bars!.data.map((d) => (yOf(d) === null || Number.isNaN(yOf(d)) ? null : yOf(d)))).toEqual(ratio);
    // the history: every notice, newest first
    expect(events.length).toBeGreaterThan(0);
    const history = await tableValues('alert-history');
    expect(history.map((h) => [num(h.at), h.rule, h.state, num(h.value), num(h.threshold)])).toEqual(events.map((e) => [e.at, e.rule, e.state, e.value, e.threshold]));
    const drawn = await chartSeries(page, 'alert-history');
    expect(drawn.find((s) => s.name === 'firing')!.data.length).toBe(events.filter((e) => e.state === 'firing').length);
    await shot('alerts');
    // the history narrows to one rule through ?rule=
    await page.selectOption('[data-filter="alert-rule"]', 'errors');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-table="alert-history"] tbody [data-col="rule"]')].every((td) => td.textContent === 'errors'));
  });

  it('Experiments: the arms side by side, guardrails with their intervals and verdicts, the share and the ramp history, as GET /admin/experiments and the flags audit say', async () => {
    const { experiments } = await admin<{ experiments: ExperimentStatus[] }>('GET', '/admin/experiments');
    const e = experiments.find((x) => x.def.name === 'mini-for-4o')!;
    await open('experiments', e.guardrails.some((g) => g.comparison) ? ['mini-for-4o-guardrails', 'mini-for-4o-ramp'] : ['mini-for-4o-ramp']);
    expect(e.arms.control.requests + e.arms.variant.requests).toBe(40);
    expect(e.arms.control.requests).toBeGreaterThan(0);
    expect(e.arms.variant.requests).toBeGreaterThan(0);
    expect(await page.getAttribute('[data-experiment="mini-for-4o"] .badge', 'data-value')).toBe(e.state);
    expect(await figureValue(page, 'mini-for-4o-share')).toBe(e.sharePercent);
    // arms side by side
    const arms = Object.fromEntries((await tableValues('mini-for-4o-arms')).map((r, i) => [['requests', 'errors', 'errorRate', 'meanLatencyMs', 'costPerRequestUsd', 'requestsThisStep'][i], r]));
    for (const arm of ['control', 'variant'] as const) {
      expect(num(arms.requests![arm]), arm).toBe(e.arms[arm].requests);
      expect(num(arms.errors![arm]), arm).toBe(e.arms[arm].errors ?? 0);
      expect(num(arms.meanLatencyMs![arm]), arm).toBe(e.arms[arm].meanLatencyMs ?? null);
      expect(num(arms.costPerRequestUsd![arm]), arm).toBe(e.arms[arm].costPerRequestUsd ?? null);
    }
    // guardrails: figures, interval and verdict
    const rails = await tableValues('mini-for-4o-guardrails');
    expect(rails).toHaveLength(e.guardrails.length);
    e.guardrails.forEach((g, i) => {
      expect(num(rails[i]!.control), g.metric).toBe(g.control);
      expect(num(rails[i]!.variant), g.metric).toBe(g.variant);
      expect(num(rails[i]!.diff), g.metric).toBe(g.comparison?.diff ?? null);
      expect(rails[i]!.ci, g.metric).toBe(g.comparison ? g.comparison.ci.join(',') : '');
      expect(rails[i]!.verdict, g.metric).toBe(g.verdict);
    });
    const compared = e.guardrails.filter((g) => g.comparison && g.margin! > 0);
    if (compared.length) {
      const drawn = await chartSeries(page, 'mini-for-4o-guardrails');
      expect(drawn.find((s) => s.name === 'difference')!.data.map(yOf)).toEqual(compared.map((g) => g.comparison!.diff / g.margin!));
    }
    // the ramp history: every change of experiment:mini-for-4o in the audit, the chart stepping through the shares
    const { changes } = await admin<{ changes: FlagChange[] }>('GET', '/admin/flags/audit?limit=500');
    const ramp = changes.filter((c) => c.name === 'experiment:mini-for-4o');
    expect(ramp.length).toBeGreaterThan(0);
    const table = await tableValues('mini-for-4o-ramp');
    expect(table.map((r) => [num(r.at), num(r.share)])).toEqual(ramp.map((c) => [c.at, Number(c.after?.value)]));
    const [line] = await chartSeries(page, 'mini-for-4o-ramp');
    expect((line!.data as [number, number][]).slice(0, -1).map((p) => p[1])).toEqual([...ramp].reverse().map((c) => Number(c.after?.value)));
    expect(ramp.at(-1)!.after?.value).toBe(e.def.ramp[0]);
    expect(ramp[0]!.after?.value).toBe(e.sharePercent);
    await shot('experiments');
  });

  it("a tenant admin's session: its team's budgets only, and no Alerts or Experiments pages (their routes cover every tenant)", async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const tenant = await context.newPage();
    try {
      await signIn(tenant, gw.url, TENANT_ADMIN);
      const offered = await tenant.$$eval('header nav a', (as) => as.map((a) => (a as HTMLElement).dataset.page));
      expect(offered).toContain('budgets');
      expect(offered).not.toContain('alerts');
      expect(offered).not.toContain('experiments');
      await tenant.goto(`${gw.url}/dashboard#/budgets`);
      await tenant.waitForSelector('[data-table="budgets"] tbody tr');
      const shown = await tenant.$$eval('[data-table="budgets"] tbody [data-col="budget"] [data-value]', (els) => els.map((e) => e.getAttribute('data-value')));
      // its team's budget and its team's keys' budgets; not team growth's
      expect(shown.sort()).toEqual(['key support-app · day', 'team support · month']);
      // a tenant admin's session asking for the global routes gets the 403 its key gets
      const status = await tenant.evaluate(async () => (await fetch('/admin/experiments')).status);
      expect(status).toBe(403);
    } finally {
      await context.close();
    }
  });
});
