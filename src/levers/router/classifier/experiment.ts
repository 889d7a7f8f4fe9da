// Train/validate/test runs of the learned router on an outcome set: seeded splits by group, soft
// labels from the quality difference, operating points from the validation split, numbers from the
// test split only (MT-Bench, with 160 items, uses k-fold out-of-fold scores instead).

import { curve, oracleItems, randomSummary, summarize, type EvalItem, type RouterSummary } from './metrics.js';
import { HASH_VERSION, type FeatureSpec } from './features.js';
import { RouterClassifier, type OperatingPoint } from './model.js';
import { DEFAULT_TRAIN, seededRandom, shuffleInPlace, trainLogReg, type TrainExample, type TrainOptions } from './train.js';
import { itemCost, type OutcomeItem, type OutcomeSet } from './datasets.js';

// Sized for decision time: words over the first 1,000 characters, character 4-grams over the first
// 400. Against the first release (word 1-2-grams over 1,500, char 3-4-grams over all of them) the
// means over seeds moved by less than the seed-to-seed spread (MMLU, 4 seeds: APGR 0.632 → 0.639,
// cost reduction at 95% quality 46.7% → 49.1%; MT-Bench, 5 seeds of 5-fold: APGR 0.552 → 0.531,
// inside its seed-to-seed spread of ±0.05 on 160 items) while the scoring time of the longest
// prompts fell by half.
export const DEFAULT_SPEC: FeatureSpec = { dim: 1 << 16, wordNgrams: 2, charNgrams: [4, 4], maxChars: 1000, charMaxChars: 400, useTask: false, hashVersion: HASH_VERSION };

export interface Split {
  train: OutcomeItem[];
  val: OutcomeItem[];
  test: OutcomeItem[];
}

function groupsShuffled(items: readonly OutcomeItem[], seed: number): OutcomeItem[][] {
  const byGroup = new Map<string, OutcomeItem[]>();
  for (const it of items) {
    const g = byGroup.get(it.group);
    if (g) g.push(it);
    else byGroup.set(it.group, [it]);
  }
  return shuffleInPlace([...byGroup.values()], seededRandom(seed));
}

export function splitByGroup(items: readonly OutcomeItem[], seed: number, trainShare = 0.6, valShare = 0.2): Split {
  const groups = groupsShuffled(items, seed);
  const nTrain = Math.round(groups.length * trainShare);
  const nVal = Math.round(groups.length * valShare);
  return { train: groups.slice(0, nTrain).flat(), val: groups.slice(nTrain, nTrain + nVal).flat(), test: groups.slice(nTrain + nVal).flat() };
}

export function toExamples(set: OutcomeSet, items: readonly OutcomeItem[], useTask: boolean): TrainExample[] {
  // soft label: 1 = the strong model did better by the whole scale, 0.5 = no difference
  return items.map((it) => ({ text: it.text, task: useTask ? it.task : undefined, y: Math.min(1, Math.max(0, 0.5 + (it.strongQ - it.weakQ) / (2 * set.scale))) }));
}

export function evalItems(set: OutcomeSet, clf: RouterClassifier, items: readonly OutcomeItem[]): EvalItem[] {
  return items.map((it) => ({
    score: clf.score(it.text, clf.spec.useTask ? it.task : undefined),
    weakQ: it.weakQ,
    strongQ: it.strongQ,
    weakCost: itemCost(set, it, 'weak'),
    strongCost: itemCost(set, it, 'strong'),
  }));
}

/** Validation curve thinned to ~100 points: the weight file's operating-point table. */
export function operatingPoints(items: readonly EvalItem[]): OperatingPoint[] {
  const pts = curve(items);
  const qs = items.reduce((s, i) => s + i.strongQ, 0) / items.length;
  const out: OperatingPoint[] = [];
  let lastShare = -1;
  for (const p of pts) {
    if (p.strongShare - lastShare < 0.01 && p !== pts[pts.length - 1]) continue;
    lastShare = p.strongShare;
    out.push({ threshold: Number.isFinite(p.threshold) ? p.threshold : 1.0000001, strongShare: p.strongShare, qualityRatio: qs > 0 ? p.quality / qs : 1, pgr: p.pgr });
  }
  return out;
}

export function fitOnSplit(set: OutcomeSet, split: Split, spec: FeatureSpec, opts: TrainOptions = DEFAULT_TRAIN): RouterClassifier {
  const { weights, bias } = trainLogReg(toExamples(set, split.train, spec.useTask), spec, opts);
  const provisional = new RouterClassifier(spec, weights, bias, []);
  const points = operatingPoints(evalItems(set, provisional, split.val));
  return new RouterClassifier(spec, weights, bias, points, {
    dataset: set.name,
    weakModel: set.weakModel,
    strongModel: set.strongModel,
    trainItems: split.train.length,
    validationItems: split.val.length,
    seed: opts.seed,
    training: `logistic regression, AdaGrad, learning rate ${opts.learningRate}, ${opts.epochs} epochs, L2 ${opts.l2}`,
    label: 'soft: 0.5 + (strong - weak) / (2 * scale)',
    features: `hashed word 1-${spec.wordNgrams}-grams, char ${spec.charNgrams.join('-')}-grams (first ${spec.charMaxChars ?? spec.maxChars} chars), length/structure${spec.useTask ? ', task tag' : ' (prompt text only)'}; hashing v${spec.hashVersion ?? 1}`,
  });
}

function pct(x: number): number {
  return Math.round(x * 10_000) / 100;
}

export interface VariantReport {
  features: string;
  summary: RouterSummary;
  /** the threshold picked on validation for quality ≥ 95%, applied to test */
  deployedAt95?: { threshold: number; strongShare: number; qualityRatio: number; costReduction: number };
  curve: { strongShare: number; quality: number; costReduction: number }[];
}

export interface DatasetReport {
  dataset: string;
  weakModel: string;
  strongModel: string;
  prices: OutcomeSet['prices'];
  outputTokensAssumed: number;
  protocol: string;
  items: { train: number; val: number; test: number };
  baselines: { alwaysWeak: { quality: number; costUsd: number }; alwaysStrong: { quality: number; costUsd: number }; random: RouterSummary; oracle: RouterSummary; oracleBestQuality: number };
  variants: VariantReport[];
  notes: string[];
}

function thinCurve(items: readonly EvalItem[], strongCost: number): VariantReport['curve'] {
  const out: VariantReport['curve'] = [];
  let last = -1;
  for (const p of curve(items)) {
    if (p.strongShare - last < 0.05 && p.strongShare < 1) continue;
    last = p.strongShare;
    out.push({ strongShare: pct(p.strongShare) / 100, quality: Math.round(p.quality * 10_000) / 10_000, costReduction: pct(1 - p.costUsd / strongCost) / 100 });
  }
  return out;
}

function deployed(clf: RouterClassifier, test: readonly EvalItem[]): VariantReport['deployedAt95'] {
  const { threshold } = clf.thresholdFor({ quality_ge: 0.95 });
  const n = test.length;
  let strong = 0;
  let q = 0;
  let c = 0;
  for (const it of test) {
    const s = it.score >= threshold;
    if (s) strong++;
    q += s ? it.strongQ : it.weakQ;
    c += s ? it.strongCost : it.weakCost;
  }
  const qs = test.reduce((s, i) => s + i.strongQ, 0) / n;
  const cs = test.reduce((s, i) => s + i.strongCost, 0);
  return { threshold, strongShare: strong / n, qualityRatio: q / n / qs, costReduction: 1 - c / cs };
}

/** Runs the evaluation on one data set: two feature variants (text only; text + task tag). */
export function evaluateSet(set: OutcomeSet, seed: number, folds?: number): DatasetReport {
  const variants: VariantReport[] = [];
  let testItemsForBaselines: EvalItem[] = [];
  let sizes = { train: 0, val: 0, test: 0 };
  for (const useTask of [false, true]) {
    const spec: FeatureSpec = { ...DEFAULT_SPEC, useTask };
    let testEval: EvalItem[];
    let clf: RouterClassifier | undefined;
    if (folds) {
      // k-fold: each fold's items scored by a model trained on the other folds
      const groups = groupsShuffled(set.items, seed);
      testEval = [];
      for (let f = 0; f < folds; f++) {
        const test = groups.filter((_, i) => i % folds === f).flat();
        const train = groups.filter((_, i) => i % folds !== f).flat();
        const m = fitOnSplit(set, { train, val: train, test }, spec, { ...DEFAULT_TRAIN, seed });
        testEval.push(...evalItems(set, m, test));
      }
      sizes = { train: Math.round((set.items.length * (folds - 1)) / folds), val: 0, test: set.items.length };
    } else {
      const split = splitByGroup(set.items, seed);
      clf = fitOnSplit(set, split, spec, { ...DEFAULT_TRAIN, seed });
      testEval = evalItems(set, clf, split.test);
      sizes = { train: split.train.length, val: split.val.length, test: split.test.length };
    }
    testItemsForBaselines = testEval;
    const summary = summarize(testEval);
    variants.push({
      features: useTask ? 'text + task tag (x-tollgate-task)' : 'text only',
      summary,
      deployedAt95: clf ? deployed(clf, testEval) : undefined,
      curve: thinCurve(testEval, summary.alwaysStrongCost),
    });
  }
  const base = testItemsForBaselines;
  const s = summarize(base);
  return {
    dataset: set.name,
    weakModel: set.weakModel,
    strongModel: set.strongModel,
    prices: set.prices,
    outputTokensAssumed: set.outputTokens,
    protocol: folds ? `${folds}-fold cross-validation by question, seed ${seed}; all numbers from out-of-fold scores` : `seeded split 60/20/20 (train/validation/test) by item, seed ${seed}; operating points on validation; all numbers on test`,
    items: sizes,
    baselines: {
      alwaysWeak: { quality: s.weakQuality, costUsd: s.alwaysWeakCost },
      alwaysStrong: { quality: s.strongQuality, costUsd: s.alwaysStrongCost },
      random: randomSummary(base),
      oracle: summarize(oracleItems(base)),
      oracleBestQuality: base.reduce((q, i) => q + Math.max(i.weakQ, i.strongQ), 0) / base.length,
    },
    variants,
    notes: set.notes,
  };
}
