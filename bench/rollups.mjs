// The rollup engine, chosen by measurement (issue 8): a generated month of traffic (10 million
// records by default, src/insights/synthetic-ledger.ts) through
//   sqlite: the ledger store's commit (records + rollups, the ingest worker's path), then every
//           dashboard query of the admin query API (src/insights/queries.ts) over the rollups;
//   duckdb: the same records appended to a DuckDB table (columns only, no JSON), then the same
//           questions asked as SQL over the raw rows (the "no rollups, a columnar engine" design).
// `npm run bench:rollups [-- --records N] [-- --engine sqlite|duckdb|both] [-- --dir DIR]`; the
// figures go to stdout and bench/results/rollups.json, the summary to bench/RESULTS.md by hand.
// Also: `--days D` (a shorter span at the same density), `--ingest-only`, and `--queries-only
// --dir DIR` (time the queries over a ledger kept by an earlier run; bench/results/rollups-queries.json).
// Ingest is reported per wall-clock second and per CPU-second of the ingest thread, with the load
// average seen during it: on a shared box the wall clock measures the neighbours too. The npm
// script runs it with --max-semi-space-size=32, the young generation the ingest worker gets
// (src/ledger/ledger.ts maxYoungGenerationSizeMb: 96).
// Targets: ingest ≥ 20,000 records/s; each dashboard query ≤ 300 ms over 10M records and a month.

import { mkdirSync, mkdtempSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const { syntheticRecords } = await import(`${root}/insights/synthetic-ledger.js`);
const { SqliteLedgerStore } = await import(`${root}/stores/sqlite/ledger-store.js`);
const Q = await import(`${root}/insights/queries.js`);

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const N = Number(arg('records', 10_000_000));
const ENGINE = arg('engine', 'both');
const FROM = Date.UTC(2026, 10, 1);
// --days D: a shorter span at the same density (records per hour) for a quicker ingest figure
const TO = FROM + Number(arg('days', 30)) * 86_400_000;
const NOW = TO - 1;
const CHUNK = 2800; // about one 4 MB chunk of journal lines (LEDGER_DEFAULTS.chunkBytes), one ingest transaction
const gen = () => syntheticRecords({ from: FROM, to: TO, count: N, seed: 42 });
const dir = arg('dir', mkdtempSync(join(tmpdir(), 'tollgate-bench-rollups-')));
const log = (s) => process.stderr.write(`${s}\n`);
const results = { machine: `${cpus().length} × ${cpus()[0]?.model}`, date: new Date().toISOString(), loadBefore: loadavg().map((x) => x.toFixed(2)).join(' '), records: N, engines: {} };

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeQueries(queries, runs = 5) {
  const out = {};
  for (const [name, fn] of queries) {
    const times = [];
    let answer;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      answer = await fn();
      times.push(performance.now() - t);
    }
    out[name] = { firstMs: +times[0].toFixed(1), medianMs: +median(times).toFixed(1), maxMs: +Math.max(...times).toFixed(1) };
    log(`  ${name.padEnd(44)} first ${times[0].toFixed(1).padStart(7)} ms  median ${median(times).toFixed(1).padStart(7)} ms  ${JSON.stringify(answer, (_k, v) => (typeof v === "bigint" ? Number(v) : v)).length} B`);
  }
  return out;
}

const day = 86_400_000;
const month = { from: FROM, to: TO };
const week = { from: TO - 7 * day, to: TO };
const last24h = { from: TO - day, to: TO };

async function sqlite() {
  // --queries-only --dir DIR: time the queries over a ledger a previous run kept (--keep or --dir)
  const queriesOnly = process.argv.includes('--queries-only');
  if (!queriesOnly) log(`sqlite: ingesting ${N.toLocaleString()} records into ${dir}`);
  const store = SqliteLedgerStore.open(dir);
  // how much of the ingest is the rollups: time spent in fold (and the final flush)
  let rollupMs = 0;
  const fold = store.rollups.fold.bind(store.rollups);
  store.rollups.fold = (recs) => {
    const t = performance.now();
    fold(recs);
    rollupMs += performance.now() - t;
  };
  let batch = [];
  let offset = 0;
  let done = 0;
  let genMs = 0;
  // CPU time of this thread spent in the commits (the load average moves the wall clock, not this)
  let cpuUs = 0;
  const loads = [];
  const commit = (b, state) => {
    const c = process.cpuUsage();
    store.commit(b, state);
    const d = process.cpuUsage(c);
    cpuUs += d.user + d.system;
  };
  const started = performance.now();
  let tg = performance.now();
  for (const rec of queriesOnly ? [] : gen()) {
    batch.push({ rec, json: JSON.stringify(rec) });
    if (batch.length === CHUNK) {
      genMs += performance.now() - tg;
      commit(batch, { segment: 0, offset: (offset += CHUNK), corrupt: 0 });
      done += batch.length;
      batch = [];
      if (done % 100_000 < CHUNK) loads.push(loadavg()[0]);
      if (done % 1_000_000 < CHUNK) log(`  ${done.toLocaleString()} records, ${Math.round(done / ((performance.now() - started - genMs) / 1000)).toLocaleString()} records/s (load ${loadavg()[0].toFixed(1)})`);
      tg = performance.now();
    }
  }
  genMs += performance.now() - tg;
  if (batch.length) commit(batch, { segment: 0, offset: offset + batch.length, corrupt: 0 });
  const tf = performance.now();
  const cf = process.cpuUsage();
  store.flushRollups();
  const cfd = process.cpuUsage(cf);
  cpuUs += cfd.user + cfd.system;
  rollupMs += performance.now() - tf;
  const ingestMs = performance.now() - started - genMs;
  const size = readdirSync(dir).filter((f) => f.startsWith('ledger.db')).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  const cells = store.rollups.read({ grain: 'hour', from: FROM, to: TO, filters: {}, bucketMs: 0, parts: 'sums' });
  const ingestLoad = loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : loadavg()[0].toFixed(1);
  if (!queriesOnly) log(`  ingest: ${Math.round(N / (cpuUs / 1e6)).toLocaleString()} records per CPU-second of the ingest thread (load ${ingestLoad})`);
  if (!queriesOnly) log(`  ingest: ${Math.round(N / (ingestMs / 1000)).toLocaleString()} records/s (records + rollups); rollups alone ${Math.round(N / (rollupMs / 1000)).toLocaleString()} records/s; ledger.db ${(size / 1e9).toFixed(2)} GB`);
  const src = { rollups: store.rollups, ledger: store, now: () => NOW };
  const q = (range, extra = {}) => ({ ...range, ...extra });
  const anId = `syn_${(N - 5).toString(36).padStart(8, '0')}`;
  const queries = [
    ['overview, month', () => Q.overview(src, q(month))],
    ['overview, last 24 h', () => Q.overview(src, q(last24h))],
    ['overview, month, team=search (tenant admin)', () => Q.overview(src, q(month, { team: 'search' }))],
    ['overview, month, route+model+key (all-dims cube)', () => Q.overview(src, q(month, { route: 'support-chat', model: 'claude-3-5-haiku-latest', key: 'key-support-1' }))],
    ['timeseries cost_usd by day × model, month', () => Q.timeseries(src, q(month), 'cost_usd', 'day', 'model')],
    ['timeseries cost_usd by day × team, month', () => Q.timeseries(src, q(month), 'cost_usd', 'day', 'team')],
    ['timeseries requests by hour, month', () => Q.timeseries(src, q(month), 'requests', 'hour')],
    ['timeseries cache_hit_rate by hour, month', () => Q.timeseries(src, q(month), 'cache_hit_rate', 'hour')],
    ['timeseries error_rate by hour, month', () => Q.timeseries(src, q(month), 'error_rate', 'hour')],
    ['timeseries latency_p95_ms by hour, month', () => Q.timeseries(src, q(month), 'latency_p95_ms', 'hour')],
    ['timeseries ttft_p99_ms by minute, last 24 h', () => Q.timeseries(src, q(last24h), 'ttft_p99_ms', 'minute')],
    ['breakdown by route, month', () => Q.breakdown(src, q(month), 'route')],
    ['breakdown by key, month', () => Q.breakdown(src, q(month), 'key')],
    ['breakdown by model, month, team=search', () => Q.breakdown(src, q(month, { team: 'search' }), 'model')],
    ['latency by hour, week', () => Q.latency(src, q(week), 'hour')],
    ['cache by hour, week', () => Q.cache(src, q(week), 'hour')],
    ['models by day, month', () => Q.models(src, q(month), 'day')],
    ['hidden-costs, month', () => Q.hiddenCosts(src, q(month))],
    ['waterfall, month', () => Q.waterfall(src, q(month))],
    ['requests, newest 50, last 24 h', () => Q.requests(src, q(last24h), { limit: 50 })],
    ['requests, text search "agent", last 24 h', () => Q.requests(src, q(last24h), { limit: 50, q: 'agent' })],
    // no index on route, model or status: these walk the time index newest first
    ['requests, route=support-chat, last 24 h', () => Q.requests(src, q(last24h, { route: 'support-chat' }), { limit: 50 })],
    ['requests, model + status=error, last 24 h', () => Q.requests(src, q(last24h, { model: 'claude-3-5-haiku-latest' }), { limit: 50, status: 'error' })],
    ['requests, key=key-support-1, month', () => Q.requests(src, q(month, { key: 'key-support-1' }), { limit: 50 })],
    ['request by id', () => Q.request(src, anId)],
  ];
  const ingestOnly = process.argv.includes('--ingest-only');
  if (!ingestOnly) log('sqlite: dashboard queries (5 runs each)');
  const timed = ingestOnly ? {} : await timeQueries(queries);
  const w = await Q.waterfall(src, q(month));
  store.close();
  if (queriesOnly) {
    results.engines.sqlite = { queriesOnly: true, ledgerDbGB: +(size / 1e9).toFixed(2), queries: timed };
    return;
  }
  results.engines.sqlite = {
    ingestRecordsPerSec: Math.round(N / (ingestMs / 1000)),
    ingestRecordsPerCpuSec: Math.round(N / (cpuUs / 1e6)),
    ingestLoadAverage: ingestLoad,
    rollupRecordsPerSec: Math.round(N / (rollupMs / 1000)),
    ledgerDbGB: +(size / 1e9).toFixed(2),
    hourCells: cells.length,
    waterfallMonth: { counterfactualUsd: +w.counterfactualUsd.toFixed(2), actualUsd: +w.actualUsd.toFixed(2), bars: w.bars.map((b) => [b.lever, +b.savedUsd.toFixed(2)]) },
    queries: timed,
  };
}

async function duckdb() {
  let duck;
  try {
    duck = await import('@duckdb/node-api');
  } catch {
    log('duckdb: @duckdb/node-api is not installed (a devDependency); skipped');
    return;
  }
  const file = join(dir, 'bench.duckdb');
  log(`duckdb: appending ${N.toLocaleString()} records to ${file}`);
  const instance = await duck.DuckDBInstance.create(file);
  const con = await instance.connect();
  const levers = ['tiering', 'exact_cache', 'semantic_cache', 'prompt_caching', 'trimming', 'batching', 'retries', 'own_calls'];
  await con.run(`CREATE TABLE requests (request_id VARCHAR, received_at DOUBLE, model VARCHAR, route VARCHAR, team VARCHAR, key_id VARCHAR, status VARCHAR, cache_status VARCHAR,
    latency_ms DOUBLE, ttft_ms DOUBLE, cost_usd DOUBLE, input_tokens DOUBLE, output_tokens DOUBLE, ${levers.map((l) => `saved_${l} DOUBLE`).join(', ')})`);
  const app = await con.createAppender('requests');
  const str = (v) => (v === undefined ? app.appendNull() : app.appendVarchar(v));
  const dbl = (v) => (v === undefined ? app.appendNull() : app.appendDouble(v));
  let genMs = 0;
  const started = performance.now();
  let tg = performance.now();
  let done = 0;
  for (const r of gen()) {
    genMs += performance.now() - tg;
    str(r.requestId);
    dbl(r.receivedAt);
    str(r.model ?? r.requestedModel);
    str(r.route);
    str(r.team);
    str(r.keyId);
    str(r.status);
    str(r.cacheStatus);
    dbl(r.latencyMs);
    dbl(r.ttftMs);
    dbl(r.costUsd);
    dbl(r.usage.input + r.usage.cacheRead + r.usage.cacheWrite5m);
    dbl(r.usage.output);
    for (const l of levers) dbl(r.savedByLever?.[l] ?? 0);
    app.endRow();
    if (++done % 1_000_000 === 0) log(`  ${done.toLocaleString()} rows`);
    tg = performance.now();
  }
  app.flushSync();
  app.closeSync();
  const ingestMs = performance.now() - started - genMs;
  log(`  append: ${Math.round(N / (ingestMs / 1000)).toLocaleString()} records/s (columns only: no JSON record, no indexes)`);
  const all = async (sql) => (await con.runAndReadAll(sql)).getRowsJS();
  const range = (r) => `received_at >= ${r.from} AND received_at < ${r.to}`;
  const sumSaved = levers.map((l) => `saved_${l}`).join(' + ');
  const queries = [
    ['overview, month', () => all(`SELECT count(*), sum(cost_usd), sum(cost_usd + ${sumSaved}), avg((status = 'error')::INT), quantile_cont(latency_ms, [0.5, 0.95, 0.99]), quantile_cont(ttft_ms, [0.5, 0.95, 0.99]) FROM requests WHERE ${range(month)}`)],
    ['overview, month, team=search (tenant admin)', () => all(`SELECT count(*), sum(cost_usd), quantile_cont(latency_ms, [0.5, 0.95, 0.99]) FROM requests WHERE ${range(month)} AND team = 'search'`)],
    ['timeseries cost_usd by day × model, month', () => all(`SELECT floor(received_at / 86400000) AS d, model, sum(cost_usd) FROM requests WHERE ${range(month)} GROUP BY d, model ORDER BY d, model`)],
    ['timeseries requests by hour, month', () => all(`SELECT floor(received_at / 3600000) AS h, count(*) FROM requests WHERE ${range(month)} GROUP BY h ORDER BY h`)],
    ['timeseries latency_p95_ms by hour, month', () => all(`SELECT floor(received_at / 3600000) AS h, quantile_cont(latency_ms, 0.95) FROM requests WHERE ${range(month)} GROUP BY h ORDER BY h`)],
    ['breakdown by key, month', () => all(`SELECT key_id, count(*), sum(cost_usd), sum(input_tokens), sum(output_tokens) FROM requests WHERE ${range(month)} GROUP BY key_id ORDER BY 3 DESC`)],
    ['waterfall, month', () => all(`SELECT ${levers.map((l) => `sum(saved_${l})`).join(', ')}, sum(cost_usd) FROM requests WHERE ${range(month)}`)],
    ['requests, newest 50, last 24 h', () => all(`SELECT * FROM requests WHERE ${range(last24h)} ORDER BY received_at DESC LIMIT 50`)],
  ];
  log('duckdb: the same questions over the raw rows (5 runs each)');
  const timed = await timeQueries(queries);
  con.closeSync();
  results.engines.duckdb = { appendRecordsPerSec: Math.round(N / (ingestMs / 1000)), queries: timed };
}

try {
  if (ENGINE === 'sqlite' || ENGINE === 'both') await sqlite();
  if (ENGINE === 'duckdb' || ENGINE === 'both') await duckdb();
  results.loadAfter = loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(JSON.stringify(results, null, 2));
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, process.argv.includes('--queries-only') ? 'rollups-queries.json' : 'rollups.json'), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  if (!process.argv.includes('--keep') && !process.argv.includes('--dir')) rmSync(dir, { recursive: true, force: true });
}
