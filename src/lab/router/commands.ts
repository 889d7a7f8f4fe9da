// The actions behind `tollgate router train` and `tollgate router eval` (src/cli/router.ts loads
// this module only when one of them runs, so the gateway never loads the training code).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { RouterClassifier } from '../../levers/router/classifier/model.js';
import { loadLlmRouter, loadMmlu, loadMtBench, type OutcomeSet } from './datasets.js';
import { evaluateWeights, formatWeightsEval } from './evaluate-weights.js';
import { BACKGROUND_SOURCES, loadBackground } from './background.js';
import { DEFAULT_SPEC, evaluateMatrix, fitRouter, type Background, type EvalReport } from './experiment.js';
import { loadOutcomeCsv } from './outcomes.js';
import { splitByGroup } from './splits.js';
import { DEFAULT_TRAIN } from './train.js';

export const DATASETS = ['mmlu', 'mt-bench', 'llmrouter'] as const;
type DatasetName = (typeof DATASETS)[number];

/** A user's mistake: printed as one line, exit code 1. */
export class UsageError extends Error {}

function load(name: DatasetName, dataDir: string): OutcomeSet {
  if (name === 'mmlu') return loadMmlu(dataDir);
  if (name === 'mt-bench') return loadMtBench(dataDir);
  return loadLlmRouter(dataDir);
}

function datasetArg(v: string): DatasetName {
  if (!(DATASETS as readonly string[]).includes(v)) throw new UsageError(`unknown dataset "${v}" (one of ${DATASETS.join(', ')})`);
  return v as DatasetName;
}

function seedArg(v: string): number {
  const seed = Number(v);
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  return seed;
}

function background(dataDir: string, seed: number): Background {
  return { texts: loadBackground(resolve(dataDir), seed), name: BACKGROUND_SOURCES };
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);

export interface TrainArgs {
  dataset: string;
  data: string;
  out?: string;
  task?: boolean;
  seed: string;
  json?: boolean;
}

export function train(o: TrainArgs): void {
  const names = o.dataset.split(',').map((s) => datasetArg(s.trim()));
  const seed = seedArg(o.seed);
  const parts = names.map((n) => {
    const set = load(n, resolve(o.data));
    const split = splitByGroup(set.items, seed);
    return { set, train: split.train, val: split.val, test: split.test };
  });
  const spec = { ...DEFAULT_SPEC, useTask: Boolean(o.task) };
  const t0 = performance.now();
  const clf = fitRouter(parts, spec, { ...DEFAULT_TRAIN, seed }, background(o.data, seed));
  const ms = performance.now() - t0;
  const out = resolve(o.out ?? `data/router/${names.join('+')}${o.task ? '-task' : ''}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(clf.toFile()) + '\n');
  const at95 = clf.thresholdFor({ quality_ge: 0.95 });
  const n = (k: 'train' | 'val' | 'test'): number => parts.reduce((s, p) => s + p[k].length, 0);
  const result = { weights: out, dataset: names.join(','), train: n('train'), validation: n('val'), held_out_test: n('test'), trainMs: Math.round(ms), thresholdForQuality95: at95.threshold, validationAt95: at95.point, oodThreshold: clf.ood?.threshold };
  if (o.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`wrote ${out} (${n('train')} train, ${n('val')} validation items; ${n('test')} test items untouched) in ${(ms / 1000).toFixed(1)} s`);
    console.log(`operating point for quality >= 95% of the strong model on validation: threshold ${at95.threshold.toFixed(4)}, ${pct(at95.point.strongShare)} to strong; out-of-distribution guard above ${clf.ood?.threshold.toFixed(3)} (${clf.ood?.basis})`);
  }
}

export interface EvalArgs {
  dataset: string;
  data: string;
  seed: string;
  out: string;
  json?: boolean;
  weights?: string;
  outcomes?: string;
  weak?: string;
  strong?: string;
  taskColumn?: string;
  prices?: string;
  outputTokens?: string;
}

function pricesArg(v: string): OutcomeSet['prices'] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length !== 4 || xs.some((x) => !Number.isFinite(x) || x < 0)) throw new UsageError('--prices takes four non-negative numbers: weak input,weak output,strong input,strong output (USD per 1M tokens)');
  return { weak: { input: xs[0]!, output: xs[1]! }, strong: { input: xs[2]!, output: xs[3]! }, source: '--prices' };
}

function evalWeights(o: EvalArgs): void {
  if (!o.weights || !o.outcomes) throw new UsageError('--weights and --outcomes go together');
  let clf: RouterClassifier;
  try {
    clf = RouterClassifier.load(resolve(o.weights));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const prov = clf.provenance as { prices?: OutcomeSet['prices']; outputTokens?: number };
  const prices = o.prices !== undefined ? pricesArg(o.prices) : prov.prices;
  if (!prices) throw new UsageError('the weight file records no prices: give --prices weakIn,weakOut,strongIn,strongOut (USD per 1M tokens)');
  const outputTokens = o.outputTokens !== undefined ? Number(o.outputTokens) : (prov.outputTokens ?? 200);
  if (!Number.isInteger(outputTokens) || outputTokens < 0) throw new UsageError('--output-tokens must be a non-negative integer');
  let set: OutcomeSet;
  try {
    set = loadOutcomeCsv(resolve(o.outcomes), { weak: o.weak, strong: o.strong, taskColumn: o.taskColumn ?? (clf.spec.useTask ? 'task' : undefined), prices, outputTokens });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(e.code ? `cannot read --outcomes ${o.outcomes}: ${e.code}` : e.message);
  }
  const r = evaluateWeights(o.weights, clf, set);
  console.log(o.json ? JSON.stringify(r, null, 2) : formatWeightsEval(r));
}

function printReport(r: EvalReport): void {
  console.log(`\n== trained on ${r.trainedOn}, evaluated on ${r.evaluatedOn} (${r.kind}): ${r.weakModel} (weak) vs ${r.strongModel} (strong)`);
  console.log(`   ${r.protocol}; ${r.items.test} test items, ${r.items.excludedSeenInTraining} left out as seen in training`);
  console.log(`   quality: always-weak ${r.quality.alwaysWeak}, always-strong ${r.quality.alwaysStrong}, best of both ${r.quality.oracleBestOfBoth}`);
  for (const f of r.routers) {
    const d = f.deliveredAt95;
    const g = f.deliveredAt95Guarded;
    console.log(
      `   ${f.router.padEnd(36)} APGR ${f.apgr.toFixed(3)}  best at >=95%: cost -${pct(f.bestAt95?.costReduction)}  validation threshold delivers ${pct(d.qualityRatio)} quality, cost -${pct(d.costReduction)}` +
        (g ? `; with guard ${pct(g.qualityRatio)}, cost -${pct(g.costReduction)} (${pct(g.refusedShare)} refused)` : ''),
    );
  }
}

export function evalCommand(o: EvalArgs): void {
  if (o.weights !== undefined || o.outcomes !== undefined) return evalWeights(o);
  const seed = seedArg(o.seed);
  const names = o.dataset === 'all' ? [...DATASETS] : o.dataset.split(',').map((s) => datasetArg(s.trim()));
  const sets = names.map((n) => load(n, resolve(o.data)));
  const matrix = evaluateMatrix(sets, seed, background(o.data, seed));
  const report = {
    generatedAt: new Date().toISOString(),
    seed,
    anchor: 'RouteLLM (MMLU, GPT-4 vs Mixtral): 45% cost reduction at 95% of GPT-4 quality; random ~32%; perfect router 85.9% accuracy with 17.8% GPT-4 calls',
    reading: 'deliveredAt95Guarded is what a deployment gets: the quality_ge 0.95 threshold chosen on the training set\'s validation split, with the out-of-distribution guard, applied to held-out items; bestAt95 picks the threshold on the test data itself (an upper bound)',
    runs: matrix.runs,
  };
  const out = resolve(o.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  if (o.json) console.log(JSON.stringify(report, null, 2));
  else {
    for (const r of matrix.runs) printReport(r);
    console.log(`\nwrote ${out}`);
  }
}
