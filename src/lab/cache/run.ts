// `tollgate cache eval`: how often a paraphrase hits and how often a different question falsely
// hits, for each embedder with and without the guards, next to the lexical TF-IDF baseline, on
// pairs unseen on both sides (neither question in the built-in embedder's training data).
// Scores are cosine similarities of the pair; a guard veto makes the score -Infinity (never hits).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALL_GUARDS, signature, veto } from '../../levers/cache/guards.js';
import type { Embedder } from '../../levers/cache/embedders/index.js';
import { semanticSchema } from '../../levers/cache/config.js';
import {
  curve, loadPairsFile, loadParaphrases, loadQqpPairs, rateAtFalseHits, splitPairs, textsOf, unseenBothSides,
  type CurvePoint, type LabelledPair, type RateAtFalseHits,
} from './qqp.js';
import { TfidfBaseline } from './tfidf.js';

export interface EvalRow {
  embedder: string;
  guards: boolean;
  pairs: { positives: number; negatives: number };
  at1pct: RateAtFalseHits & { precision: number; recall: number };
  at5pct: RateAtFalseHits & { precision: number; recall: number };
  /** hit and false-hit rate at the shipped default threshold (meaningful for the built-in embedder) */
  atDefaultThreshold: CurvePoint;
  curve: CurvePoint[];
  /** LLM-written paraphrases hitting at the 5%-false-hit threshold (sanity check only) */
  paraphraseHitRateAt5pct?: number;
  /** the hard-negative set (data/cache/hard-negatives.jsonl): how many would be served at the default threshold */
  hardNegatives?: { pairs: number; hitsAtDefaultThreshold: number; vetoed: number };
}

const THRESHOLDS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 0.96, 0.98];
export const DEFAULT_THRESHOLD: number = semanticSchema.parse({}).threshold;

function prAt(pos: number[], neg: number[], r: RateAtFalseHits): RateAtFalseHits & { precision: number; recall: number } {
  const tp = pos.filter((s) => s > r.threshold).length;
  const fp = neg.filter((s) => s > r.threshold).length;
  return { ...r, threshold: Number.isFinite(r.threshold) ? r.threshold : -1, precision: tp + fp ? tp / (tp + fp) : 1, recall: pos.length ? tp / pos.length : 0 };
}

export type PairScorer = (pairs: LabelledPair[]) => Promise<number[]>;

/** scores with vetoed pairs at -Infinity */
export function guarded(pairs: LabelledPair[], scores: number[]): number[] {
  return scores.map((v, i) => (veto(signature(pairs[i]!.a), signature(pairs[i]!.b), ALL_GUARDS) ? -Infinity : v));
}

export function splitScores(pairs: LabelledPair[], scores: number[]): { pos: number[]; neg: number[] } {
  const pos: number[] = [], neg: number[] = [];
  pairs.forEach((p, i) => (p.label ? pos : neg).push(scores[i]!));
  return { pos, neg };
}

export async function evaluateScorer(
  name: string, score: PairScorer, pairs: LabelledPair[], paraphrases: LabelledPair[], hard: LabelledPair[] = [],
): Promise<EvalRow[]> {
  const raw = await score(pairs);
  const para = paraphrases.length ? await score(paraphrases) : [];
  const hardRaw = hard.length ? await score(hard) : [];
  const rows: EvalRow[] = [];
  for (const guards of [false, true]) {
    const s = guards ? guarded(pairs, raw) : raw;
    const { pos, neg } = splitScores(pairs, s);
    const r5 = rateAtFalseHits(pos, neg, 0.05);
    const ps = guards ? guarded(paraphrases, para) : para;
    const hs = guards ? guarded(hard, hardRaw) : hardRaw;
    rows.push({
      embedder: name,
      guards,
      pairs: { positives: pos.length, negatives: neg.length },
      at1pct: prAt(pos, neg, rateAtFalseHits(pos, neg, 0.01)),
      at5pct: prAt(pos, neg, r5),
      atDefaultThreshold: curve(pos, neg, [DEFAULT_THRESHOLD])[0]!,
      curve: curve(pos, neg, THRESHOLDS),
      paraphraseHitRateAt5pct: ps.length ? ps.filter((v) => v > r5.threshold).length / ps.length : undefined,
      hardNegatives: hs.length
        ? { pairs: hs.length, hitsAtDefaultThreshold: hs.filter((v) => v >= DEFAULT_THRESHOLD).length, vetoed: hs.filter((v) => v === -Infinity).length }
        : undefined,
    });
  }
  return rows;
}

/** the similarity the cache would threshold for each pair: the cosine, or the embedder's pair score */
export function embedderScorer(e: Embedder, batch = 256): PairScorer {
  return async (pairs) => {
    const out: number[] = [];
    for (let i = 0; i < pairs.length; i += batch) {
      const slice = pairs.slice(i, i + batch);
      const va = await e.embed(slice.map((p) => p.a));
      const vb = await e.embed(slice.map((p) => p.b));
      for (let j = 0; j < slice.length; j++) {
        let s = 0;
        const a = va[j]!, b = vb[j]!;
        for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
        // what the cache thresholds: the pair scorer's score when the embedder has one
        const r = e.rescorer;
        out.push(r ? r.score(r.prepare(slice[j]!.a), r.prepare(slice[j]!.b), s) : s);
      }
    }
    return out;
  };
}

/** fitted on the evaluated texts themselves: the most favourable setting for the baseline */
export function tfidfScorer(fitOn: LabelledPair[]): PairScorer {
  const t = new TfidfBaseline().fit(fitOn.flatMap((p) => [p.a, p.b]));
  return async (pairs) => pairs.map((p) => t.similarity(p.a, p.b));
}

export function hardNegativesFile(): string {
  return fileURLToPath(new URL('../../../data/cache/hard-negatives.jsonl', import.meta.url));
}

export function loadHardNegatives(file = hardNegativesFile()): (LabelledPair & { kind: string })[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => {
    const r = JSON.parse(l) as { text_a: string; text_b: string; kind: string };
    return { a: r.text_a, b: r.text_b, label: 0 as const, kind: r.kind };
  });
}

export interface EvalReport {
  data: string;
  /** qqp-test: the QQP test components; file: a --pairs file */
  source: 'qqp-test' | 'file';
  pairs: {
    /** pairs read */
    total: number;
    /** of those, pairs neither of whose questions is in the built-in embedder's training or validation data */
    unseenBothSides: number;
    /** what the rows are computed on (the unseen ones when the training data is at hand, else all) */
    evaluated: number;
    /** false when the QQP data the built-in embedder was trained on is not at hand to check against */
    checkedAgainstTraining: boolean;
  };
  defaultThreshold: number;
  rows: EvalRow[];
}

export async function runCacheEval(opts: { dataDir: string; pairsFile?: string; embedders: { name: string; embedder: Embedder }[] }): Promise<EvalReport> {
  const qqpAt = existsSync(opts.dataDir + '/qqp_pairs_labeled.jsonl');
  const split = qqpAt ? splitPairs(loadQqpPairs(opts.dataDir)) : undefined;
  if (!opts.pairsFile && !split) throw new Error(`no qqp_pairs_labeled.jsonl in ${opts.dataDir}: pass --data DIR or --pairs FILE`);
  // the built-in embedder was trained on the train components and early-stopped on val
  const seen = split ? textsOf([...split.train, ...split.val]) : new Set<string>();
  const all = opts.pairsFile ? loadPairsFile(opts.pairsFile) : split!.test;
  const unseen = unseenBothSides(all, seen);
  const pairs = split ? unseen : all;
  if (!pairs.some((p) => p.label === 1) || !pairs.some((p) => p.label === 0)) throw new Error('the pairs to evaluate need both labels (1 = same question, 0 = different)');
  const paraphrases = opts.pairsFile ? [] : loadParaphrases(opts.dataDir);
  const hard = loadHardNegatives();
  const rows: EvalRow[] = [];
  rows.push(...(await evaluateScorer('tfidf-baseline', tfidfScorer(pairs), pairs, paraphrases, hard)));
  for (const { name, embedder } of opts.embedders) rows.push(...(await evaluateScorer(name, embedderScorer(embedder), pairs, paraphrases, hard)));
  return {
    data: opts.pairsFile ?? opts.dataDir,
    source: opts.pairsFile ? 'file' : 'qqp-test',
    pairs: { total: all.length, unseenBothSides: unseen.length, evaluated: pairs.length, checkedAgainstTraining: !!split },
    defaultThreshold: DEFAULT_THRESHOLD,
    rows,
  };
}

export function formatEval(r: EvalReport): string {
  const pct = (x: number): string => (100 * x).toFixed(1).padStart(5) + '%';
  const what = r.source === 'qqp-test' ? 'QQP test components (no question in training)' : r.data;
  const lines = [
    `cache eval on ${what}: ${r.pairs.evaluated} pairs evaluated of ${r.pairs.total} (${r.pairs.unseenBothSides} unseen on both sides${r.pairs.checkedAgainstTraining ? '' : ': training data not at hand, not checked'})`,
    `paraphrase hit rate at a fixed false-hit rate on non-duplicates; at the default threshold ${r.defaultThreshold}: hit rate / false-hit rate`,
    'embedder                 guards  pos/neg        hit@1%FH  thr     hit@5%FH  thr     prec@5%  at-default      hard-neg hits',
  ];
  for (const row of r.rows) {
    const d = row.atDefaultThreshold;
    lines.push(
      `${row.embedder.padEnd(24)} ${String(row.guards).padEnd(7)} ${`${row.pairs.positives}/${row.pairs.negatives}`.padEnd(14)} ${pct(row.at1pct.hitRate)}    ${row.at1pct.threshold.toFixed(3)}  ${pct(row.at5pct.hitRate)}    ${row.at5pct.threshold.toFixed(3)}  ${pct(row.at5pct.precision)}  ${pct(d.hitRate)}/${pct(d.falseHitRate)}  ${row.hardNegatives ? `${row.hardNegatives.hitsAtDefaultThreshold}/${row.hardNegatives.pairs}` : '-'}`,
    );
  }
  return lines.join('\n');
}
