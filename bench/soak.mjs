// `npm run bench:soak`: the gateway (built, a child process) with the cache on (the demo's levers:
// exact + semantic cache at any temperature, the `auto` route) under a steady open-loop load for
// `--minutes` at `--rate` requests/s, against the simulator in its own process. The traffic is a
// realistic repeat mix: a Zipf draw over the prompts of data/demo/*.jsonl (FAQ questions and
// their paraphrases at the head, so some repeats are exact and some semantic) plus a share of
// one-off questions that are never asked again (the long tail that keeps filling the cache).
// Per minute: the gateway's RSS and CPU, p50/p99/max latency, rate, errors, cache hits.
// Targets (issue 13): RSS growth <= 10% after the warm-up, a flat p99 (per-minute p99 within 2x). bench/results/soak.json.

import { readFileSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { installCleanup, makeTempDir, removeTempDir } from './lib/children.mjs';
import { assertBuilt, readLedgerIds, root, startGateway, startSim, writeGatewayConfig } from './lib/procs.mjs';
import { rng } from './lib/fuzz-cases.mjs';
import { summarize } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: a } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '2' }, // minutes before the RSS baseline is taken
    unique: { type: 'string', default: '0.3' }, // share of one-off prompts
    zipf: { type: 'string', default: '1.1' }, // Zipf exponent over the repeated prompts
    connections: { type: 'string', default: '128' },
    seed: { type: 'string', default: '3' },
    'cache-max-mb': { type: 'string' }, // cache.maxBytes in MiB (default: the config's, 256 MiB), to reach the bound within a short run
    out: { type: 'string', default: join(here, 'results', 'soak.json') },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  console.log('usage: node bench/soak.mjs [--minutes N] [--rate R] [--warmup minutes] [--unique 0..1] [--zipf s] [--connections C] [--seed S] [--cache-max-mb M] [--out file]');
  process.exit(0);
}
const num = (k, min, max = Infinity) => {
  const v = Number(a[k]);
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`bench:soak: --${k} must be a number in [${min}, ${max}] (got ${a[k]})`);
    process.exit(2);
  }
  return v;
};
const MINUTES = num('minutes', 0.1);
const RATE = num('rate', 1);
const WARMUP = num('warmup', 0, MINUTES);
const UNIQUE = num('unique', 0, 1);
const ZIPF = num('zipf', 0);
const CONNECTIONS = Math.round(num('connections', 1));
const SEED = Math.round(num('seed', 0));
const CACHE_MAX_MB = a['cache-max-mb'] === undefined ? undefined : num('cache-max-mb', 1);
const log = (s) => console.log(s);
installCleanup();
assertBuilt();

// ---- the prompt mix ----------------------------------------------------------------------------
const demoDir = join(root, 'data', 'demo');
const prompts = [];
for (const f of readdirSync(demoDir).filter((n) => n.endsWith('.jsonl')).sort()) {
  for (const line of readFileSync(join(demoDir, f), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const j = JSON.parse(line);
    if (j.question) prompts.push({ text: j.question, paraphrase: j.paraphrase, src: f });
    else if (j.prompt) prompts.push({ text: j.prompt.slice(0, 2000), src: f });
    else if (Array.isArray(j.turns)) prompts.push({ text: j.turns[0], src: f });
  }
}
// FAQ first: the most-asked questions of a support bot are its FAQ
prompts.sort((x, y) => Number(y.src === 'faq.jsonl') - Number(x.src === 'faq.jsonl'));
const weights = prompts.map((_, i) => 1 / (i + 1) ** ZIPF);
const cum = [];
weights.reduce((s, w, i) => (cum[i] = s + w), 0);
const r = rng(SEED);
const drawPrompt = () => {
  if (r.chance(UNIQUE)) return `${r.pick(prompts).text.slice(0, 300)} (asked by customer ${r.int(0, 1e9)})`;
  const x = r.next() * cum.at(-1);
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (cum[m] < x) lo = m + 1;
    else hi = m;
  }
  const p = prompts[lo];
  return p.paraphrase && r.chance(0.3) ? p.paraphrase : p.text;
};
const makeRequest = () => {
  const text = drawPrompt();
  const roll = r.next();
  const stream = r.chance(0.3);
  if (roll < 0.55) {
    const body = { model: r.chance(0.2) ? 'auto' : 'gpt-4o-mini', messages: [{ role: 'user', content: text }], max_tokens: r.int(20, 50) };
    if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
    return { path: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: 'Bearer tg-soak' }, body: JSON.stringify(body) };
  }
  if (roll < 0.9) {
    const body = { model: 'claude-3-5-haiku', max_tokens: r.int(20, 50), messages: [{ role: 'user', content: text }], ...(stream ? { stream: true } : {}) };
    return { path: '/v1/messages', headers: { 'content-type': 'application/json', 'x-api-key': 'tg-soak', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) };
  }
  return { path: '/v1/embeddings', headers: { 'content-type': 'application/json', authorization: 'Bearer tg-soak' }, body: JSON.stringify({ model: 'text-embedding-3-small', input: text }) };
};

// ---- process figures ---------------------------------------------------------------------------
const CLK = 100; // USER_HZ on Linux
function procStats(pid) {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { rss, cpu_s: (Number(f[11]) + Number(f[12])) / CLK };
  } catch {
    return null;
  }
}

// ---- run ---------------------------------------------------------------------------------------
const started = new Date();
const loadBefore = os.loadavg();
const sim = await startSim({ seed: SEED });
const dataDir = makeTempDir('tollgate-soak-data-');
let gw;
const minutes = [];
const ids = [];
let result;
try {
  const cfg = await writeGatewayConfig({ simUrl: sim.url, dataDir, levers: true });
  if (CACHE_MAX_MB !== undefined) {
    const c = JSON.parse(readFileSync(cfg, 'utf8'));
    c.cache = { ...c.cache, maxBytes: Math.round(CACHE_MAX_MB * 2 ** 20) };
    writeFileSync(cfg, JSON.stringify(c, null, 2));
  }
  gw = await startGateway(cfg);
  log(`soak: ${MINUTES} min at ${RATE}/s (warm-up ${WARMUP} min), ${prompts.length} prompts (Zipf s=${ZIPF}) + ${UNIQUE * 100}% one-off; gateway pid ${gw.child.pid}`);
  const pool = new Pool(gw.url, { connections: CONNECTIONS, keepAliveTimeout: 60_000 });
  const interval = 1000 / RATE;
  const total = Math.round(MINUTES * 60 * RATE);
  const t0 = performance.now();
  let cur = null;
  const newMinute = (m) => ({ minute: m, sent: 0, ok: 0, non2xx: 0, errors: 0, cache_hits: 0, latency: [], rss_samples: [], lag: [] });
  const inflight = new Set();
  let gone = false;
  const fire = async () => {
    const req = makeRequest();
    const s = performance.now();
    try {
      const res = await pool.request({ method: 'POST', path: req.path, headers: req.headers, body: req.body, headersTimeout: 60_000, bodyTimeout: 60_000 });
      const id = res.headers['x-tollgate-request-id'];
      const cache = res.headers['x-tollgate-cache'];
      await res.body.dump({ limit: Infinity }).catch(() => res.body.text());
      // counted in the minute it completes (a closed minute's row is final)
      const bucket = cur;
      if (res.statusCode >= 200 && res.statusCode < 300) {
        bucket.ok++;
        bucket.latency.push(performance.now() - s);
        if (cache === 'hit' || cache === 'semantic_hit' || /hit/.test(cache ?? '')) bucket.cache_hits++;
      } else bucket.non2xx++;
      if (id && ids.length < 5_000_000) ids.push(id);
    } catch {
      cur.errors++;
    }
  };
  const sampler = setInterval(() => {
    const p = procStats(gw.child.pid);
    if (p && cur) cur.rss_samples.push(p.rss);
  }, 2000);
  let cpuPrev = procStats(gw.child.pid)?.cpu_s ?? 0;
  const closeMinute = () => {
    if (!cur) return;
    const p = procStats(gw.child.pid);
    const lat = summarize(cur.latency);
    const row = {
      minute: cur.minute + 1,
      sent: cur.sent,
      ok: cur.ok,
      non2xx: cur.non2xx,
      errors: cur.errors,
      cache_hit_pct: cur.ok ? Math.round((1000 * cur.cache_hits) / cur.ok) / 10 : null,
      p50_ms: lat.p50_ms,
      p99_ms: lat.p99_ms,
      max_ms: lat.max_ms,
      rss_mb: p ? Math.round(p.rss / 2 ** 20) : null,
      rss_max_mb: cur.rss_samples.length ? Math.round(Math.max(...cur.rss_samples) / 2 ** 20) : null,
      cpu_pct: p ? Math.round(((p.cpu_s - cpuPrev) / 60) * 1000) / 10 : null,
      driver_lag_p99_ms: summarize(cur.lag).p99_ms,
    };
    if (p) cpuPrev = p.cpu_s;
    minutes[cur.minute] = row;
    log(`soak: minute ${row.minute}: ${row.ok}/${row.sent} ok, p50 ${row.p50_ms} p99 ${row.p99_ms} ms, RSS ${row.rss_mb} MB, CPU ${row.cpu_pct}%, cache hits ${row.cache_hit_pct}%, non-2xx ${row.non2xx}, errors ${row.errors}`);
  };
  let i = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (gw.exit) {
        gone = true;
        return resolve();
      }
      while (i < total && t0 + i * interval <= now) {
        const m = Math.floor((i * interval) / 60_000);
        if (!cur || cur.minute !== m) {
          closeMinute();
          cur = newMinute(m);
        }
        cur.sent++;
        cur.lag.push(now - (t0 + i * interval));
        const p = fire();
        inflight.add(p);
        p.finally(() => inflight.delete(p));
        i++;
      }
      if (i < total) setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  await Promise.allSettled([...inflight]);
  closeMinute();
  clearInterval(sampler);
  await pool.close();
  const crashed = gone || !!gw.exit;
  if (!crashed) await gw.stop(120_000);
  const ledger = await readLedgerIds(dataDir, { idsOnly: true });
  const missing = ids.filter((id) => !ledger.has(id)).length;

  const rows = minutes.filter(Boolean);
  const warm = rows.filter((m) => m.minute > WARMUP);
  const base = warm[0] ?? rows[0];
  const last = rows.at(-1);
  const rssGrowth = base?.rss_mb && last?.rss_mb ? Math.round(((last.rss_mb - base.rss_mb) / base.rss_mb) * 1000) / 10 : null;
  const p99s = warm.map((m) => m.p99_ms).filter((x) => x != null);
  const p99Ratio = p99s.length >= 2 ? Math.round((p99s.at(-1) / p99s[0]) * 100) / 100 : null;
  const p99Spread = p99s.length ? Math.round((Math.max(...p99s) / Math.min(...p99s)) * 100) / 100 : null;
  result = {
    date: started.toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cpus: os.cpus().length, mem_gib: Math.round(os.totalmem() / 2 ** 30), load_average_before: loadBefore.map((x) => Math.round(x * 100) / 100) },
    node: process.version,
    settings: { minutes: MINUTES, rate_rps: RATE, warmup_minutes: WARMUP, unique_share: UNIQUE, zipf_s: ZIPF, prompts: prompts.length, connections: CONNECTIONS, seed: SEED, cache_max_bytes: CACHE_MAX_MB === undefined ? 'config default (256 MiB)' : Math.round(CACHE_MAX_MB * 2 ** 20), config: 'the demo config with its levers (exact + semantic cache at any temperature, the auto route) against `tollgate sim --latency-scale 0`' },
    crashed,
    gateway_exit: gw.exit,
    minutes: rows,
    sent: rows.reduce((s, m) => s + m.sent, 0),
    ok: rows.reduce((s, m) => s + m.ok, 0),
    non2xx: rows.reduce((s, m) => s + m.non2xx, 0),
    errors: rows.reduce((s, m) => s + m.errors, 0),
    rss_after_warmup_mb: base?.rss_mb ?? null,
    rss_end_mb: last?.rss_mb ?? null,
    rss_growth_after_warmup_pct: rssGrowth,
    p99_last_over_first_after_warmup: p99Ratio,
    p99_max_over_min_after_warmup: p99Spread,
    ledger: { answered_with_id: ids.length, missing },
    targets: [
      { name: 'RSS growth after warm-up <= 10%', value: rssGrowth, pass: rssGrowth != null && rssGrowth <= 10 },
      // max/min rather than last/first: one starved minute at either end must not pass or fail it alone
      { name: 'flat p99 (max / min of the per-minute p99 after warm-up <= 2)', value: p99Spread, pass: p99Spread != null && p99Spread <= 2 },
      { name: 'no errors or non-2xx', value: rows.reduce((s, m) => s + m.non2xx + m.errors, 0), pass: rows.every((m) => m.non2xx + m.errors === 0) },
      { name: 'every answered request in the ledger', value: missing, pass: missing === 0 },
    ],
  };
} finally {
  if (gw) await gw.stop(10_000);
  await sim.stop();
  removeTempDir(dataDir);
}
mkdirSync(dirname(a.out), { recursive: true });
writeFileSync(a.out, JSON.stringify(result, null, 2) + '\n');
log(`\nsoak ${result.date}: ${result.sent} requests over ${MINUTES} min at ${RATE}/s; ok ${result.ok}, non-2xx ${result.non2xx}, errors ${result.errors}${result.crashed ? ', GATEWAY DIED' : ''}`);
log(`  RSS ${result.rss_after_warmup_mb} MB after warm-up -> ${result.rss_end_mb} MB at the end (${result.rss_growth_after_warmup_pct}%); p99 last/first after warm-up ${result.p99_last_over_first_after_warmup}, max/min ${result.p99_max_over_min_after_warmup}`);
for (const t of result.targets) log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.value}`);
log(`wrote ${a.out}`);
