// What the hot path pays for the ledger and the metrics, per request:
//   append()  — JSON.stringify + one write(2) of one journal line to the page cache
//   observe() — the per-request Prometheus update
// and how fast the ingest worker drains a backlog into SQLite.
//
//   npm run build && node bench/ledger-append.mjs          (compiled)
//   node --import tsx bench/ledger-append.mjs               (from sources)
// Writes bench/results/ledger-append.json.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fromDist = existsSync(join(root, 'dist/ledger/ledger.js'));
const mod = (p) => (fromDist ? join(root, 'dist', `${p}.js`) : join(root, 'src', `${p}.ts`));
const { openLedger } = await import(mod('ledger/ledger'));
const { GatewayMetrics } = await import(mod('telemetry/metrics'));

const N = Number(process.env.N ?? 200_000);
const WARMUP = 20_000;

// a realistic completed-request record (~1 kB of JSON)
function record(i) {
  const receivedAt = Date.now();
  return {
    requestId: `req_${i.toString(36).padStart(10, '0')}`,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    keyId: 'key_3f9a1c',
    team: 'search',
    user: 'u_1842',
    route: 'default',
    endpoint: '/v1/chat/completions',
    apiFormat: 'openai',
    requestedModel: 'gpt-4o',
    provider: 'openai',
    model: i % 4 === 0 ? 'gpt-4o-mini' : 'gpt-4o',
    stream: true,
    receivedAt,
    upstreamSentAt: receivedAt + 0.21,
    firstByteAt: receivedAt + 150.2,
    firstTokenAt: receivedAt + 151.4,
    lastTokenAt: receivedAt + 2400.9,
    completedAt: receivedAt + 2401.3,
    latencyMs: 2401.3,
    ttftMs: 151.4,
    upstreamMs: 2400.7,
    overheadMs: 0.6,
    usage: { input: 812, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, output: 312, reasoning: 0 },
    costUsd: 0.0055,
    baselineCostUsd: 0.0078,
    baselineModel: 'gpt-4o',
    cacheStatus: 'miss',
    trail: [
      { stage: 'cache', decision: 'miss', reason: 'no entry above threshold', data: { similarity: 0.81, threshold: 0.92 } },
      { stage: 'route', decision: 'route', reason: 'default route', data: { model: 'gpt-4o' } },
    ],
    status: 'ok',
    httpStatus: 200,
    finishReason: 'stop',
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function timeEach(n, fn) {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = process.hrtime.bigint();
    fn(i);
    t[i] = Number(process.hrtime.bigint() - a) / 1000;
  }
  t.sort();
  const mean = t.reduce((s, v) => s + v, 0) / n;
  return { mean_us: +mean.toFixed(3), p50_us: +percentile(t, 0.5).toFixed(3), p99_us: +percentile(t, 0.99).toFixed(3), p999_us: +percentile(t, 0.999).toFixed(3) };
}

const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-ledger-'));
const ledger = await openLedger({ dataDir });
const recs = Array.from({ length: 1000 }, (_, i) => record(i));
const bytes = Buffer.byteLength(JSON.stringify(recs[0]));

let id = 0;
const next = () => ({ ...recs[id % 1000], requestId: `req_${(id++).toString(36)}` });
timeEach(WARMUP, () => ledger.append(next()));
await ledger.flush();
// the ingest worker runs concurrently, as in the gateway
const append = timeEach(N, () => ledger.append(next()));

const t0 = performance.now();
await ledger.flush();
const drainMs = performance.now() - t0;
const stats = ledger.stats();
await ledger.close();

const metrics = new GatewayMetrics();
timeEach(WARMUP, (i) => metrics.observe(recs[i % 1000], { provider: 'openai', operation: 'chat' }));
const observe = timeEach(N, (i) => metrics.observe(recs[i % 1000], { provider: 'openai', operation: 'chat' }));

const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  source: fromDist ? 'dist' : 'src (tsx)',
  records: N,
  record_bytes: bytes,
  append,
  observe,
  drain_after_burst_ms: +drainMs.toFixed(1),
  ledger_stats: stats,
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/ledger-append.json'), JSON.stringify(result, null, 2) + '\n');
rmSync(dataDir, { recursive: true, force: true });
