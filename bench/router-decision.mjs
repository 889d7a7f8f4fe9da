// Microbenchmark of the routing decision: a route with 8 rules (token count, regex, keywords,
// header, JSON path, tools, response format) in front of the learned classifier (data/router/mmlu.json),
// driven through the router stage's handle() with a no-op upstream, on real MMLU prompts.
// Prints p50/p99/max in µs, writes bench/results/router-decision.json, appends to bench/RESULTS-router.md.
//   node bench/router-decision.mjs [--data ../shared/data] [--n 20000] [--weights data/router/mmlu.json] [--dist] [--no-append]
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const dataDir = resolve(arg('data', '../shared/data'));
const N = Number(arg('n', '20000'));
const weightsRel = arg('weights', 'data/router/mmlu.json');

// the TypeScript sources through tsx (always current; same JIT-compiled JS as dist/)
async function load(rel) {
  if (process.argv.includes('--dist')) return import(join(root, 'dist', rel + '.js'));
  const { register } = await import('tsx/esm/api');
  register();
  return import(join(root, 'src', rel + '.ts'));
}
const { createRouterStage } = await load('levers/router/index');
const { routesConfigSchema } = await load('levers/router/config');
const { parseCsv } = await load('lab/router/datasets');
const { estimateInputTokens } = await load('core/tokens');

const models = { 'gpt-4o-mini': { provider: 'openai', model: 'gpt-4o-mini' }, 'gpt-4o': { provider: 'openai', model: 'gpt-4o' }, 'claude-3-5-haiku': { provider: 'anthropic', model: 'claude-3-5-haiku' }, 'claude-sonnet-4': { provider: 'anthropic', model: 'claude-sonnet-4' } };
const cfg = routesConfigSchema.parse({
  bench: {
    tiers: [
      { name: 'cheap', models: ['gpt-4o-mini', 'claude-3-5-haiku'] },
      { name: 'strong', models: ['gpt-4o', 'claude-sonnet-4'] },
    ],
    rules: [
      { name: 'premium', when: { user_tier: 'premium' }, tier: 'strong' },
      { name: 'task', when: { header: { 'x-tollgate-task': ['extract', 'classify'] } }, tier: 'cheap' },
      { name: 'priority', when: { json_path: { path: '$.metadata.priority', equals: 'high' } }, tier: 'strong' },
      { name: 'tools', when: { tools: true }, tier: 'strong' },
      { name: 'schema', when: { response_format: 'json_schema' }, tier: 'strong' },
      { name: 'legal', when: { keywords: ['indemnify', 'force majeure', 'liability cap', 'arbitration clause'] }, tier: 'strong' },
      { name: 'code', when: { regex: ['```', '(?i)\\bstack trace\\b'] }, tier: 'strong' },
      { name: 'long', when: { input_tokens_gt: 6000 }, tier: 'strong' },
    ],
    classifier: { weights: resolve(root, weightsRel), target: { quality_ge: 0.95 } },
  },
});
const stage = createRouterStage(cfg, { resolveModel: (n) => models[n], costOf: () => 0, estimateInputTokens, dataDir: root });

const rows = parseCsv(readFileSync(join(dataDir, 'routellm-evals/mmlu_mixtral_vs_gpt4.csv'), 'utf8')).slice(1, 2001);
const prompts = rows.map((r) => r[1]).filter(Boolean);
const done = Promise.resolve({ kind: 'complete', response: {}, source: 'upstream' });
const next = () => done;
const ctxFor = (text) => ({
  requestId: 'b', format: 'openai', endpoint: '/v1/chat/completions', caller: { keyId: 'k' }, headers: {},
  request: { model: 'bench', system: [], messages: [{ role: 'user', content: [{ type: 'text', text }] }], stream: false, includeUsage: false, extra: {} },
  rawBody: Buffer.alloc(0), rewritten: false, trail: [], record: {}, attempts: [], responseHeaders: {}, timings: {}, signal: new AbortController().signal, receivedAt: 0,
});

for (let i = 0; i < 3000; i++) await stage.handle(ctxFor(prompts[i % prompts.length]), next); // warm-up (JIT)
const samples = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const ctx = ctxFor(prompts[i % prompts.length]);
  const t0 = process.hrtime.bigint();
  await stage.handle(ctx, next);
  samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
}
// per prompt, the median of its decisions: the cost of the work itself, with most scheduling noise
// of a shared box removed (the raw p99 above includes it)
const byPrompt = prompts.map(() => []);
for (let i = 0; i < N; i++) byPrompt[i % prompts.length].push(samples[i]);
const medians = byPrompt.filter((xs) => xs.length).map((xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]).sort((a, b) => a - b);
const mq = (p) => medians[Math.min(medians.length - 1, Math.floor((p / 100) * medians.length))];
samples.sort();
const q = (p) => samples[Math.min(N - 1, Math.floor((p / 100) * N))];
const chars = prompts.reduce((s, p) => s + p.length, 0) / prompts.length;
const result = { date: new Date().toISOString(), n: N, prompts: prompts.length, mean_prompt_chars: Math.round(chars), rules: 8, classifier: weightsRel, p50_us: +q(50).toFixed(2), p90_us: +q(90).toFixed(2), p99_us: +q(99).toFixed(2), max_us: +samples[N - 1].toFixed(2), per_prompt_median_p50_us: +mq(50).toFixed(2), per_prompt_median_p99_us: +mq(99).toFixed(2), target_p99_us: 50, node: process.version, code: process.argv.includes('--dist') ? 'dist/' : 'src/ via tsx' };
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/router-decision.json'), JSON.stringify(result, null, 2) + '\n');
if (!process.argv.includes('--no-append')) appendFileSync(join(root, 'bench/RESULTS-router.md'), `- ${result.date.slice(0, 10)} router decision (8 rules + classifier ${weightsRel}, MMLU prompts, mean ${result.mean_prompt_chars} chars, n=${N}, ${process.version}, ${result.code}): p50 ${result.p50_us} µs, p99 ${result.p99_us} µs, max ${result.max_us} µs; per-prompt median p50 ${result.per_prompt_median_p50_us} µs, p99 ${result.per_prompt_median_p99_us} µs; load average ${os.loadavg()[0].toFixed(1)} (target p99 ≤ 50 µs)\n`);
