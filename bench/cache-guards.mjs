// The hot-path cost of the semantic cache per request: the built-in embedder's time per text, the
// guards' signature per text (once per query; an entry's is cached), and one veto check per
// candidate (what a lookup pays for each neighbour above the threshold), and the pair scorer's
// preparation per text (once per query; an entry's is cached) and score per candidate (each of the
// index's 4 neighbours). Real QQP questions; the load average is recorded beside the figures.
// Needs `npm run build`.   node bench/cache-guards.mjs [--texts 5000]
import { appendFileSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { builtinEmbedder } from '../dist/levers/cache/embedders/index.js';
import { ALL_GUARDS, signature, veto } from '../dist/levers/cache/guards.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { texts: { type: 'string', default: '5000' }, data: { type: 'string', default: resolve(here, '../../shared/data/gptcache-qqp') } } });
const n = Number(args.texts);
const pairs = readFileSync(join(args.data, 'qqp_pairs_labeled.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, n).map((l) => JSON.parse(l));
const texts = pairs.flatMap((p) => [p.text_a, p.text_b]);
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const r2 = (x) => Math.round(x * 100) / 100;

const emb = builtinEmbedder();
signature('warm up the antonym map'); // the map loads once, on first use
const time = (fn, reps) => { const us = []; for (let k = 0; k < reps; k++) for (const x of fn.items) { const t = process.hrtime.bigint(); fn.run(x); us.push(Number(process.hrtime.bigint() - t) / 1000); } return us; };
for (const t of texts.slice(0, 500)) { emb.embedSync(t); signature(t); } // JIT warm-up
const embedUs = time({ items: texts, run: (t) => emb.embedSync(t) }, 1);
const sigUs = time({ items: texts, run: (t) => signature(t) }, 1);
const sigs = pairs.map((p) => [signature(p.text_a), signature(p.text_b)]);
const vetoUs = time({ items: sigs, run: ([a, b]) => veto(a, b, ALL_GUARDS) }, 3);
const rs = emb.rescorer;
const prepUs = rs ? time({ items: texts, run: (t) => rs.prepare(t) }, 1) : [];
const prepared = rs ? pairs.map((p) => { const a = emb.embedSync(p.text_a), b = emb.embedSync(p.text_b); let c = 0; for (let j = 0; j < a.length; j++) c += a[j] * b[j]; return [rs.prepare(p.text_a), rs.prepare(p.text_b), c]; }) : [];
const scoreUs = rs ? time({ items: prepared, run: ([a, b, c]) => rs.score(a, b, c) }, 3) : [];
const out = {
  embedder: emb.id,
  texts: texts.length,
  embed_us: { p50: r2(pct(embedUs, 0.5)), p99: r2(pct(embedUs, 0.99)) },
  signature_us: { p50: r2(pct(sigUs, 0.5)), p99: r2(pct(sigUs, 0.99)) },
  veto_per_candidate_us: { p50: r2(pct(vetoUs, 0.5)), p99: r2(pct(vetoUs, 0.99)) },
  ...(rs ? { pair_prepare_us: { p50: r2(pct(prepUs, 0.5)), p99: r2(pct(prepUs, 0.99)) }, pair_score_per_candidate_us: { p50: r2(pct(scoreUs, 0.5)), p99: r2(pct(scoreUs, 0.99)) } } : {}),
  loadavg: loadavg().map(r2),
  machine: { cores: 2, node: process.version },
  date: new Date().toISOString(),
};
console.log(JSON.stringify(out, null, 2));
mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', 'cache.json');
const prev = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
writeFileSync(file, JSON.stringify({ ...prev, hotPath: out }, null, 2) + '\n');
appendFileSync(join(here, 'RESULTS-cache.md'), `- ${out.date.slice(0, 10)} semantic hot path (${out.embedder}, ${out.texts} QQP texts): embed p50 ${out.embed_us.p50} µs, p99 ${out.embed_us.p99} µs per text; guard signature p50 ${out.signature_us.p50} µs, p99 ${out.signature_us.p99} µs per text; veto p50 ${out.veto_per_candidate_us.p50} µs, p99 ${out.veto_per_candidate_us.p99} µs per candidate${rs ? `; pair scorer: prepare p50 ${out.pair_prepare_us.p50} µs, p99 ${out.pair_prepare_us.p99} µs per text, score p50 ${out.pair_score_per_candidate_us.p50} µs, p99 ${out.pair_score_per_candidate_us.p99} µs per candidate` : ''}; load average ${out.loadavg.join(' / ')}; machine: 2 shared cores, Node ${process.version}\n`);
