// `tollgate router eval --weights FILE --outcomes FILE.csv`: what given weights do on someone's own
// outcomes before they go live. Rows whose prompt the weights were trained on are left out (the
// weight file carries hashes of its training prompts). The figure that matters is what the weight
// file's own `quality_ge: 0.95` threshold, chosen on its training set's validation split, delivers
// here: on traffic unlike the training data it can be far below 95%.

import { RouterClassifier } from '../../levers/router/classifier/model.js';
import { deliveredAt, randomSummary, summarize, type Delivered } from './metrics.js';
import { evalItems } from './experiment.js';
import { seenInTraining } from './splits.js';
import type { OutcomeSet } from './datasets.js';

export interface WeightsEval {
  weights: string;
  outcomes: string;
  weak: string;
  strong: string;
  rows: number;
  evaluated: number;
  /** rows left out because the weights were trained on their prompt (null: the file does not say) */
  excludedSeenInTraining: number | null;
  weakQuality: number;
  strongQuality: number;
  /** mean performance gap recovered over the strong-share axis (random: 0.5); null when strong is not better */
  apgr: number | null;
  /** cost reduction of the cheapest threshold reaching ≥ 95% of the strong model's quality, chosen on these outcomes */
  costReductionAt95: number | null;
  at95: { strongShare: number; qualityRatio: number; costReduction: number } | null;
  /** quality (fraction of always-strong) that the weight file's own quality_ge 0.95 threshold delivers here, as the gateway routes */
  deliveredQualityAt95: number;
  delivered: Delivered & { validationQualityRatio: number; guard: boolean };
  deliveredWithoutGuard: Delivered;
  random: { apgr: number; costReductionAt95: number | null };
  prices: OutcomeSet['prices'];
  outputTokens: number;
}

const r4 = (x: number): number => Math.round(x * 10_000) / 10_000;

export function evaluateWeights(weightsPath: string, clf: RouterClassifier, set: OutcomeSet): WeightsEval {
  const seen = seenInTraining(clf.extras.trainingPrompts);
  const kept = seen ? set.items.filter((it) => !seen(it.text)) : set.items;
  if (kept.length === 0) throw new Error(`every row of ${set.name} was in the weights' training data: nothing left to evaluate`);
  const items = evalItems(set, clf, kept);
  const s = summarize(items);
  const gap = s.strongQuality - s.weakQuality;
  const op = clf.thresholdFor({ quality_ge: 0.95 });
  const round = (d: Delivered): Delivered => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, r4(v)])) as unknown as Delivered;
  const guarded = round(deliveredAt(items, op.threshold, clf.ood?.threshold));
  const plain = round(deliveredAt(items, op.threshold));
  const rnd = randomSummary(items);
  return {
    weights: weightsPath,
    outcomes: set.name,
    weak: set.weakModel,
    strong: set.strongModel,
    rows: set.items.length,
    evaluated: kept.length,
    excludedSeenInTraining: seen ? set.items.length - kept.length : null,
    weakQuality: r4(s.weakQuality),
    strongQuality: r4(s.strongQuality),
    apgr: gap > 0 ? r4(s.apgr) : null,
    costReductionAt95: s.at95 ? r4(s.at95.costReduction) : null,
    at95: s.at95 ? { strongShare: r4(s.at95.strongShare), qualityRatio: r4(s.strongQuality > 0 ? s.at95.quality / s.strongQuality : 1), costReduction: r4(s.at95.costReduction) } : null,
    deliveredQualityAt95: guarded.qualityRatio,
    delivered: { ...guarded, validationQualityRatio: r4(op.point.qualityRatio), guard: clf.ood !== undefined },
    deliveredWithoutGuard: plain,
    random: { apgr: 0.5, costReductionAt95: rnd.at95 ? r4(rnd.at95.costReduction) : null },
    prices: set.prices,
    outputTokens: set.outputTokens,
  };
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);

export function formatWeightsEval(e: WeightsEval): string {
  const lines = [
    `${e.outcomes}: ${e.evaluated} of ${e.rows} rows evaluated${e.excludedSeenInTraining === null ? ' (the weight file lists no training prompts)' : `, ${e.excludedSeenInTraining} left out (trained on)`}; weak ${e.weak} ${e.weakQuality.toFixed(4)}, strong ${e.strong} ${e.strongQuality.toFixed(4)}`,
    `APGR ${e.apgr === null ? '- (the strong model is not better here)' : e.apgr.toFixed(3)} (random 0.500)`,
    `best threshold on these outcomes for >= 95% of strong quality: cost -${pct(e.costReductionAt95)} (${pct(e.at95?.strongShare)} strong; random: -${pct(e.random.costReductionAt95)})`,
    `the weight file's quality_ge 0.95 threshold (validation: ${pct(e.delivered.validationQualityRatio)}) delivers ${pct(e.deliveredQualityAt95)} of strong quality here, ${pct(e.delivered.strongShare)} strong, cost -${pct(e.delivered.costReduction)}` +
      (e.delivered.guard ? `; ${pct(e.delivered.refusedShare)} refused as out of distribution (without the guard: ${pct(e.deliveredWithoutGuard.qualityRatio)}, cost -${pct(e.deliveredWithoutGuard.costReduction)})` : ''),
  ];
  if (e.deliveredQualityAt95 < 0.95) lines.push(`warning: below 95% of the strong model's quality on these outcomes; pick a threshold from them or retrain on traffic like them`);
  return lines.join('\n');
}
