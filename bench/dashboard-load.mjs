// How long the dashboard takes to load with a month of demo data: a data directory seeded the way
// `npm start` seeds it (src/demo/history.ts, a month of synthetic traffic), the real gateway, and
// Chromium (playwright-core, /usr/bin/chromium) signed in through the form. For each page, a fresh
// load (`page.reload` after a cold first visit) is timed from navigation start (performance.now()
// in the page) to every chart of the page drawn, over the last 30 days. Several rounds; medians.
//
//   npm run bench:dashboard                         # 30,000 records (the demo's month)
//   node bench/dashboard-load.mjs --records 300000  # a bigger month
//
// Writes bench/results/dashboard-load.json.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { seedDemoHistory } from '../dist/demo/history.js';
import { startGateway } from '../dist/server/gateway.js';
import { startSimulator } from '../dist/sim/index.js';
import { resolveConfig } from '../dist/config/load.js';
import { demoConfig } from '../dist/config/demo.js';
import { hashKey } from '../dist/server/auth.js';
import { CHROMIUM_ARGS, findChromium } from '../dist/report/pdf.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const RECORDS = arg('records', 30_000);
const ROUNDS = arg('rounds', 5);
const ADMIN = 'tg_bench_admin';

const PAGES = {
  overview: ['overview-spend', 'overview-requests'],
  spend: ['spend-daily', 'spend-cost-per-request', 'spend-tokens-model', 'spend-tokens-team'],
  latency: ['latency-e2e', 'latency-ttft', 'latency-components'],
  cache: ['cache-hit-rate', 'cache-prompt'],
  models: ['models-share', 'models-flows'],
  'hidden-costs': ['hidden-costs'],
  waterfall: ['waterfall'],
  requests: [],
};

const executablePath = findChromium();
if (!executablePath) {
  console.error('bench/dashboard-load: no Chromium (apt-get install chromium, or TOLLGATE_CHROMIUM=...)');
  process.exit(2);
}

const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-dash-'));
const seedStart = performance.now();
const seeded = await seedDemoHistory({ dataDir, count: RECORDS });
const seedMs = performance.now() - seedStart;
console.log(`seeded ${seeded.records} records over 30 days in ${(seedMs / 1000).toFixed(1)} s`);

const sim = await startSimulator({ port: 0, latencyScale: 0 });
const config = resolveConfig(
  { ...demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false }), auth: { mode: 'keys', keys: [{ id: 'ops', sha256: hashKey(ADMIN), role: 'admin' }] } },
  '(bench)',
  {},
);
const gw = await startGateway({ config, port: 0 });
const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
await page.goto(`${gw.url}/dashboard`);
await page.fill('#key', ADMIN);
await Promise.all([page.waitForURL(`${gw.url}/dashboard`), page.click('button[type=submit]')]);

async function timeLoad(name, charts, reload) {
  const url = `${gw.url}/dashboard#/${name}?from=30d`;
  if (reload) await page.reload();
  else await page.goto(url);
  if (page.url() !== url) await page.goto(url);
  await page.waitForSelector(`[data-page-body="${name}"]`);
  await page.waitForFunction(() => !document.querySelector('.page .loading'), undefined, { polling: 10 });
  for (const c of charts) await page.waitForSelector(`[data-chart="${c}"] canvas`, { timeout: 60_000 });
  if (name === 'requests') await page.waitForSelector('[data-table="requests"] tbody tr');
  return page.evaluate(() => performance.now());
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = {};
for (const [name, charts] of Object.entries(PAGES)) {
  await page.goto('about:blank');
  const cold = await timeLoad(name, charts, false);
  const warm = [];
  for (let i = 0; i < ROUNDS; i++) warm.push(await timeLoad(name, charts, true));
  results[name] = { coldMs: Math.round(cold), reloadMedianMs: Math.round(median(warm)), reloadMaxMs: Math.round(Math.max(...warm)) };
  console.log(`${name.padEnd(13)} first load ${results[name].coldMs} ms, reload median ${results[name].reloadMedianMs} ms (max ${results[name].reloadMaxMs}) to every chart drawn`);
}

const out = {
  date: new Date().toISOString(),
  machine: `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  records: seeded.records,
  days: 30,
  seedSeconds: Number((seedMs / 1000).toFixed(1)),
  rounds: ROUNDS,
  pages: results,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/dashboard-load.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log(`load average ${out.loadAverage.join(' ')}; bench/results/dashboard-load.json`);

await browser.close();
await gw.close();
await sim.close();
rmSync(dataDir, { recursive: true, force: true });
