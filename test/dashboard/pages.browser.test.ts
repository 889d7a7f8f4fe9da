// The dashboard in a real browser (playwright-core driving Debian's Chromium) against a real
// gateway whose data directory holds a seeded week of synthetic traffic: sign in through the form,
// open every page, check that each chart drew data and that its numbers are the ledger's (computed
// here from the seeded records), and screenshot each page (written to docs/screenshots/ only with TOLLGATE_WRITE_SCREENSHOTS=1).

import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { resolveConfig } from '../../src/config/load.js';
import { demoConfig } from '../../src/config/demo.js';
import { hashKey } from '../../src/server/auth.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { startSimulator } from '../../src/sim/index.js';
import { CHROMIUM, NO_CHROMIUM, chartSeries, figureValue, launchBrowser, screenshot, signIn, yOf } from './browser.js';
import { close, exactPercentile, modelOf, routeOf, seedLedger, sum, truth, type SeededLedger } from './ledger-truth.js';

const ADMIN = 'tg_browser_admin_key';
const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');
/** the histograms' relative error (log buckets of 2^(1/8)): a percentile is within it of the exact one */
const PERCENTILE_TOLERANCE = 0.05;

if (!CHROMIUM) console.warn(`test/dashboard/pages.browser.test.ts: ${NO_CHROMIUM}`);

describe.skipIf(!CHROMIUM)('the dashboard in Chromium', () => {
  let seeded: SeededLedger;
  let t: ReturnType<typeof truth>;
  let sim: { url: string; close(): Promise<void> };
  let gw: RunningGateway;
  let browser: Browser;
  let page: Page;
  /** the seeded range, fixed in the URL so every page reads exactly the seeded records */
  let range: string;

  beforeAll(async () => {
    seeded = await seedLedger();
    t = truth(seeded.records);
    sim = await startSimulator({ port: 0, latencyScale: 0, seed: 7 });
    const config = resolveConfig(
      {
        ...demoConfig({ simUrl: sim.url, port: 0, dataDir: seeded.dataDir, levers: false }),
        auth: { mode: 'keys', keys: [{ id: 'ops', sha256: hashKey(ADMIN), role: 'admin' }] },
      },
      '(test)',
      {},
    );
    gw = await startGateway({ config, port: 0 });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('pageerror', (e) => console.error(`browser: ${e.message}`));
    await signIn(page, gw.url, ADMIN);
    range = `from=${new Date(seeded.from).toISOString()}&to=${new Date(seeded.to).toISOString()}`;
    mkdirSync(SHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await sim?.close();
    if (seeded) rmSync(seeded.dataDir, { recursive: true, force: true });
  });

  /** opens a page of the app and waits until its charts are drawn; returns how long that took */
  async function open(name: string, extra = '', charts: string[] = []): Promise<number> {
    const started = Date.now();
    await page.goto(`${gw.url}/dashboard#/${name}?${range}${extra}`);
    await page.waitForSelector(`[data-page-body="${name}"]`);
    await page.waitForFunction(() => !document.querySelector('.page .loading'));
    for (const c of charts) await page.waitForSelector(`[data-chart="${c}"] canvas`);
    const error = await page.$('.page [role=alert]');
    expect(error && (await error.textContent())).toBeNull();
    return Date.now() - started;
  }

  // checked non-empty every run; written to docs/screenshots only with TOLLGATE_WRITE_SCREENSHOTS=1
  const shot = (name: string) => screenshot(page, SHOTS, name);

  it('Overview: the headline figures are the ledger\'s, and its charts drew the range', async () => {
    const ms = await open('overview', '', ['overview-spend', 'overview-requests']);
    console.log(`dashboard: overview drawn ${ms} ms after navigation (${seeded.records.length} records, a week; not an assertion)`);
    expect(await figureValue(page, 'requests')).toBe(t.requests);
    expect(close(await figureValue(page, 'costUsd'), t.costUsd)).toBe(true);
    expect(close(await figureValue(page, 'savedUsd'), t.savedUsd)).toBe(true);
    expect(close(await figureValue(page, 'errorRate'), t.errorRate)).toBe(true);
    expect(close(await figureValue(page, 'cacheHitRate'), t.cacheHitRate)).toBe(true);
    expect(close(await figureValue(page, 'costPerRequestUsd'), t.costUsd / t.requests)).toBe(true);
    expect(close(await figureValue(page, 'spendToday'), t.spendTodayUsd)).toBe(true);
    const p50 = (await figureValue(page, 'latencyP50'))!;
    expect(Math.abs(p50 - t.latencyP50!) / t.latencyP50!).toBeLessThan(PERCENTILE_TOLERANCE);
    const ttft = (await figureValue(page, 'ttftP50'))!;
    expect(Math.abs(ttft - t.ttftP50!) / t.ttftP50!).toBeLessThan(PERCENTILE_TOLERANCE);
    // the spend chart's points add up to the range's spend, and the requests chart's to its count
    const spend = await chartSeries(page, 'overview-spend');
    expect(close(sum(spend.flatMap((s) => s.data.map(yOf))), t.costUsd)).toBe(true);
    const requests = await chartSeries(page, 'overview-requests');
    expect(sum(requests.flatMap((s) => s.data.map(yOf)))).toBe(t.requests);
    expect(requests.map((s) => s.name).sort()).toEqual([...new Set(seeded.records.map((r) => r.status))].sort());
    await shot('overview');
  });

  it('a filter narrows every figure to its records (model)', async () => {
    const model = [...t.costByModel.keys()].sort()[0]!;
    const mine = seeded.records.filter((r) => modelOf(r) === model);
    await open('overview', `&model=${encodeURIComponent(model)}`, ['overview-spend']);
    expect(await page.inputValue('[data-filter="model"]')).toBe(model);
    expect(await figureValue(page, 'requests')).toBe(mine.length);
    expect(close(await figureValue(page, 'costUsd'), sum(mine.map((r) => r.costUsd)))).toBe(true);
  });

  it('Spend: daily spend by model, cost per request by route, tokens per model and team', async () => {
    await open('spend', '', ['spend-daily', 'spend-cost-per-request', 'spend-tokens-model', 'spend-tokens-team']);
    const daily = await chartSeries(page, 'spend-daily');
    expect(new Set(daily.map((s) => s.name))).toEqual(new Set(t.costByModel.keys()));
    for (const s of daily) expect(close(sum(s.data.map(yOf)), t.costByModel.get(s.name)!), s.name).toBe(true);
    // one bar per route: its cost per request
    const perRequest = await page.evaluate(() => {
      const el = document.querySelector('[data-chart="spend-cost-per-request"]') as HTMLElement;
      const o = (globalThis as any).echarts.getInstanceByDom(el).getOption();
      return { routes: o.yAxis[0].data as string[], values: o.series[0].data as number[] };
    });
    expect(perRequest.routes.length).toBe(t.costByRoute.size);
    perRequest.routes.forEach((route, i) => expect(close(perRequest.values[i], t.costByRoute.get(route)! / t.requestsByRoute.get(route)!), route).toBe(true));
    const tokens = await chartSeries(page, 'spend-tokens-model');
    const output = tokens.find((s) => s.name === 'output')!;
    expect(sum(output.data.map(yOf))).toBe(sum(seeded.records.map((r) => r.usage.output)));
    // switching the grouping redraws the daily chart by team
    await page.click('.tabs button:has-text("by team")');
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-chart="spend-daily"]') as HTMLElement | null;
      return el !== null && (globalThis as any).echarts.getInstanceByDom(el)?.getOption()?.series.some((s: { name: string }) => s.name === 'support');
    });
    const byTeam = await chartSeries(page, 'spend-daily');
    for (const s of byTeam) expect(close(sum(s.data.map(yOf)), t.costByTeam.get(s.name)!), s.name).toBe(true);
    await shot('spend');
  });

  it('Latency: percentiles over time and where the time goes', async () => {
    await open('latency', '', ['latency-e2e', 'latency-ttft', 'latency-components']);
    const e2e = await chartSeries(page, 'latency-e2e');
    expect(e2e.map((s) => s.name)).toEqual(['P50', 'P95', 'P99']);
    for (const s of e2e) expect(s.data.length, s.name).toBeGreaterThan(24);
    // over the range each hourly P95 sits around the range's P95: their median is within 25% of it
    const p95s = e2e[1]!.data.map(yOf);
    expect(Math.abs(exactPercentile(p95s, 50)! - t.latencyP95!) / t.latencyP95!).toBeLessThan(0.25);
    expect(close(await figureValue(page, 'component-overheadMs'), t.overheadAvgMs)).toBe(true);
    await shot('latency');
  });

  it('Cache: hit rate per hour, savings, prompt-cache reads and writes', async () => {
    await open('cache', '', ['cache-hit-rate', 'cache-prompt']);
    expect(close(await figureValue(page, 'cacheHitRate'), t.cacheHitRate)).toBe(true);
    expect(await figureValue(page, 'promptCacheRead')).toBe(t.promptCacheReadTokens);
    expect(await figureValue(page, 'promptCacheWrite')).toBe(t.promptCacheWriteTokens);
    const rate = await chartSeries(page, 'cache-hit-rate');
    expect(rate.find((s) => s.name === 'Exact hits')!.data.length).toBeGreaterThan(24);
    const exactLevers = (t.levers.get('exact_cache') ?? 0) + (t.levers.get('semantic_cache') ?? 0);
    expect(close(await figureValue(page, 'cacheSavedUsd'), exactLevers)).toBe(true);
    await shot('cache');
  });

  it('Models: share per day adds to 100%, and every route → model flow is the ledger\'s', async () => {
    await open('models', '', ['models-share', 'models-flows']);
    const share = await chartSeries(page, 'models-share');
    const perDay = new Map<number, number>();
    for (const s of share) for (const d of s.data as [number, number][]) perDay.set(d[0], (perDay.get(d[0]) ?? 0) + d[1]);
    for (const v of perDay.values()) expect(v).toBeCloseTo(1, 9);
    const links = await page.evaluate(() => {
      const el = document.querySelector('[data-chart="models-flows"]') as HTMLElement;
      return (globalThis as any).echarts.getInstanceByDom(el).getOption().series[0].links as { source: string; target: string; value: number }[];
    });
    const drawn = new Map(links.map((l) => [`${l.source.replace('route: ', '')} → ${l.target.replace('model: ', '')}`, l.value]));
    expect(drawn).toEqual(t.flows);
    await shot('models');
  });

  it('Hidden costs: each route\'s input dollars by prompt component', async () => {
    await open('hidden-costs', '', ['hidden-costs']);
    const o = await page.evaluate(() => {
      const el = document.querySelector('[data-chart="hidden-costs"]') as HTMLElement;
      const opt = (globalThis as any).echarts.getInstanceByDom(el).getOption();
      return { routes: opt.yAxis[0].data as string[], series: opt.series.map((s: { name: string; data: number[] }) => ({ name: s.name, data: s.data })) };
    });
    const names: Record<string, string> = { system: 'System prompt', tools: 'Tool definitions', context: 'Retrieved context', history: 'Conversation history', user: "User's message" };
    let checked = 0;
    for (const [route, comps] of t.componentUsd) {
      const i = o.routes.indexOf(route);
      expect(i, route).toBeGreaterThanOrEqual(0);
      for (const [k, usd] of comps) {
        const s = o.series.find((x: { name: string }) => x.name === names[k])!;
        expect(close(s.data[i], usd), `${route} ${k}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
    await shot('hidden-costs');
  });

  it('Savings waterfall: from the counterfactual to the actual cost, one bar per lever, telescoping', async () => {
    await open('waterfall', '', ['waterfall']);
    expect(close(await figureValue(page, 'counterfactualUsd'), t.counterfactualUsd)).toBe(true);
    expect(close(await figureValue(page, 'actualUsd'), t.costUsd)).toBe(true);
    const o = await page.evaluate(() => {
      const el = document.querySelector('[data-chart="waterfall"]') as HTMLElement;
      const opt = (globalThis as any).echarts.getInstanceByDom(el).getOption();
      return { labels: opt.xAxis[0].data as string[], saved: opt.series[1].data as unknown[], cost: opt.series[2].data as unknown[] };
    });
    const leverNames: Record<string, string> = { tiering: 'Model tiering', exact_cache: 'Exact cache', semantic_cache: 'Semantic cache', prompt_caching: 'Prompt caching', trimming: 'Trimming', batching: 'Batching', retries: 'Retries', own_calls: "Gateway's own calls" };
    expect(o.labels.slice(1, -1).sort()).toEqual([...t.levers.keys()].map((l) => leverNames[l]).sort());
    o.labels.slice(1, -1).forEach((label, j) => {
      const lever = Object.keys(leverNames).find((k) => leverNames[k] === label)!;
      const v = o.saved[j + 1] !== '-' ? yOf(o.saved[j + 1]) : -yOf(o.cost[j + 1]);
      expect(close(v, t.levers.get(lever)!), label).toBe(true);
    });
    expect(close(yOf(o.saved[0]), t.counterfactualUsd)).toBe(true);
    expect(close(yOf(o.saved.at(-1)), t.costUsd)).toBe(true);
    await shot('waterfall');
  });

  it('Requests: newest first; a request id opens its timeline, trail, attempts, tokens and cost', async () => {
    await open('requests');
    const newest = [...seeded.records].sort((a, b) => b.receivedAt - a.receivedAt)[0]!;
    expect(await page.textContent('[data-table="requests"] tbody tr:first-child [data-col="requestId"]')).toBe(newest.requestId);
    // search by id: pick a request with retries, so the trail and attempts have something to show
    const target = seeded.records.find((r) => (r.attempts?.length ?? 0) > 1 && r.route) ?? seeded.records[100]!;
    await page.fill('input[type="search"]', target.requestId);
    await page.press('input[type="search"]', 'Enter');
    await page.waitForSelector(`[data-request="${target.requestId}"]`);
    await page.waitForSelector('[data-chart="request-timeline"] canvas');
    expect(close(await figureValue(page, 'detail-cost'), target.costUsd)).toBe(true);
    expect(await page.locator('[data-table="attempts"] tbody tr').count()).toBe(target.attempts?.length ?? 0);
    expect(await page.locator('[data-table="trail"] li').count()).toBe(target.trail.length);
    const timeline = await chartSeries(page, 'request-timeline');
    // the whole request, the queue, the wait for the first token, the generation (each when measured), each attempt
    const phases = [true, target.dequeuedAt !== undefined, target.upstreamSentAt !== undefined && target.firstTokenAt !== undefined, target.firstTokenAt !== undefined].filter(Boolean).length;
    expect(timeline[1]!.data.length).toBe(phases + (target.attempts?.length ?? 0));
    await shot('request');
    // a text search finds records by route
    await page.click('.detail .close');
    const route = routeOf(target);
    await page.fill('input[type="search"]', route);
    await page.press('input[type="search"]', 'Enter');
    await page.waitForFunction((r) => {
      const cells = [...document.querySelectorAll('[data-table="requests"] tbody [data-col="route"]')];
      return cells.length > 0 && cells.every((c) => c.textContent === r);
    }, route);
    await shot('requests');
    // pages of 50, newest first; "More" appends the next page, and opening a request keeps them
    const rows = page.locator('[data-table="requests"] tbody tr');
    expect(await rows.count()).toBe(50);
    await page.click('button.more');
    await page.waitForFunction(() => document.querySelectorAll('[data-table="requests"] tbody tr').length === 100);
    const ofRoute = seeded.records.filter((r) => routeOf(r) === route).sort((a, b) => b.receivedAt - a.receivedAt);
    expect(await page.textContent('[data-table="requests"] tbody tr:nth-child(100) [data-col="requestId"]')).toBe(ofRoute[99]!.requestId);
    await rows.nth(60).click();
    await page.waitForSelector(`[data-request="${ofRoute[60]!.requestId}"]`);
    expect(await rows.count()).toBe(100);
  });
});
