// Offline trainer of the built-in embedder (not used at run time). Learns a projection of hashed
// lemma (optionally word-bigram and char-trigram) features with a pairwise logistic loss on the
// cosine of labelled QQP pairs (duplicates up, hard non-duplicates down) plus random negatives,
// early-stopped on the val components, and reports the test components (no question of a val or
// test pair is in training). The shipped file was made with
//   npx tsx src/lab/cache/train-builtin.ts ../shared/data/gptcache-qqp data/cache/builtin-embedder.bin --epochs=10 --trigrams=0 --closure=32
// (lemmas on, bigrams and trigrams off, implied pairs on: each measured better on the val
// components, see bench/RESULTS-cache.md); then pick the default threshold
// with src/lab/cache/choose-threshold.ts.

import { readFileSync, writeFileSync } from 'node:fs';
import { fnv1a, lemma, hashedFeatures, type FeatureOptions, type SparseFeatures } from '../../levers/cache/embedders/features.js';
import { BuiltinModel, type BuiltinHeader } from '../../levers/cache/embedders/builtin-model.js';
import { loadQqpPairs, splitPairs, rateAtFalseHits, type LabelledPair } from './qqp.js';

interface Opts {
  buckets: number;
  dim: number;
  epochs: number;
  lr: number;
  margin: number;
  gamma: number;
  randomNegWeight: number;
  seed: number;
  bigrams: boolean;
  trigrams: boolean;
  lemmas: boolean;
  /** JSON {word: number[]} of pre-trained word vectors (GloVe) to start the word rows from */
  wordVectors?: string;
  /** weights of the word-vector and the random part of a word row */
  alpha: number;
  beta: number;
  /** add up to this many implied pairs per labelled pair from duplicate clusters (0 = off) */
  closure: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

export function train(dataDir: string, out: string, o: Opts): void {
  const split = splitPairs(loadQqpPairs(dataDir));
  console.log(`pairs train=${split.train.length} val=${split.val.length} test=${split.test.length}`);
  const fo: FeatureOptions = { buckets: o.buckets, bigrams: o.bigrams, trigrams: o.trigrams, lemmas: o.lemmas };
  const feats = new Map<string, SparseFeatures>();
  const f = (t: string): SparseFeatures => {
    let v = feats.get(t);
    if (!v) feats.set(t, (v = hashedFeatures(t, fo)));
    return v;
  };
  // idf from training texts only, folded into the initial rows
  const df = new Float32Array(o.buckets);
  const trainTexts = new Set<string>();
  for (const p of split.train) trainTexts.add(p.a).add(p.b);
  for (const t of trainTexts) for (const id of f(t).ids) df[id]! += 1;
  const N = trainTexts.size;
  const r = rng(o.seed);
  const d = o.dim;
  const W = new Float32Array(o.buckets * d);
  for (let b = 0; b < o.buckets; b++) {
    const idf = Math.log((N + 1) / (df[b]! + 1)) + 1;
    for (let j = 0; j < d; j++) W[b * d + j] = (idf * (o.wordVectors ? o.beta : 1) * gauss(r)) / Math.sqrt(d);
  }
  // Word rows start from pre-trained word vectors, so a word the pairs never showed is still near
  // its synonyms; the random part keeps exact word matches apart from merely related words. The
  // most frequent word wins a bucket two words hash to.
  let initialised = 0;
  if (o.wordVectors) {
    const vecs = JSON.parse(readFileSync(o.wordVectors, 'utf8')) as Record<string, number[]>;
    const taken = new Uint8Array(o.buckets);
    for (const [w, v] of Object.entries(vecs)) {
      if (o.lemmas && lemma(w) !== w) continue;
      const b = fnv1a((o.lemmas ? 'l:' : 'w:') + w) % o.buckets;
      if (taken[b]) continue;
      taken[b] = 1;
      initialised++;
      const idf = Math.log((N + 1) / (df[b]! + 1)) + 1;
      let n = 0;
      for (const x of v) n += x * x;
      n = Math.sqrt(n) || 1;
      for (let j = 0; j < Math.min(d, v.length); j++) W[b * d + j]! += (idf * o.alpha * v[j]!) / n;
    }
    console.log(`word rows from ${o.wordVectors}: ${initialised}`);
  }
  const G = new Float32Array(o.buckets).fill(1e-6); // AdaGrad accumulator per row

  const u = (s: SparseFeatures, outv: Float32Array): number => {
    outv.fill(0);
    for (let k = 0; k < s.ids.length; k++) {
      const base = s.ids[k]! * d;
      const v = s.values[k]!;
      for (let j = 0; j < d; j++) outv[j]! += v * W[base + j]!;
    }
    let n = 0;
    for (let j = 0; j < d; j++) n += outv[j]! * outv[j]!;
    return Math.sqrt(n) || 1e-9;
  };

  const ua = new Float32Array(d), ub = new Float32Array(d), ga = new Float32Array(d), gb = new Float32Array(d);
  const step = (sa: SparseFeatures, sb: SparseFeatures, y: number, weight: number): number => {
    const na = u(sa, ua), nb = u(sb, ub);
    let s = 0;
    for (let j = 0; j < d; j++) s += ua[j]! * ub[j]!;
    s /= na * nb;
    const z = (y ? 1 : -1) * o.gamma * (s - o.margin);
    const loss = Math.log1p(Math.exp(-z));
    const g = (-(y ? 1 : -1) * o.gamma * weight) / (1 + Math.exp(z)); // dL/ds
    for (let j = 0; j < d; j++) {
      const ea = ua[j]! / na, eb = ub[j]! / nb;
      ga[j] = (g * (eb - s * ea)) / na;
      gb[j] = (g * (ea - s * eb)) / nb;
    }
    const apply = (sp: SparseFeatures, gv: Float32Array): void => {
      let gn = 0;
      for (let j = 0; j < d; j++) gn += gv[j]! * gv[j]!;
      for (let k = 0; k < sp.ids.length; k++) {
        const id = sp.ids[k]!, v = sp.values[k]!;
        G[id]! += gn * v * v;
        const lr = o.lr / Math.sqrt(G[id]!);
        const base = id * d;
        for (let j = 0; j < d; j++) W[base + j]! -= lr * v * gv[j]!;
      }
    };
    apply(sa, ga);
    apply(sb, gb);
    return loss;
  };

  const evaluate = (pairs: LabelledPair[]): { at1: number; at5: number } => {
    const model = new BuiltinModel(header(o, {}), W);
    const pos: number[] = [], neg: number[] = [];
    for (const p of pairs) {
      const s = dotf(model.embed(p.a), model.embed(p.b));
      (p.label ? pos : neg).push(s);
    }
    return { at1: rateAtFalseHits(pos, neg, 0.01).hitRate, at5: rateAtFalseHits(pos, neg, 0.05).hitRate };
  };

  let best = { score: -1, epoch: -1, W: new Float32Array(0) };
  const trainPairs = o.closure ? withClosure(split.train, o.closure) : split.train;
  if (o.closure) console.log(`transitive closure: ${split.train.length} -> ${trainPairs.length} training pairs`);
  const order = trainPairs.map((_, i) => i);
  console.log('epoch 0 val', evaluate(split.val));
  for (let ep = 1; ep <= o.epochs; ep++) {
    for (let i = order.length - 1; i > 0; i--) {
      const k = Math.floor(r() * (i + 1));
      [order[i], order[k]] = [order[k]!, order[i]!];
    }
    let loss = 0;
    for (const i of order) {
      const p = trainPairs[i]!;
      loss += step(f(p.a), f(p.b), p.label, 1);
      if (o.randomNegWeight > 0) {
        const q = trainPairs[Math.floor(r() * trainPairs.length)]!;
        loss += step(f(p.a), f(q.b), 0, o.randomNegWeight);
      }
    }
    const v = evaluate(split.val);
    const score = v.at1 + v.at5;
    console.log(`epoch ${ep} loss ${(loss / order.length).toFixed(4)} val`, v);
    if (score > best.score) best = { score, epoch: ep, W: W.slice() };
  }
  W.set(best.W);
  const test = evaluate(split.test);
  console.log(`best epoch ${best.epoch}; held-out test`, test);
  const model = new BuiltinModel(
    header(o, {
      data: 'gptcache-qqp qqp_pairs_labeled.jsonl (64,860-pair copy)',
      split: 'connected components of questions, by fnv1a("component:"+root)%10: 0-1 test, 2 val, rest train (no test or val question in training)',
      features: { lemmas: o.lemmas, bigrams: o.bigrams, trigrams: o.trigrams },
      trainPairs: split.train.length,
      epochs: best.epoch,
      heldOutTest: { pairs: split.test.length, hitRateAt1pctFalse: test.at1, hitRateAt5pctFalse: test.at5 },
    }),
    W,
  );
  const buf = model.serialize();
  writeFileSync(out, buf);
  const reload = BuiltinModel.deserialize(buf);
  const W2 = reload.weights;
  W.set(W2);
  console.log(`wrote ${out} (${(buf.length / 1e6).toFixed(2)} MB); after int8 quantisation test`, evaluate(split.test));
}

/**
 * Duplicates are transitive: in a cluster of questions joined by label-1 pairs every two are the
 * same question, and a label-0 pair between two clusters makes every cross pair different. Adds up
 * to `cap` implied pairs per labelled pair (training components only, so nothing leaks).
 */
export function withClosure(pairs: LabelledPair[], cap: number): LabelledPair[] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    while (parent.has(x) && parent.get(x) !== x) x = parent.get(x)!;
    return x;
  };
  for (const p of pairs) {
    if (!parent.has(p.a)) parent.set(p.a, p.a);
    if (!parent.has(p.b)) parent.set(p.b, p.b);
    if (p.label) {
      const ra = find(p.a), rb = find(p.b);
      if (ra !== rb) parent.set(ra, rb);
    }
  }
  const members = new Map<string, string[]>();
  for (const t of parent.keys()) {
    const r = find(t);
    const l = members.get(r);
    if (l) l.push(t);
    else members.set(r, [t]);
  }
  const out = [...pairs];
  const seen = new Set(pairs.map((p) => p.a + '\u0000' + p.b));
  const add = (a: string, b: string, label: 0 | 1): boolean => {
    if (a === b || seen.has(a + '\u0000' + b) || seen.has(b + '\u0000' + a)) return false;
    seen.add(a + '\u0000' + b);
    out.push({ a, b, label });
    return true;
  };
  for (const p of pairs) {
    const ca = members.get(find(p.a))!, cb = members.get(find(p.b))!;
    let n = 0;
    for (const x of ca) {
      for (const y of cb) {
        if (n >= cap) break;
        if (add(x, y, p.label)) n++;
      }
      if (n >= cap) break;
    }
  }
  return out;
}

function header(o: Opts, trainedOn: Record<string, unknown>): BuiltinHeader {
  return { format: 'tollgate-builtin-embedder', version: 2, buckets: o.buckets, dim: o.dim, bigrams: o.bigrams, trigrams: o.trigrams, lemmas: o.lemmas, trainedOn };
}

function dotf(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

const [, script, dataDir, out, ...rest] = process.argv;
// only when run as a script: importing withClosure must not start a training run
if (script && /train-builtin/.test(script) && dataDir && out) {
  const kv = Object.fromEntries(rest.map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  train(dataDir, out, {
    buckets: Number(kv.buckets ?? 32768),
    dim: Number(kv.dim ?? 128),
    epochs: Number(kv.epochs ?? 8),
    lr: Number(kv.lr ?? 0.05),
    margin: Number(kv.margin ?? 0.7),
    gamma: Number(kv.gamma ?? 10),
    randomNegWeight: Number(kv.randneg ?? 0.3),
    seed: Number(kv.seed ?? 7),
    bigrams: kv.bigrams === '1',
    trigrams: kv.trigrams !== '0',
    lemmas: kv.lemmas !== '0',
    wordVectors: kv.vectors,
    alpha: Number(kv.alpha ?? 1),
    beta: Number(kv.beta ?? 0.5),
    closure: Number(kv.closure ?? 0),
  });
}
