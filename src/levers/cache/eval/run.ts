// `tollgate cache eval`: how often a paraphrase hits and how often a different question falsely
// hits, for each embedder with and without the guards, next to the lexical TF-IDF baseline.
// Scores are cosine similarities of the pair; a guard veto makes the score -Infinity (never hits).

import { ALL_GUARDS, signature, veto } from '../guards.js';
import type { Embedder } from '../embedders/index.js';
import { curve, loadParaphrases, loadQqpPairs, rateAtFalseHits, splitPairs, type CurvePoint, type LabelledPair, type RateAtFalseHits } from './qqp.js';
import { TfidfBaseline } from './tfidf.js';

export interface EvalRow {
  embedder: string;
  guards: boolean;
  pairs: { positives: number; negatives: number };
  at1pct: RateAtFalseHits & { precision: number; recall: number };
  at5pct: RateAtFalseHits & { precision: number; recall: number };
  curve: CurvePoint[];
  /** LLM-written paraphrases hitting at the 5%-false-hit threshold (sanity check only) */
  paraphraseHitRateAt5pct?: number;
}

const THRESHOLDS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 0.96, 0.98];

function prAt(pos: number[], neg: number[], r: RateAtFalseHits): RateAtFalseHits & { precision: number; recall: number } {
  const tp = pos.filter((s) => s > r.threshold).length;
  const fp = neg.filter((s) => s > r.threshold).length;
  return { ...r, threshold: Number.isFinite(r.threshold) ? r.threshold : -1, precision: tp + fp ? tp / (tp + fp) : 1, recall: pos.length ? tp / pos.length : 0 };
}

export type PairScorer = (pairs: LabelledPair[]) => Promise<number[]>;

export async function evaluateScorer(name: string, score: PairScorer, pairs: LabelledPair[], paraphrases: LabelledPair[]): Promise<EvalRow[]> {
  const raw = await score(pairs);
  const para = paraphrases.length ? await score(paraphrases) : [];
  const rows: EvalRow[] = [];
  for (const guards of [false, true]) {
    const s = guards ? raw.map((v, i) => (veto(signature(pairs[i]!.a), signature(pairs[i]!.b), ALL_GUARDS) ? -Infinity : v)) : raw;
    const pos: number[] = [], neg: number[] = [];
    pairs.forEach((p, i) => (p.label ? pos : neg).push(s[i]!));
    const r5 = rateAtFalseHits(pos, neg, 0.05);
    const ps = guards ? para.map((v, i) => (veto(signature(paraphrases[i]!.a), signature(paraphrases[i]!.b), ALL_GUARDS) ? -Infinity : v)) : para;
    rows.push({
      embedder: name,
      guards,
      pairs: { positives: pos.length, negatives: neg.length },
      at1pct: prAt(pos, neg, rateAtFalseHits(pos, neg, 0.01)),
      at5pct: prAt(pos, neg, r5),
      curve: curve(pos, neg, THRESHOLDS),
      paraphraseHitRateAt5pct: ps.length ? ps.filter((v) => v > r5.threshold).length / ps.length : undefined,
    });
  }
  return rows;
}

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
        out.push(s);
      }
    }
    return out;
  };
}

export function tfidfScorer(fitOn: LabelledPair[]): PairScorer {
  const t = new TfidfBaseline().fit(fitOn.flatMap((p) => [p.a, p.b]));
  return async (pairs) => pairs.map((p) => t.similarity(p.a, p.b));
}

export interface EvalReport {
  data: string;
  split: 'test' | 'all';
  rows: EvalRow[];
}

export async function runCacheEval(opts: { dataDir: string; split: 'test' | 'all'; embedders: { name: string; embedder: Embedder }[] }): Promise<EvalReport> {
  const all = loadQqpPairs(opts.dataDir);
  // the built-in embedder was trained on the train split: report the held-out test split by default
  const pairs = opts.split === 'test' ? splitPairs(all).test : all;
  const paraphrases = loadParaphrases(opts.dataDir);
  const rows: EvalRow[] = [];
  rows.push(...(await evaluateScorer('tfidf-baseline', tfidfScorer(pairs), pairs, paraphrases)));
  for (const { name, embedder } of opts.embedders) rows.push(...(await evaluateScorer(name, embedderScorer(embedder), pairs, paraphrases)));
  return { data: opts.dataDir, split: opts.split, rows };
}

export function formatEval(r: EvalReport): string {
  const pct = (x: number): string => (100 * x).toFixed(1).padStart(5) + '%';
  const lines = [
    `cache eval on ${r.data} (${r.split === 'test' ? 'held-out test split' : 'all pairs'}): paraphrase hit rate at a fixed false-hit rate on non-duplicates`,
    'embedder                 guards  pos/neg        hit@1%FH  thr     hit@5%FH  thr     prec@5%  rec@5%  mock-paraphrases@5%',
  ];
  for (const row of r.rows) {
    lines.push(
      `${row.embedder.padEnd(24)} ${String(row.guards).padEnd(7)} ${`${row.pairs.positives}/${row.pairs.negatives}`.padEnd(14)} ${pct(row.at1pct.hitRate)}    ${row.at1pct.threshold.toFixed(3)}  ${pct(row.at5pct.hitRate)}    ${row.at5pct.threshold.toFixed(3)}  ${pct(row.at5pct.precision)}   ${pct(row.at5pct.recall)}  ${row.paraphraseHitRateAt5pct === undefined ? '-' : pct(row.paraphraseHitRateAt5pct)}`,
    );
  }
  return lines.join('\n');
}
