// What the stores cost (off the hot path, except counters): ledger commit throughput (the ingest
// worker's batches) before and after the store interface and the token columns, aggregate and
// query times over a large ledger, counter reserve+commit rates.
//
//   node --import tsx bench/stores.mjs         (from sources; N=100000 records by default)
//   OLD=/work/main/dist/store/ledger-db.js node --import tsx bench/stores.mjs   (adds the pre-interface writer as a baseline)
// Writes bench/results/stores.json.

import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { SqliteLedgerStore } = await import(join(root, 'src/stores/sqlite/ledger-store.ts'));
const { MemoryLedgerStore } = await import(join(root, 'src/stores/memory/ledger-store.ts'));
const { SqliteCounterStore } = await import(join(root, 'src/stores/sqlite/counter-store.ts'));
const { MemoryCounterStore } = await import(join(root, 'src/stores/memory/counter-store.ts'));

const N = Number(process.env.N ?? 100_000);
const BATCH = 1000; // ~1 MB of journal: the ingester's default chunk
const T0 = Date.UTC(2026, 10, 1);

function record(i) {
  const receivedAt = T0 + i * 25_000; // ~29 days over 100k records
  const latencyMs = 200 + ((i * 7919) % 1800);
  return {
    requestId: `req_${i.toString(36).padStart(10, '0')}`,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    keyId: `key_${i % 20}`,
    team: ['search', 'support', 'ml', 'ops'][i % 4],
    user: `u_${i % 500}`,
    route: i % 3 ? 'default' : 'cheap',
    endpoint: '/v1/chat/completions',
    apiFormat: 'openai',
    requestedModel: 'gpt-4o',
    provider: 'openai',
    model: i % 3 ? 'gpt-4o' : 'gpt-4o-mini',
    stream: true,
    receivedAt,
    upstreamSentAt: receivedAt + 0.3,
    firstTokenAt: receivedAt + 180,
    completedAt: receivedAt + latencyMs,
    latencyMs,
    ttftMs: 180,
    upstreamMs: latencyMs - 0.6,
    overheadMs: 0.6,
    usage: { input: 1200 + (i % 300), cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, output: 256 + (i % 50), reasoning: 0 },
    costUsd: 0.0058 + (i % 10) * 0.0001,
    trail: [{ stage: 'route', decision: 'route', reason: 'default route' }],
    cacheStatus: i % 5 ? 'miss' : 'hit',
    status: i % 50 ? 'ok' : 'error',
    httpStatus: i % 50 ? 200 : 429,
    finishReason: 'stop',
  };
}

const entries = Array.from({ length: N }, (_, i) => {
  const rec = record(i);
  return { rec, json: JSON.stringify(rec) };
});
const dirs = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'tollgate-bench-stores-'));
  dirs.push(d);
  return d;
};
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function commitAll(commit) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i += BATCH) commit(entries.slice(i, i + BATCH), { segment: 1, offset: i + BATCH, corrupt: 0 });
  return N / (ms(t) / 1000);
}

const out = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, N, batch: BATCH };

// 1. ledger commit throughput
if (process.env.OLD) {
  const old = await import(process.env.OLD);
  const db = old.openLedgerDb(tmp());
  const w = old.ledgerWriter(db);
  out.commitOldRowsPerSec = Math.round(commitAll((b, s) => w.commit(b, s)));
  db.close();
}
const sql = SqliteLedgerStore.open(tmp());
out.commitSqliteRowsPerSec = Math.round(commitAll((b, s) => sql.commit(b, s)));
const mem = new MemoryLedgerStore();
out.commitMemoryRowsPerSec = Math.round(commitAll((b, s) => mem.commit(b, s)));

// 2. reads over N records (median of 5)
const time = (fn) => median(Array.from({ length: 5 }, () => { const t = process.hrtime.bigint(); fn(); return ms(t); }));
const metrics = ['count', 'costUsd', 'inputTokens', 'outputTokens', 'latencyP50Ms', 'latencyP95Ms'];
for (const [name, s] of [['sqlite', sql], ['memory', mem]]) {
  out[`aggregateModelDayMs_${name}`] = +time(() => s.aggregate({}, ['model', 'day'], metrics)).toFixed(1);
  out[`aggregateTeamNoPercentileMs_${name}`] = +time(() => s.aggregate({}, ['team'], ['count', 'costUsd'])).toFixed(1);
  out[`queryLast20TeamMs_${name}`] = +time(() => s.query({ team: 'ml' }, { limit: 20 })).toFixed(2);
}
sql.close();

// 3. counters: reserve + commit pairs per second, one key, fixed minute window
for (const [name, s] of [['memory', new MemoryCounterStore()], ['sqlite', SqliteCounterStore.inDataDir(tmp())]]) {
  const W = { kind: 'fixed', ms: 60_000 };
  const n = name === 'memory' ? 200_000 : 20_000;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = s.reserve('team:search', 3, 1e12, W);
    s.commit(r, 2);
  }
  out[`counterReserveCommitPerSec_${name}`] = Math.round(n / (ms(t) / 1000));
  s.close();
}

for (const d of dirs) rmSync(d, { recursive: true, force: true });
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/stores.json'), JSON.stringify(out, null, 2) + '\n');
console.log(JSON.stringify(out, null, 2));
