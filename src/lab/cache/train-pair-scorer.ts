// Offline trainer of the built-in embedder's pair scorer (embedders/pair-scorer.ts; not used at run
// time). Logistic regression (AdaGrad, L2) over the pair features of the QQP training components'
// pairs that pass the guards (the cache vetoes the others before scoring, so the scorer spends its
// weights on the pairs it will actually see); idf from the training texts only; the epoch is chosen
// on the val components (hit rate at 1% + at 5% false hits, guards on), and the test components are
// reported once. No question of a val or test pair is in training (qqp.ts).
//   npx tsx src/lab/cache/train-pair-scorer.ts ../shared/data/gptcache-qqp data/cache/builtin-pair-scorer.bin [--epochs=6]

import { writeFileSync } from 'node:fs';
import { BuiltinModel, dot } from '../../levers/cache/embedders/builtin-model.js';
import { defaultBuiltinPath } from '../../levers/cache/embedders/index.js';
import { buildIdf, denseCount, margin, pairText, PairScorer, type PairFeatures, type PairText } from '../../levers/cache/embedders/pair-scorer.js';
import { loadQqpPairs, rateAtFalseHits, splitPairs, textsOf, type LabelledPair } from './qqp.js';
import { guarded } from './run.js';

export interface PairTrainOpts {
  buckets: number;
  epochs: number;
  lr: number;
  l2: number;
  seed: number;
  embedderFile: string;
  /** bootstrap runs averaged (1 = off) */
  bags: number;
  /** pairwise products of the dense features */
  quadratic: boolean;
}

export function trainPairScorer(dataDir: string, out: string, o: PairTrainOpts): PairScorer {
  const split = splitPairs(loadQqpPairs(dataDir));
  const model = BuiltinModel.load(o.embedderFile);
  const idfQ = buildIdf(textsOf(split.train), o.buckets);
  const D = denseCount(o.quadratic);
  const dense = new Float32Array(D);
  const sparse = new Float32Array(o.buckets);
  const scorer = new PairScorer({ format: 'tollgate-builtin-pair-scorer', version: 1, buckets: o.buckets, dense: Array.from(dense), quadratic: o.quadratic }, sparse, idfQ, model);
  const texts = new Map<string, { p: PairText; v: Float32Array }>();
  const t = (s: string) => {
    let x = texts.get(s);
    if (!x) texts.set(s, (x = { p: pairText(s), v: model.embed(s) }));
    return x;
  };
  const featuresOf = (ps: LabelledPair[]): PairFeatures[] =>
    ps.map((p) => {
      const a = t(p.a), b = t(p.b);
      return scorer.features(a.p, b.p, dot(a.v, b.v));
    });
  // the cache scores only what the guards let through: train on those pairs
  const train = split.train.filter((p) => guarded([p], [0])[0] !== -Infinity);
  console.log(`pairs train=${split.train.length} (${train.length} pass the guards) val=${split.val.length} test=${split.test.length}`);
  const TF = featuresOf(train);
  const VF = featuresOf(split.val);
  const evaluate = (ps: LabelledPair[], fs: PairFeatures[], guards: boolean) => {
    const raw = fs.map((f) => margin(f, dense, sparse));
    const s = guards ? guarded(ps, raw) : raw;
    const pos: number[] = [], neg: number[] = [];
    ps.forEach((p, i) => (p.label ? pos : neg).push(s[i]!));
    return { at1: rateAtFalseHits(pos, neg, 0.01).hitRate, at5: rateAtFalseHits(pos, neg, 0.05).hitRate };
  };
  const gd = new Float64Array(D).fill(1e-8), gs = new Float64Array(o.buckets).fill(1e-8);
  let seed = o.seed >>> 0;
  const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
  const order = TF.map((_, i) => i);
  /** one AdaGrad step of the logistic loss; returns the loss */
  const sgd = (f: PairFeatures, y: 0 | 1): number => {
    const p = 1 / (1 + Math.exp(-margin(f, dense, sparse)));
    const g = p - y;
    for (let j = 0; j < D; j++) {
      const gj = g * f.dense[j]! + o.l2 * dense[j]!;
      gd[j]! += gj * gj;
      dense[j]! -= (o.lr * gj) / Math.sqrt(gd[j]!);
    }
    for (const s of f.sparse) {
      const gj = g + o.l2 * sparse[s]!;
      gs[s]! += gj * gj;
      sparse[s]! -= (o.lr * gj) / Math.sqrt(gs[s]!);
    }
    return -Math.log(y ? p + 1e-12 : 1 - p + 1e-12);
  };
  let best = { score: -1, epoch: 0, dense: dense.slice(), sparse: sparse.slice(), val: { at1: 0, at5: 0 } };
  for (let ep = 1; ep <= o.epochs; ep++) {
    for (let i = order.length - 1; i > 0; i--) {
      const k = Math.floor(rnd() * (i + 1));
      [order[i], order[k]] = [order[k]!, order[i]!];
    }
    let loss = 0;
    for (const i of order) loss += sgd(TF[i]!, train[i]!.label);
    const v = evaluate(split.val, VF, true);
    console.log(`epoch ${ep} loss ${(loss / order.length).toFixed(4)} val guards on`, v, 'off', evaluate(split.val, VF, false));
    if (v.at1 + v.at5 > best.score) best = { score: v.at1 + v.at5, epoch: ep, dense: dense.slice(), sparse: sparse.slice(), val: v };
  }
  dense.set(best.dense);
  sparse.set(best.sparse);
  // bagging: more runs at the chosen epoch count on bootstrap samples, weights averaged (a linear
  // model's averaged weights are its averaged margins, so lookups cost the same)
  if (o.bags > 1) {
    const sumD = Float64Array.from(dense), sumS = Float64Array.from(sparse);
    for (let bag = 1; bag < o.bags; bag++) {
      dense.fill(0);
      sparse.fill(0);
      gd.fill(1e-8);
      gs.fill(1e-8);
      const sample = order.map(() => Math.floor(rnd() * order.length));
      for (let ep = 1; ep <= best.epoch; ep++) {
        for (let i = sample.length - 1; i > 0; i--) {
          const k = Math.floor(rnd() * (i + 1));
          [sample[i], sample[k]] = [sample[k]!, sample[i]!];
        }
        for (const i of sample) sgd(TF[i]!, train[i]!.label);
      }
      for (let j = 0; j < D; j++) sumD[j]! += dense[j]!;
      for (let j = 0; j < o.buckets; j++) sumS[j]! += sparse[j]!;
      console.log(`bag ${bag} val guards on`, evaluate(split.val, VF, true));
    }
    for (let j = 0; j < D; j++) dense[j] = sumD[j]! / o.bags;
    for (let j = 0; j < o.buckets; j++) sparse[j] = sumS[j]! / o.bags;
    best.val = evaluate(split.val, VF, true);
    console.log(`${o.bags} bags averaged: val guards on`, best.val, 'off', evaluate(split.val, VF, false));
  }
  const test = { guardsOn: evaluate(split.test, featuresOf(split.test), true), guardsOff: evaluate(split.test, featuresOf(split.test), false) };
  console.log(`best epoch ${best.epoch}; held-out test`, test);
  const final = new PairScorer(
    {
      format: 'tollgate-builtin-pair-scorer',
      version: 1,
      buckets: o.buckets,
      dense: Array.from(dense),
      quadratic: o.quadratic,
      trainedOn: {
        data: 'gptcache-qqp qqp_pairs_labeled.jsonl (64,860-pair copy)',
        split: 'connected components of questions (qqp.ts): no test or val question in training',
        embedder: model.header.version,
        trainPairs: train.length,
        epochs: best.epoch,
        bags: o.bags,
        val: best.val,
        heldOutTest: { pairs: split.test.length, ...test },
      },
    },
    sparse,
    idfQ,
    model,
  );
  writeFileSync(out, final.serialize());
  console.log(`wrote ${out}`);
  return final;
}

const [, script, dataDir, out, ...rest] = process.argv;
if (script && /train-pair-scorer/.test(script) && dataDir && out) {
  const kv = Object.fromEntries(rest.map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  trainPairScorer(dataDir, out, {
    buckets: Number(kv.buckets ?? 1 << 18),
    epochs: Number(kv.epochs ?? 6),
    lr: Number(kv.lr ?? 0.1),
    l2: Number(kv.l2 ?? 1e-6),
    seed: Number(kv.seed ?? 11),
    embedderFile: kv.embedder ?? defaultBuiltinPath(),
    bags: Number(kv.bags ?? 1),
    quadratic: kv.quadratic === '1',
  });
}
