// The chapter's case study, measured with replay: a support workload built from ../shared/data
// (src/forecast/case-study.ts), baseline everything on the strongest model, then one lever at a
// time, each step a replay through the same engine in price-only mode. The trimming step is the trim
// lever's policy (`trim` in `pipeline`), its bar also read from the records' own savedByLever; the
// system-prompt step is a prompt edit, modelled in the prompts (no lever rewrites a system prompt).
// Prints the waterfall with quality and P95 at each step, and a JSON line.
//
//   npm run bench:case-study                 # 3,000 requests
//   node bench/case-study.mjs --requests 10000

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildSupportWorkload } from '../dist/forecast/case-study.js';
import { replayPolicy } from '../dist/forecast/replay/run.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' }, data: { type: 'string', default: '../shared/data' }, json: { type: 'boolean', default: false } } });
const requests = Number(values.requests);
const WEIGHTS = fileURLToPath(new URL('../data/router/mmlu.json', import.meta.url));

const HAIKU = 'claude-3-5-haiku-20241022';
const SONNET = 'claude-sonnet-4-20250514';
const OPUS = 'claude-opus-4-1';

const base = {
  providers: [{ name: 'anthropic', kind: 'anthropic', baseUrl: 'https://api.anthropic.com' }],
  models: [
    { name: 'claude-3-5-haiku', provider: 'anthropic', model: HAIKU },
    { name: 'claude-sonnet-4', provider: 'anthropic', model: SONNET },
    { name: 'claude-opus-4-1', provider: 'anthropic', model: OPUS },
  ],
};
const baseline = { ...base, routes: { support: { tiers: [{ name: 'all', models: ['claude-opus-4-1'] }], baseline: 'claude-opus-4-1' } }, pipeline: ['router', 'execute'] };
const tiered = {
  ...base,
  routes: {
    support: {
      tiers: [
        { name: 'cheap', models: ['claude-3-5-haiku'] },
        { name: 'strong', models: ['claude-sonnet-4'] },
        { name: 'frontier', models: ['claude-opus-4-1'] },
      ],
      rules: [{ name: 'engineering-queue', when: { header: { 'x-support-queue': 'engineering' } }, tier: 'frontier' }],
      classifier: { weights: WEIGHTS, target: { qualityGe: 0.95 }, weakTier: 'cheap', strongTier: 'strong' },
      baseline: 'claude-opus-4-1',
    },
  },
  pipeline: ['router', 'execute'],
};
const cached = { ...tiered, cache: { semantic: { enabled: true } }, pipeline: ['cache', 'router', 'execute'] };
const promptCached = { ...tiered, cache: { semantic: { enabled: true }, promptCache: { enabled: true } }, pipeline: ['cache', 'router', 'prompt-cache', 'execute'] };
// the trim lever itself: the 3 of 10 retrieved chunks BM25 ranks highest for the question, and the last
// 2 turns of a multi-turn session (each cut only when it beats the cached prefix it breaks)
const TRIM = { enabled: true, context: { topK: 3 }, history: { keepLastTurns: 2 } };
const trimmedPolicy = { ...promptCached, trim: TRIM, pipeline: ['cache', 'router', 'trim', 'prompt-cache', 'execute'] };

const opts = { sharedDataDir: values.data, requests, cheapModels: [HAIKU], strongModels: [SONNET, OPUS] };
const t0 = performance.now();
const full = buildSupportWorkload(opts);
const shortSystem = buildSupportWorkload({ ...opts, shortSystemPrompt: true });
const buildSeconds = (performance.now() - t0) / 1000;

const steps = [
  { lever: 'baseline', label: 'everything on Claude Opus 4.1', policy: baseline, items: full },
  { lever: 'tiering', label: 'tiering: learned router Haiku/Sonnet, engineering queue to Opus', policy: tiered, items: full },
  { lever: 'cache', label: 'exact + semantic response cache', policy: cached, items: full },
  { lever: 'prompt-cache', label: 'provider prompt caching (Anthropic breakpoints)', policy: promptCached, items: full },
  { lever: 'trim', label: 'trimming: the trim lever (context topK 3 of 10 chunks, keepLastTurns 2)', policy: trimmedPolicy, items: full },
  // tried on top of the trim step and measured, kept only if it saves: 800 tokens are below the
  // 1,024-token prompt-cache minimum, so the shorter prompt can cost more than the cached long one
  { lever: 'system-prompt', label: 'system prompt rewritten 3,000 -> 800 tokens (a prompt edit, modelled in the prompts)', policy: trimmedPolicy, items: shortSystem, tryOnly: true },
  { lever: 'batch', label: 'batch API for offline triage (15% of knowledge questions)', policy: trimmedPolicy, items: full, extras: { batch: 'background' } },
];

async function* iterate(items) {
  // replay mutates nothing it is given but the signature field: copy the shell of each item
  for (const it of items) yield { ...it };
}

const results = [];
let prev;
for (const s of steps) {
  // a tried step that does not save is shown and left out: the next step builds on the one before it
  if (s.lever === 'batch' && results.find((r) => r.lever === 'system-prompt')?.kept) s.items = shortSystem;
  const t = performance.now();
  const r = await replayPolicy(iterate(s.items), { policy: s.policy, extras: s.extras, progressEvery: 1000 });
  const row = {
    lever: s.lever,
    label: s.label,
    costUsd: r.costUsd,
    deltaPct: prev ? r.costUsd / prev.costUsd - 1 : 0,
    fromBaselinePct: results.length ? r.costUsd / results[0].costUsd - 1 : 0,
    p95Ms: r.latencyMs.p95,
    p50Ms: r.latencyMs.p50,
    quality: r.quality?.mean,
    qualityN: r.quality?.n,
    cacheHits: r.cacheHits,
    batchRequests: r.batchRequests,
    byModel: Object.fromEntries(Object.entries(r.byModel).map(([m, v]) => [m, v.requests])),
    tokens: r.tokens,
    // the records' own bars: for the trim step, savedByLever.trimming is the lever's decisions priced
    // against the untrimmed request (the record's baseline)
    savedByLever: r.savedByLever,
    seconds: Number(((performance.now() - t) / 1000).toFixed(2)),
    kept: !s.tryOnly || r.costUsd < prev.costUsd,
  };
  results.push(row);
  if (row.kept) prev = r;
}

const money = (x) => `$${x.toFixed(2)}`;
const maxCost = results[0].costUsd;
console.log(`Case study: ${requests.toLocaleString('en-US')} support requests (built from ../shared/data in ${buildSeconds.toFixed(1)} s), replayed in price-only mode, list prices of the catalog\n`);
for (const r of results) {
  const bar = '█'.repeat(Math.max(1, Math.round((r.costUsd / maxCost) * 40)));
  const delta = r.lever === 'baseline' ? '' : `${(r.deltaPct * 100).toFixed(1)}%`;
  console.log(`${r.label}${r.kept ? '' : ' [tried, not kept: it costs more]'}`);
  console.log(`  ${money(r.costUsd).padStart(9)} ${delta.padStart(7)}  quality ${r.quality === undefined ? 'n/a' : r.quality.toFixed(3)}  p95 ${Math.round(r.p95Ms)} ms  ${bar}`);
  if (r.lever === 'trim') console.log(`  the trim lever's own bar in the records (savedByLever.trimming, against the untrimmed request): ${money(r.savedByLever?.trimming ?? 0)}`);
}
const last = results.filter((r) => r.kept).at(-1);
console.log(`\nTotal: ${money(results[0].costUsd)} -> ${money(last.costUsd)} (${(last.fromBaselinePct * 100).toFixed(1)}%); the chapter reports -82%.`);
console.log(
  JSON.stringify({ date: new Date().toISOString(), node: process.version, loadAverage: loadavg().map((x) => x.toFixed(2)), requests, steps: results }),
);
