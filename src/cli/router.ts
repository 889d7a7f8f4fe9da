// `tollgate router train` and `tollgate router eval`: fit the learned router from labeled outcomes and
// measure it on a held-out split against always-strong, always-weak, random and the oracle.
// Training data today is a public data set; training from the ledger joined with user feedback is a
// later step (the weight-file format and the trainer do not change, only the loader).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadLlmRouter, loadMmlu, loadMtBench, type OutcomeSet } from '../levers/router/classifier/datasets.js';
import { DEFAULT_SPEC, evaluateSet, fitOnSplit, splitByGroup, type DatasetReport } from '../levers/router/classifier/experiment.js';
import { DEFAULT_TRAIN } from '../levers/router/classifier/train.js';

const DATASETS = ['mmlu', 'mt-bench', 'llmrouter'] as const;
type DatasetName = (typeof DATASETS)[number];

function load(name: DatasetName, dataDir: string): OutcomeSet {
  if (name === 'mmlu') return loadMmlu(dataDir);
  if (name === 'mt-bench') return loadMtBench(dataDir);
  return loadLlmRouter(dataDir);
}

function datasetArg(v: string): DatasetName {
  if (!(DATASETS as readonly string[]).includes(v)) throw new Error(`unknown dataset "${v}" (one of ${DATASETS.join(', ')})`);
  return v as DatasetName;
}

/** Bad input (unknown data set, missing data directory, bad seed) is a message and exit code 1, not a stack trace. */
function reportingErrors<A extends unknown[]>(action: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      action(...args);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const msg = e.code === 'ENOENT' ? `${e.message} (is --data pointing at the shared data directory?)` : e.message;
      console.error(`tollgate router: ${msg}`);
      process.exitCode = 1;
    }
  };
}

const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);

function printReport(r: DatasetReport): void {
  const b = r.baselines;
  console.log(`\n== ${r.dataset}: ${r.weakModel} (weak) vs ${r.strongModel} (strong)`);
  console.log(`   ${r.protocol}; test items ${r.items.test}`);
  console.log(`   prices USD/1M in/out: weak ${r.prices.weak.input}/${r.prices.weak.output}, strong ${r.prices.strong.input}/${r.prices.strong.output} (${r.prices.source})`);
  console.log(`   always-weak quality ${b.alwaysWeak.quality.toFixed(4)}, always-strong ${b.alwaysStrong.quality.toFixed(4)}, oracle (best of both per prompt) ${b.oracleBestQuality.toFixed(4)}`);
  const row = (name: string, s: DatasetReport['baselines']['random'], extra = ''): void =>
    console.log(
      `   ${name.padEnd(34)} APGR ${s.apgr.toFixed(3)}  strong share for 50/80/95% gap ${pct(s.strongShareForPgr50)}/${pct(s.strongShareForPgr80)}/${pct(s.strongShareForPgr95)}  at quality>=95% of strong: ${pct(s.at95?.strongShare)} strong, cost -${pct(s.at95?.costReduction)}${extra}`,
    );
  row('random (expected)', b.random);
  row('oracle (knows outcomes)', b.oracle);
  for (const v of r.variants) {
    const d = v.deployedAt95;
    row(`learned: ${v.features}`, v.summary, d ? `\n${' '.repeat(40)}threshold from validation (quality_ge 0.95) on test: ${pct(d.strongShare)} strong, quality ${pct(d.qualityRatio)} of strong, cost -${pct(d.costReduction)}` : '');
  }
  for (const n of r.notes) console.log(`   note: ${n}`);
}

export function registerRouterCommand(program: Command): void {
  const router = program.command('router').description('the learned router: train a weight file, evaluate routers on public outcome data');

  router
    .command('train')
    .description('fit the learned router (logistic regression over hashed n-grams) and write a weight file routes load')
    .option('--dataset <name>', `labeled outcomes to learn from: ${DATASETS.join(', ')}`, 'mmlu')
    .option('--data <dir>', 'shared data directory', '../shared/data')
    .option('--out <file>', 'weight file to write (default data/router/<dataset>[-task].json)')
    .option('--task', 'also use the x-tollgate-task header as a feature (the data set task/subject at training time)')
    .option('--seed <n>', 'split and shuffle seed', '7')
    .option('--json', 'print the result as JSON')
    .action(
      reportingErrors((o: { dataset: string; data: string; out?: string; task?: boolean; seed: string; json?: boolean }) => {
        const name = datasetArg(o.dataset);
        const seed = Number(o.seed);
        if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');
        const set = load(name, resolve(o.data));
        const split = splitByGroup(set.items, seed);
        const spec = { ...DEFAULT_SPEC, useTask: Boolean(o.task) };
        const t0 = performance.now();
        const clf = fitOnSplit(set, split, spec, { ...DEFAULT_TRAIN, seed });
        const ms = performance.now() - t0;
        const out = resolve(o.out ?? `data/router/${name}${o.task ? '-task' : ''}.json`);
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, JSON.stringify(clf.toFile()) + '\n');
        const at95 = clf.thresholdFor({ quality_ge: 0.95 });
        const result = { weights: out, dataset: name, train: split.train.length, validation: split.val.length, held_out_test: split.test.length, trainMs: Math.round(ms), thresholdForQuality95: at95.threshold, validationAt95: at95.point };
        if (o.json) console.log(JSON.stringify(result, null, 2));
        else {
          console.log(`wrote ${out} (${split.train.length} train, ${split.val.length} validation items; ${split.test.length} test items untouched) in ${(ms / 1000).toFixed(1)} s`);
          console.log(`operating point for quality >= 95% of ${set.strongModel} on validation: threshold ${at95.threshold.toFixed(4)}, ${pct(at95.point.strongShare)} to strong`);
        }
      }),
    );

  router
    .command('eval')
    .description('cost-quality curve, APGR, strong-call share and cost reduction on held-out splits, vs always-strong/weak, random and oracle')
    .option('--dataset <name>', `one of ${DATASETS.join(', ')}, or all`, 'all')
    .option('--data <dir>', 'shared data directory', '../shared/data')
    .option('--seed <n>', 'split and shuffle seed', '7')
    .option('--out <file>', 'where to write the JSON report', 'bench/results/router-eval.json')
    .option('--json', 'print the report as JSON')
    .action(
      reportingErrors((o: { dataset: string; data: string; seed: string; out: string; json?: boolean }) => {
        const seed = Number(o.seed);
        if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');
        const names = o.dataset === 'all' ? [...DATASETS] : [datasetArg(o.dataset)];
        const reports: DatasetReport[] = [];
        for (const name of names) {
          const set = load(name, resolve(o.data));
          reports.push(evaluateSet(set, seed, name === 'mt-bench' ? 5 : undefined));
        }
        const report = {
          generatedAt: new Date().toISOString(),
          seed,
          anchor: 'RouteLLM (MMLU, GPT-4 vs Mixtral): 45% cost reduction at 95% of GPT-4 quality; random ~32%; perfect router 85.9% accuracy with 17.8% GPT-4 calls',
          reports,
        };
        const out = resolve(o.out);
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
        if (o.json) console.log(JSON.stringify(report, null, 2));
        else {
          for (const r of reports) printReport(r);
          console.log(`\nwrote ${out}`);
        }
      }),
    );
}
