// The labelled QQP pairs (GPTCache's benchmark copy) and a deterministic, leak-free split:
// a text is a test text by hash, and a pair whose either side is a test text is a test pair,
// so no test question is ever seen in training. The split is the same on every machine.

import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fnv1a } from '../embedders/features.js';

export interface LabelledPair {
  a: string;
  b: string;
  /** 1 = same question (a hit is right), 0 = different question (a hit is a false hit) */
  label: 0 | 1;
}

export function loadQqpPairs(dir: string): LabelledPair[] {
  const file = join(dir, 'qqp_pairs_labeled.jsonl');
  if (!existsSync(file)) throw new Error(`no qqp_pairs_labeled.jsonl in ${dir} (pass --data DIR)`);
  const out: LabelledPair[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { text_a: string; text_b: string; label: number };
    if (typeof r.text_a !== 'string' || typeof r.text_b !== 'string') continue;
    out.push({ a: r.text_a, b: r.text_b, label: r.label === 1 ? 1 : 0 });
  }
  return out;
}

/** LLM-written paraphrases (all positives): a sanity check only, never a precision figure. */
export function loadParaphrases(dir: string): LabelledPair[] {
  const file = join(dir, 'mock_data_paraphrases.json');
  if (!existsSync(file)) return [];
  const rows = JSON.parse(readFileSync(file, 'utf8')) as { origin: string; similar: string }[];
  return rows.map((r) => ({ a: r.origin, b: r.similar, label: 1 as const }));
}

const isTestText = (t: string): boolean => fnv1a('split:' + t) % 5 === 0;
const isValText = (t: string): boolean => fnv1a('val:' + t) % 10 === 0;

export interface Split {
  train: LabelledPair[];
  val: LabelledPair[];
  test: LabelledPair[];
}

export function splitPairs(pairs: LabelledPair[]): Split {
  const s: Split = { train: [], val: [], test: [] };
  for (const p of pairs) {
    if (isTestText(p.a) || isTestText(p.b)) s.test.push(p);
    else if (isValText(p.a)) s.val.push(p);
    else s.train.push(p);
  }
  return s;
}

export interface RateAtFalseHits {
  /** the allowed share of non-duplicate pairs that would hit */
  falseHitRate: number;
  threshold: number;
  /** share of duplicate pairs that hit at that threshold */
  hitRate: number;
}

/**
 * The threshold that lets through at most `fpr` of the negatives (scores strictly above it hit),
 * and the share of positives that hit there. Vetoed pairs carry score -Infinity.
 */
export function rateAtFalseHits(pos: number[], neg: number[], fpr: number): RateAtFalseHits {
  const n = [...neg].sort((x, y) => y - x);
  const allowed = Math.floor(fpr * n.length);
  // threshold = the score of the first negative that must NOT hit
  const threshold = allowed < n.length ? n[allowed]! : -Infinity;
  const hits = pos.filter((s) => s > threshold).length;
  return { falseHitRate: fpr, threshold, hitRate: pos.length ? hits / pos.length : 0 };
}

export interface CurvePoint {
  threshold: number;
  hitRate: number;
  falseHitRate: number;
  precision: number;
  recall: number;
}

export function curve(pos: number[], neg: number[], thresholds: number[]): CurvePoint[] {
  return thresholds.map((t) => {
    const tp = pos.filter((s) => s >= t).length;
    const fp = neg.filter((s) => s >= t).length;
    return {
      threshold: t,
      hitRate: pos.length ? tp / pos.length : 0,
      falseHitRate: neg.length ? fp / neg.length : 0,
      precision: tp + fp ? tp / (tp + fp) : 1,
      recall: pos.length ? tp / pos.length : 0,
    };
  });
}
