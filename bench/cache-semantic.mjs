// Semantic lookup speed: nearest-neighbour search in one partition at 100k and 1M entries
// (p50/p99 per lookup, k=4), the built-in embedder's time per text reported separately, index
// build time, recall@1 against an exact scan, and memory per entry. Needs `npm run build`.
// Vectors: built-in embeddings of real QQP questions; the 1M set adds 9 noisy neighbours per
// question (renormalised), so the graph sees dense clusters as a real cache would.
//   node bench/cache-semantic.mjs [--sizes 100000,1000000] [--queries 2000]
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { builtinEmbedder } from '../dist/levers/cache/embedders/index.js';
import { VectorPartition } from '../dist/levers/cache/vector-index.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { sizes: { type: 'string', default: '100000,1000000' }, queries: { type: 'string', default: '2000' }, data: { type: 'string', default: resolve(here, '../../shared/data/gptcache-qqp') }, efSearch: { type: 'string', default: '128' } } });
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const r3 = (x) => Math.round(x * 1000) / 1000;

const texts = [...new Set(readFileSync(join(args.data, 'qqp_pairs_labeled.jsonl'), 'utf8').split('\n').filter(Boolean).flatMap((l) => { const j = JSON.parse(l); return [j.text_a, j.text_b]; }))];
const emb = builtinEmbedder();
const nq = Number(args.queries);
const queryTexts = texts.slice(0, nq);
const base = texts.slice(nq);
const embedMs = [];
const baseVecs = base.map((t) => { const t0 = performance.now(); const v = emb.embedSync(t); embedMs.push(performance.now() - t0); return v; });
const queries = queryTexts.map((t) => emb.embedSync(t));
const dim = baseVecs[0].length;
const out = { embedder: emb.id, dim, embed_ms: { p50: r3(pct(embedMs, 0.5)), p99: r3(pct(embedMs, 0.99)) }, sizes: {} };

let seed = 12345;
const rnd = () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 4294967296; };
const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
function vectorAt(i) {
  const src = baseVecs[i % baseVecs.length];
  if (i < baseVecs.length) return src;
  const v = new Float32Array(dim);
  let n = 0;
  for (let j = 0; j < dim; j++) { v[j] = src[j] + 0.35 * gauss() / Math.sqrt(dim); n += v[j] * v[j]; }
  n = Math.sqrt(n);
  for (let j = 0; j < dim; j++) v[j] /= n;
  return v;
}

for (const size of args.sizes.split(',').map(Number)) {
  global.gc?.();
  const mem0 = process.memoryUsage();
  const p = new VectorPartition(dim, 2048, { m: 16, efConstruction: 100, efSearch: Number(args.efSearch) });
  const exact = new VectorPartition(dim, Number.MAX_SAFE_INTEGER, { m: 16, efConstruction: 100, efSearch: 64 });
  const t0 = performance.now();
  for (let i = 0; i < size; i++) p.add(i, vectorAt(i));
  const buildS = (performance.now() - t0) / 1000;
  global.gc?.();
  const mem1 = process.memoryUsage();
  const bytes = mem1.rss - mem0.rss;
  const lat = [];
  for (let k = 0; k < 2; k++) for (const q of queries) { const t = performance.now(); p.search(q, 4); if (k) lat.push(performance.now() - t); }
  // recall@1 vs an exact scan, on a sample
  for (let i = 0; i < size; i++) exact.add(i, vectorAt(i));
  let agree = 0;
  const sample = queries.slice(0, 200);
  // a hit on a different entry with the same similarity (near-duplicate clusters) is as good
  for (const q of sample) {
    const a = p.search(q, 1)[0], b = exact.search(q, 1)[0];
    if (a && b && (a.id === b.id || b.similarity - a.similarity < 1e-3)) agree++;
  }
  out.sizes[size] = { graph: p.usesGraph, build_s: Math.round(buildS), lookup_ms: { p50: r3(pct(lat, 0.5)), p99: r3(pct(lat, 0.99)) }, recall_at_1: agree / sample.length, index_bytes_per_entry: Math.round(bytes / size) };
  console.error(size, JSON.stringify(out.sizes[size]));
}
out.targets = { p99_ms_100k: 2, p99_ms_1m: 5 };
out.machine = { cores: 2, node: process.version };
out.date = new Date().toISOString();
console.log(JSON.stringify(out, null, 2));
mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', 'cache.json');
const prev = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
writeFileSync(file, JSON.stringify({ ...prev, semantic: { ...out, sizes: { ...(prev.semantic?.sizes ?? {}), ...out.sizes } } }, null, 2) + '\n');
const md = join(here, 'RESULTS-cache.md');
if (!existsSync(md)) writeFileSync(md, '## Cache\n\n');
const sz = Object.entries(out.sizes).map(([n, s]) => `${Number(n) / 1000}k: p50 ${s.lookup_ms.p50} ms, p99 ${s.lookup_ms.p99} ms, recall@1 ${s.recall_at_1}, ~${s.index_bytes_per_entry} B/entry (index), build ${s.build_s}s`).join('; ');
appendFileSync(md, `- ${out.date.slice(0, 10)} semantic lookup (${out.embedder}, HNSW M=16 efC=100 ef=${args.efSearch}, k=4): ${sz}; embedding p50 ${out.embed_ms.p50} ms, p99 ${out.embed_ms.p99} ms per text; machine: 2 cores, Node ${process.version}\n`);
