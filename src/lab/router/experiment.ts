// Train/validate/test runs of the learned router, within a data set and across data sets: splits by
// leak-free groups (./splits.ts), soft labels from the quality difference, operating points and the
// out-of-distribution guard's threshold from the validation split, numbers from held-out items only.
// Across data sets the whole other set is the test set, minus any prompt seen in training. Beside the
// router: random, and a lookup table of each task's average gain that ignores the text.

import { curve, deliveredAt, oracleItems, randomSummary, summarize, type Delivered, type EvalItem, type RouterSummary } from './metrics.js';
import { HASH_VERSION, type FeatureSpec } from '../../levers/router/classifier/features.js';
import { RouterClassifier, thresholdForPoints, type OperatingPoint } from '../../levers/router/classifier/model.js';
import { DEFAULT_TRAIN, trainLogReg, type TrainExample, type TrainOptions } from './train.js';
import { itemCost, type OutcomeItem, type OutcomeSet } from './datasets.js';
import { fitOodGuard } from './ood-fit.js';
import { foldsByGroup, splitByGroup, trainingPrompts, unseenBy, type Split } from './splits.js';

// Sized for decision time: words over the first 1,000 characters, character 4-grams over the first
// 400. Against the first release (word 1-2-grams over 1,500, char 3-4-grams over all of them) the
// means over seeds moved by less than the seed-to-seed spread while the scoring time of the longest
// prompts fell by half.
export const DEFAULT_SPEC: FeatureSpec = { dim: 1 << 16, wordNgrams: 2, charNgrams: [4, 4], maxChars: 1000, charMaxChars: 400, useTask: false, hashVersion: HASH_VERSION };

/** One data set's share of a training run. */
export interface TrainPart {
  set: OutcomeSet;
  train: OutcomeItem[];
  val: OutcomeItem[];
}

export function toExamples(set: OutcomeSet, items: readonly OutcomeItem[], useTask: boolean): TrainExample[] {
  // soft label: 1 = the strong model did better by the whole scale, 0.5 = no difference
  return items.map((it) => ({ text: it.text, task: useTask ? it.task : undefined, y: Math.min(1, Math.max(0, 0.5 + (it.strongQ - it.weakQ) / (2 * set.scale))) }));
}

export function evalItems(set: OutcomeSet, clf: RouterClassifier, items: readonly OutcomeItem[]): EvalItem[] {
  return items.map((it) => {
    const a = clf.assess(it.text, clf.spec.useTask ? it.task : undefined);
    return { score: a.score, ood: a.ood, task: it.task, weakQ: it.weakQ, strongQ: it.strongQ, weakCost: itemCost(set, it, 'weak'), strongCost: itemCost(set, it, 'strong') };
  });
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

const setNames = (parts: readonly TrainPart[]): string => parts.map((p) => p.set.name).join('+');

/** Fits the router on the parts' training items; operating points and the guard from their validation items. */
/** Prompts of other traffic the out-of-distribution guard learns to tell apart (./background.ts). */
export interface Background {
  texts: readonly string[];
  name: string;
}

export function fitRouter(parts: readonly TrainPart[], spec: FeatureSpec, opts: TrainOptions, background: Background): RouterClassifier {
  const examples = parts.flatMap((p) => toExamples(p.set, p.train, spec.useTask));
  const { weights, bias } = trainLogReg(examples, spec, opts);
  const provisional = new RouterClassifier(spec, weights, bias, []);
  const points = operatingPoints(parts.flatMap((p) => evalItems(p.set, provisional, p.val)));
  const ood = fitOodGuard(
    spec,
    parts.flatMap((p) => p.train.map((it) => it.text)),
    parts.flatMap((p) => p.val.map((it) => it.text)),
    background.texts,
    background.name,
    opts.seed,
  );
  const first = parts[0]!.set;
  const single = parts.length === 1;
  return new RouterClassifier(
    spec,
    weights,
    bias,
    points,
    {
      dataset: setNames(parts),
      weakModel: single ? first.weakModel : parts.map((p) => p.set.weakModel).join(' / '),
      strongModel: single ? first.strongModel : parts.map((p) => p.set.strongModel).join(' / '),
      trainItems: parts.reduce((s, p) => s + p.train.length, 0),
      validationItems: parts.reduce((s, p) => s + p.val.length, 0),
      seed: opts.seed,
      split: 'leak-free: prompts equal after normalisation share a split',
      training: `logistic regression, AdaGrad, learning rate ${opts.learningRate}, ${opts.epochs} epochs, L2 ${opts.l2}`,
      label: 'soft: 0.5 + (strong - weak) / (2 * scale)',
      features: `hashed word 1-${spec.wordNgrams}-grams, char ${spec.charNgrams.join('-')}-grams (first ${spec.charMaxChars ?? spec.maxChars} chars), length/structure${spec.useTask ? ', task tag' : ' (prompt text only)'}; hashing v${spec.hashVersion ?? 1}`,
      // what `tollgate router eval` prices calls at unless told otherwise (the first set's list prices)
      prices: first.prices,
      outputTokens: first.outputTokens,
    },
    { ood, trainingPrompts: trainingPrompts(parts.flatMap((p) => p.train)) },
  );
}

/** The text-blind baseline: each task's mean gain (strong − weak, on the 0–1 scale) in training. */
export class TaskTable {
  private readonly gain = new Map<string, number>();
  private readonly fallback: number;
  points: OperatingPoint[] = [];

  constructor(parts: readonly TrainPart[]) {
    const sums = new Map<string, { s: number; n: number }>();
    let total = 0;
    let n = 0;
    for (const p of parts)
      for (const it of p.train) {
        const g = (it.strongQ - it.weakQ) / p.set.scale;
        const e = sums.get(it.task) ?? { s: 0, n: 0 };
        e.s += g;
        e.n++;
        sums.set(it.task, e);
        total += g;
        n++;
      }
    for (const [t, e] of sums) this.gain.set(t, e.s / e.n);
    this.fallback = n ? total / n : 0;
    this.points = operatingPoints(parts.flatMap((p) => this.evalItems(p.set, p.val)));
  }

  /** Tasks never seen in training all get the overall mean: on another data set this is a random router. */
  evalItems(set: OutcomeSet, items: readonly OutcomeItem[]): EvalItem[] {
    return items.map((it) => ({ score: this.gain.get(it.task) ?? this.fallback, task: it.task, weakQ: it.weakQ, strongQ: it.strongQ, weakCost: itemCost(set, it, 'weak'), strongCost: itemCost(set, it, 'strong') }));
  }
}

const r4 = (x: number): number => Math.round(x * 10_000) / 10_000;

function roundDelivered(d: Delivered): Delivered {
  const out: Delivered = { threshold: r4(d.threshold), strongShare: r4(d.strongShare), qualityRatio: r4(d.qualityRatio), costReduction: r4(d.costReduction) };
  if (d.refusedShare !== undefined) out.refusedShare = r4(d.refusedShare);
  return out;
}

export interface RouterFigures {
  router: string;
  apgr: number;
  /** cheapest point with quality ≥ 95% of always-strong, the threshold chosen on this test data (an upper bound) */
  bestAt95: { strongShare: number; qualityRatio: number; costReduction: number } | null;
  /** what the `quality_ge: 0.95` threshold chosen on the training set's validation split delivers here */
  deliveredAt95: Delivered;
  /** the same, with the out-of-distribution guard sending refused requests to strong (as the gateway does) */
  deliveredAt95Guarded?: Delivered;
}

function figures(router: string, items: readonly EvalItem[], points: readonly OperatingPoint[], oodThreshold?: number): RouterFigures {
  const s = summarize(items);
  const { threshold } = thresholdForPoints(points, { quality_ge: 0.95 });
  const f: RouterFigures = {
    router,
    apgr: r4(s.apgr),
    bestAt95: s.at95 ? { strongShare: r4(s.at95.strongShare), qualityRatio: r4(s.at95.quality / s.strongQuality), costReduction: r4(s.at95.costReduction) } : null,
    deliveredAt95: roundDelivered(deliveredAt(items, threshold)),
  };
  if (oodThreshold !== undefined) f.deliveredAt95Guarded = roundDelivered(deliveredAt(items, threshold, oodThreshold));
  return f;
}

/** Random routing at the strong share that met 95% on the training set's validation split. */
function randomFigures(items: readonly EvalItem[], validation: readonly EvalItem[]): RouterFigures {
  const v = randomSummary(validation);
  const share = v.at95?.strongShare ?? 1;
  const s = randomSummary(items);
  const q = s.weakQuality + share * (s.strongQuality - s.weakQuality);
  const c = s.alwaysWeakCost + share * (s.alwaysStrongCost - s.alwaysWeakCost);
  return {
    router: 'random (expected)',
    apgr: 0.5,
    bestAt95: s.at95 ? { strongShare: r4(s.at95.strongShare), qualityRatio: r4(s.at95.quality / s.strongQuality), costReduction: r4(s.at95.costReduction) } : null,
    deliveredAt95: { threshold: NaN, strongShare: r4(share), qualityRatio: r4(s.strongQuality > 0 ? q / s.strongQuality : 1), costReduction: r4(1 - c / s.alwaysStrongCost) },
  };
}

export interface EvalReport {
  trainedOn: string;
  evaluatedOn: string;
  kind: 'within' | 'across';
  protocol: string;
  weakModel: string;
  strongModel: string;
  items: { train: number; validation: number; test: number; excludedSeenInTraining: number };
  quality: { alwaysWeak: number; alwaysStrong: number; oracleBestOfBoth: number };
  routers: RouterFigures[];
  /** the learned router (text only) by task of the evaluated set */
  perTask?: { task: string; n: number; apgr: number; deliveredQualityRatio: number; deliveredQualityRatioGuarded: number; refusedShare: number; costReductionGuarded: number }[];
  curve?: { strongShare: number; qualityRatio: number; costReduction: number }[];
}

function thinCurve(items: readonly EvalItem[]): EvalReport['curve'] {
  const s = summarize(items);
  const out: NonNullable<EvalReport['curve']> = [];
  let last = -1;
  for (const p of curve(items)) {
    if (p.strongShare - last < 0.05 && p.strongShare < 1) continue;
    last = p.strongShare;
    out.push({ strongShare: r4(p.strongShare), qualityRatio: r4(p.quality / s.strongQuality), costReduction: r4(1 - p.costUsd / s.alwaysStrongCost) });
  }
  return out;
}

function perTask(items: readonly EvalItem[], points: readonly OperatingPoint[], oodThreshold: number): NonNullable<EvalReport['perTask']> {
  const { threshold } = thresholdForPoints(points, { quality_ge: 0.95 });
  const byTask = new Map<string, EvalItem[]>();
  for (const it of items) {
    const g = byTask.get(it.task ?? '') ?? [];
    g.push(it);
    byTask.set(it.task ?? '', g);
  }
  return [...byTask.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([task, its]) => {
      const plain = deliveredAt(its, threshold);
      const guarded = deliveredAt(its, threshold, oodThreshold);
      return { task, n: its.length, apgr: r4(summarize(its).apgr), deliveredQualityRatio: r4(plain.qualityRatio), deliveredQualityRatioGuarded: r4(guarded.qualityRatio), refusedShare: r4(guarded.refusedShare ?? 0), costReductionGuarded: r4(guarded.costReduction) };
    });
}

interface Target {
  set: OutcomeSet;
  items: OutcomeItem[];
  excluded: number;
}

/** Everything measured for one trained run on one test set. */
function report(kind: EvalReport['kind'], protocol: string, parts: readonly TrainPart[], target: Target, models: { text: RouterClassifier; task?: RouterClassifier }, table: TaskTable, withTasks: boolean): EvalReport {
  const learned = evalItems(target.set, models.text, target.items);
  const validation = parts.flatMap((p) => evalItems(p.set, models.text, p.val));
  const s = summarize(learned);
  const routers: RouterFigures[] = [randomFigures(learned, validation), figures('task-tag lookup (ignores the text)', table.evalItems(target.set, target.items), table.points)];
  const oodThreshold = models.text.ood?.threshold;
  routers.push(figures('learned, text only', learned, models.text.operatingPoints, oodThreshold));
  if (models.task) routers.push(figures('learned, text + task tag', evalItems(target.set, models.task, target.items), models.task.operatingPoints, models.task.ood?.threshold));
  const oracle = summarize(oracleItems(learned));
  routers.push({ router: 'oracle (knows the outcomes)', apgr: r4(oracle.apgr), bestAt95: oracle.at95 ? { strongShare: r4(oracle.at95.strongShare), qualityRatio: r4(oracle.at95.quality / oracle.strongQuality), costReduction: r4(oracle.at95.costReduction) } : null, deliveredAt95: roundDelivered(deliveredAt(oracleItems(learned), 1e-12)) });
  return {
    trainedOn: setNames(parts),
    evaluatedOn: target.set.name,
    kind,
    protocol,
    weakModel: target.set.weakModel,
    strongModel: target.set.strongModel,
    items: { train: parts.reduce((n, p) => n + p.train.length, 0), validation: parts.reduce((n, p) => n + p.val.length, 0), test: target.items.length, excludedSeenInTraining: target.excluded },
    quality: { alwaysWeak: r4(s.weakQuality), alwaysStrong: r4(s.strongQuality), oracleBestOfBoth: r4(target.items.reduce((q, i) => q + Math.max(i.weakQ, i.strongQ), 0) / target.items.length) },
    routers,
    ...(withTasks && oodThreshold !== undefined ? { perTask: perTask(learned, models.text.operatingPoints, oodThreshold) } : {}),
    curve: thinCurve(learned),
  };
}

export interface Matrix {
  /** the sets trained on: each alone, and all of them together */
  runs: EvalReport[];
}

/**
 * Trains on each set alone and on the union of the sets (text only; also text + task tag within a
 * set), and reports every trained run on its own held-out test split (within) and on every set it
 * did not train on (across). Sets too small for a 60/20/20 split (MT-Bench, 160 items) are only
 * evaluated on, across, and within by k-fold.
 */
export function evaluateMatrix(sets: readonly OutcomeSet[], seed: number, background: Background, opts: { smallSetItems?: number; folds?: number } = {}): Matrix {
  const small = opts.smallSetItems ?? 500;
  const folds = opts.folds ?? 5;
  const trainOpts = { ...DEFAULT_TRAIN, seed };
  const splits = new Map<string, Split>();
  for (const s of sets) if (s.items.length > small) splits.set(s.name, splitByGroup(s.items, seed));
  const trainable = sets.filter((s) => splits.has(s.name));
  const sources: OutcomeSet[][] = trainable.map((s) => [s]);
  if (trainable.length > 1) sources.push(trainable);
  const runs: EvalReport[] = [];
  for (const src of sources) {
    const parts: TrainPart[] = src.map((set) => ({ set, train: splits.get(set.name)!.train, val: splits.get(set.name)!.val }));
    const text = fitRouter(parts, { ...DEFAULT_SPEC, useTask: false }, trainOpts, background);
    const task = src.length === 1 ? fitRouter(parts, { ...DEFAULT_SPEC, useTask: true }, trainOpts, background) : undefined;
    const table = new TaskTable(parts);
    const trainedItems = parts.flatMap((p) => p.train);
    for (const target of sets) {
      const inside = src.includes(target);
      if (inside) {
        const test = splits.get(target.name)!.test;
        const { kept, excluded } = unseenBy(test, trainedItems);
        runs.push(report('within', `seeded split 60/20/20 by leak-free group, seed ${seed}; operating points and guard on validation; numbers on the ${target.name} test split`, parts, { set: target, items: kept, excluded }, { text, task }, table, true));
      } else {
        const { kept, excluded } = unseenBy(target.items, trainedItems);
        runs.push(report('across', `trained on ${setNames(parts)} (seed ${seed}), evaluated on all of ${target.name} not seen in training`, parts, { set: target, items: kept, excluded }, { text }, table, true));
      }
    }
  }
  // small sets within themselves: k-fold, out-of-fold scores (threshold from the other folds' training items)
  for (const set of sets.filter((s) => !splits.has(s.name))) runs.push(kFoldWithin(set, seed, folds, trainOpts, background));
  return { runs };
}

function kFoldWithin(set: OutcomeSet, seed: number, k: number, trainOpts: TrainOptions, background: Background): EvalReport {
  const fs = foldsByGroup(set.items, seed, k);
  const learned: EvalItem[] = [];
  const tagged: EvalItem[] = [];
  const delivered: EvalItem[] = [];
  let excluded = 0;
  for (let f = 0; f < k; f++) {
    const train = fs.filter((_, i) => i !== f).flat();
    const { kept, excluded: ex } = unseenBy(fs[f]!, train);
    excluded += ex;
    const parts = [{ set, train, val: train }];
    const m = fitRouter(parts, { ...DEFAULT_SPEC, useTask: false }, trainOpts, background);
    const table = new TaskTable(parts);
    const items = evalItems(set, m, kept);
    const { threshold } = m.thresholdFor({ quality_ge: 0.95 });
    // fold-local decisions, pooled: a score above this fold's threshold becomes 1, else 0
    for (const it of items) delivered.push({ ...it, score: it.score >= threshold ? 1 : 0 });
    learned.push(...items);
    tagged.push(...table.evalItems(set, kept));
  }
  const s = summarize(learned);
  const d = deliveredAt(delivered, 0.5);
  return {
    trainedOn: set.name,
    evaluatedOn: set.name,
    kind: 'within',
    protocol: `${k}-fold cross-validation by question, seed ${seed}; out-of-fold scores; each fold's threshold from its own training folds (no separate validation: too few items)`,
    weakModel: set.weakModel,
    strongModel: set.strongModel,
    items: { train: Math.round((set.items.length * (k - 1)) / k), validation: 0, test: learned.length, excludedSeenInTraining: excluded },
    quality: { alwaysWeak: r4(s.weakQuality), alwaysStrong: r4(s.strongQuality), oracleBestOfBoth: r4(learned.reduce((q, i) => q + Math.max(i.weakQ, i.strongQ), 0) / learned.length) },
    routers: [
      randomFigures(learned, learned),
      { ...figures('task-tag lookup (ignores the text)', tagged, operatingPoints(tagged)), deliveredAt95: { threshold: NaN, strongShare: NaN, qualityRatio: NaN, costReduction: NaN } },
      { router: 'learned, text only', apgr: r4(s.apgr), bestAt95: s.at95 ? { strongShare: r4(s.at95.strongShare), qualityRatio: r4(s.at95.quality / s.strongQuality), costReduction: r4(s.at95.costReduction) } : null, deliveredAt95: roundDelivered(d) },
    ],
    curve: thinCurve(learned),
  };
}
