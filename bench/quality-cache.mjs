// The semantic cache's live false-hit estimate, measured where the truth is known: the simulator
// (answer quality on) takes a question to be its meaning, so a semantic hit is false exactly when
// the cached answer's final token is not the one the model gives this question. For each simulator
// seed and each mix of paraphrases (true hits) and near-misses (false hits), a fresh gateway with a
// low semantic threshold and `judge.cacheShadowRate: 1` (tighten off) serves the traffic; the row
// says the true rate, the estimate and its 95% interval, whether the interval holds the truth, and
// what a check cost against what the hit saved. Needs `npm run build`.
//   node bench/quality-cache.mjs [--seeds 5] [--hits 100] [--mixes 0.1,0.3,0.6] [--append]
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSimulator } from '../dist/sim/index.js';
import { startGateway } from '../dist/server/gateway.js';
import { resolveConfig } from '../dist/config/load.js';
import { demoConfig } from '../dist/config/demo.js';
import { readLedger } from '../dist/ledger/read.js';
import { finalAnswerLine, finalToken } from '../dist/sim/quality.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { seeds: { type: 'string', default: '5' }, hits: { type: 'string', default: '100' }, mixes: { type: 'string', default: '0.1,0.3,0.6' }, append: { type: 'boolean', default: false } } });
const ADMIN = 'tg_bench_admin_key';
const MODEL = 'gpt-4o-mini';
const STRENGTH = 0.85;
const TEMPLATES = [(w) => `How do I bake ${w} bread at home?`, (w) => `What is the best way to learn ${w}?`, (w) => `How many calories are in a bowl of ${w}?`, (w) => `What is the origin of the word ${w}?`];
const WORDS = ('banana sourdough rye corn garlic potato walnut pumpkin olive cheese french german spanish italian chess guitar piano drawing cooking swimming ' +
  'oatmeal rice pasta chili soup cereal granola yogurt noodles lentils serendipity quarantine salary muscle window budget tragedy orange robot alcohol ' +
  'zucchini carrot onion raisin cinnamon honey almond coconut apple pear japanese korean latin greek calculus painting archery knitting surfing poetry ' +
  'beans barley quinoa couscous porridge broth stew ramen tofu hummus avocado ketchup disaster sabotage muffin canyon hazard mortgage jargon panic ' +
  'spinach cabbage mango lemon ginger pepper mustard vinegar butter bacon russian arabic hindi dutch swahili algebra sculpture fencing rowing juggling ' +
  'millet spelt buckwheat sorghum farro miso kimchi salsa pesto gravy harbor blizzard treaty lantern glacier orbit saddle fortune velvet compass').split(' ');
const SEEDS = 40;

async function run(simSeed, nearShare, attempts) {
  const sim = await startSimulator({ port: 0, latencyScale: 0, seed: simSeed, quality: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-quality-'));
  const config = resolveConfig({
    ...demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false, adminKey: ADMIN }),
    cache: { semantic: { enabled: true, embedder: { kind: 'builtin', pairScorer: false }, threshold: 0.6, guards: { negation: false, antonyms: false, numbers: false, entities: false } } },
    judge: { model: 'gpt-4o', sampleRate: 0, cacheShadowRate: 1, queueSize: 5000, tighten: false },
  }, '(bench)', {});
  const gw = await startGateway({ config, port: 0 });
  const ask = async (q, headers = {}) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer demo-client', ...headers }, body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: q }], temperature: 0, max_tokens: 4096 }) });
    const j = await res.json();
    return { q, semantic: res.headers.get('x-tollgate-cache-similarity') !== null, text: j.choices[0].message.content };
  };
  try {
    const seeds = Array.from({ length: SEEDS }, (_, i) => TEMPLATES[i % 4](WORDS[i]));
    for (const q of seeds) await ask(q, { 'cache-control': 'no-cache' });
    await new Promise((r) => setTimeout(r, 300));
    // a deterministic draw per attempt of paraphrase or near-miss, from the seed
    let s = (simSeed * 2654435761) >>> 0;
    const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const asked = [];
    let near = SEEDS;
    for (let i = 0; i < attempts; i++) {
      if (rand() < nearShare && near < WORDS.length) { asked.push(await ask(TEMPLATES[near % 4](WORDS[near]))); near++; }
      else { const k = Math.floor(rand() * SEEDS); asked.push(await ask(`Please, ${seeds[k].toLowerCase()}`)); }
    }
    await gw.engine.quality.idle();
    const hits = asked.filter((a) => a.semantic);
    const truth = hits.filter((a) => finalToken(a.text) !== finalToken(finalAnswerLine(simSeed, MODEL, STRENGTH, a.q))).length / hits.length;
    const view = gw.engine.quality.view().cache[MODEL];
    await gw.ledger.flush();
    const records = readLedger(dataDir, { last: 20000 });
    const checkCost = records.filter((r) => r.keyId === 'tollgate:judge').reduce((t, r) => t + r.costUsd, 0) / Math.max(1, view.n);
    const saved = records.filter((r) => r.cacheStatus === 'semantic_hit').reduce((t, r) => t + (r.savedCostUsd ?? 0), 0) / Math.max(1, hits.length);
    return { simSeed, nearShare, attempts, hits: hits.length, truth, estimate: view.estimate, interval: view.interval, covered: view.interval[0] <= truth && truth <= view.interval[1], checkCost, saved };
  } finally {
    await gw.close();
    await sim.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const load0 = loadavg()[0];
const rows = [];
for (const mix of args.mixes.split(',').map(Number)) for (let seed = 1; seed <= Number(args.seeds); seed++) {
  const r = await run(seed, mix, Number(args.hits));
  rows.push(r);
  console.log(`mix ${mix} seed ${seed}: ${r.hits} hits, true ${r.truth.toFixed(3)}, estimate ${r.estimate.toFixed(3)} [${r.interval.map((x) => x.toFixed(3)).join(', ')}] ${r.covered ? 'covered' : 'MISSED'}; check $${r.checkCost.toFixed(6)} vs saved $${r.saved.toFixed(6)} per hit`);
}
const load1 = loadavg()[0];
const covered = rows.filter((r) => r.covered).length;
const meanAbs = rows.reduce((t, r) => t + Math.abs(r.estimate - r.truth), 0) / rows.length;
const width = rows.reduce((t, r) => t + (r.interval[1] - r.interval[0]), 0) / rows.length;
const ratio = rows.reduce((t, r) => t + r.checkCost / r.saved, 0) / rows.length;
const commit = execSync('git rev-parse --short HEAD', { cwd: here }).toString().trim();
const when = new Date().toISOString().slice(11, 16);
const summary = `| ${when} | ${commit} | ${load0.toFixed(2)}–${load1.toFixed(2)} | ${args.mixes} × ${args.seeds} seeds, ${args.hits} attempts | ${covered} / ${rows.length} | ${meanAbs.toFixed(3)} | ${width.toFixed(3)} | ${ratio.toFixed(2)}× |`;
console.log(summary);
if (args.append) {
  const byMix = [...new Set(rows.map((r) => r.nearShare))].map((m) => {
    const rs = rows.filter((r) => r.nearShare === m);
    const f = (k) => (rs.reduce((t, r) => t + r[k], 0) / rs.length).toFixed(3);
    return `| ${m} | ${rs.length} | ${f('hits')} | ${f('truth')} | ${f('estimate')} | ${rs.filter((r) => r.covered).length} / ${rs.length} |`;
  });
  appendFileSync(join(here, 'RESULTS.md'), `\n| when (UTC) | commit | load avg | runs | intervals holding the truth | mean abs. error | mean interval width | check cost / saving per hit |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n${summary}\n\n| near-miss share | runs | hits per run | true false-hit rate (mean) | estimate (mean) | intervals holding the truth |\n| --- | --- | --- | --- | --- | --- |\n${byMix.join('\n')}\n`);
}
