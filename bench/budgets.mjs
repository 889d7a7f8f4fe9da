// `npm run bench:budgets`: what the budget and rate-limit decision costs per request, in situ: the
// engine's own SpendControl on real request contexts, with a budget in each of the four scopes a
// request can belong to (key, team, user, route) and rate limits on key and team, none near its
// limit. Per request: admit (both rate limits), reserve (the worst case, four budgets), settle the
// attempt, finish. The same sequence on an engine with no budgets is the "off" figure.
// Target (issue 10): ≤ 20 µs p99 added per request.

import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(resolve(here, '..'), 'dist');
const { resolveConfig } = await import(join(dist, 'config/load.js'));
const { createEngine } = await import(join(dist, 'engine/index.js'));
const { createMemoryLedger } = await import(join(dist, 'ledger/memory-ledger.js'));
const { GatewayMetrics } = await import(join(dist, 'telemetry/metrics.js'));
const { attemptRecord } = await import(join(dist, 'engine/attempts.js'));
const { codecFor } = await import(join(dist, 'providers/registry.js'));

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' } } });
const N = Number(args.requests);
const ROUNDS = Number(args.rounds);

const base = {
  dataDir: join(os.tmpdir(), 'tollgate-bench-budgets'),
  auth: { mode: 'keys', keys: [{ id: 'app', sha256: 'a'.repeat(64), team: 'search', user: 'ana' }] },
  providers: [{ name: 'p', kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' }],
  models: [{ name: 'gpt-4o-mini', provider: 'p', price: { provider: 'openai', model: 'gpt-4o-mini' } }],
  routes: { support: { tiers: [{ name: 'cheap', models: ['gpt-4o-mini'] }] } },
};
const on = {
  ...base,
  budgets: [
    { scope: 'key', id: 'app', period: 'day', limitUsd: 1e6 },
    { scope: 'team', id: 'search', period: 'month', limitUsd: 1e6, timeZone: 'Europe/Paris' },
    { scope: 'user', id: 'ana', period: 'month', limitUsd: 1e6 },
    { scope: 'route', id: 'support', period: 'day', limitUsd: 1e6 },
  ],
  rateLimits: [
    { scope: 'key', id: 'app', rpm: 1e9, tpm: 1e12 },
    { scope: 'team', id: 'search', rpm: 1e9, tpm: 1e12 },
  ],
};

// a typical chat request: a system prompt and two turns (~120 input tokens)
const body = {
  model: 'support',
  max_tokens: 256,
  messages: [
    { role: 'system', content: 'You are a support assistant for an online shop. Answer briefly and politely, and ask for the order number when it is missing.' },
    { role: 'user', content: 'Hello, my parcel has not arrived yet although the tracking page says it was delivered yesterday afternoon.' },
    { role: 'assistant', content: 'I am sorry to hear that. Could you give me your order number so that I can look into it?' },
    { role: 'user', content: 'Sure, it is 4471-2290. What can you do?' },
  ],
};
const raw = Buffer.from(JSON.stringify(body));
const caller = { keyId: 'app', team: 'search', user: 'ana', role: 'client' };
const target = { provider: 'p', model: 'gpt-4o-mini' };
const usage = { input: 120, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 180, reasoning: 0 };

async function measure(config) {
  const engine = await createEngine(resolveConfig(config, '(bench)', {}), { ledger: createMemoryLedger(), metrics: new GatewayMetrics() });
  const spend = engine.spend;
  const request = codecFor('openai').parseChatRequest(JSON.parse(raw.toString()));
  const samples = new Float64Array(N);
  const one = () => {
    const run = engine.start({ format: 'openai', endpoint: '/v1/chat/completions', headers: {} });
    run.admit(caller, raw);
    const ctx = run.ctx;
    ctx.request = request;
    ctx.route = 'support';
    ctx.target = target;
    const t0 = process.hrtime.bigint();
    spend.admit(ctx);
    const hold = spend.reserve(ctx, target, request);
    spend.attach(hold, attemptRecord(target, 0, { status: 200, usage, costUsd: 0.000126 }));
    spend.finish(ctx);
    return Number(process.hrtime.bigint() - t0) / 1000;
  };
  for (let i = 0; i < 20_000; i++) one(); // warm-up (JIT)
  for (let i = 0; i < N; i++) samples[i] = one();
  await engine.close();
  samples.sort();
  const q = (p) => samples[Math.min(N - 1, Math.floor(p * N))];
  return { p50: q(0.5), p99: q(0.99), p999: q(0.999), mean: samples.reduce((s, x) => s + x, 0) / N };
}

const load = os.loadavg();
console.log(`bench:budgets  ${N} requests × ${ROUNDS} rounds, node ${process.version}, ${os.cpus()[0]?.model} × ${os.cpus().length}, load average ${load.map((x) => x.toFixed(2)).join(' ')}`);
const res = { off: [], on: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, cfg] of r % 2 ? [['on', on], ['off', base]] : [['off', base], ['on', on]]) res[name].push(await measure(cfg));
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (x) => x.toFixed(2).padStart(7);
for (const name of ['off', 'on']) {
  const l = res[name];
  console.log(`${name.padEnd(4)} µs per request: p50 ${f(med(l.map((x) => x.p50)))}  p99 ${f(med(l.map((x) => x.p99)))}  p99.9 ${f(med(l.map((x) => x.p999)))}  mean ${f(med(l.map((x) => x.mean)))}  (median of ${ROUNDS} rounds)`);
}
const addedP99 = med(res.on.map((x) => x.p99)) - med(res.off.map((x) => x.p99));
console.log(`added by 4 budgets + 2 rate limits: p99 ${addedP99.toFixed(2)} µs (target ≤ 20 µs): ${addedP99 <= 20 ? 'PASS' : 'FAIL'}`);
