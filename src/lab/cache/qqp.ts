// Labelled question pairs and a split that carries over to new questions. Pairs are grouped into
// connected components of questions (two pairs sharing a question are in one component) and whole
// components go to train, val or test by a hash of the component, so no question of a test pair
// (nor of a val pair) appears anywhere in training: every test pair is unseen on both sides. The
// earlier split kept test questions out of training but not their partners, which let a memorising
// embedder look better than it is. The split is the same on every machine.

import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fnv1a } from '../../levers/cache/embedders/features.js';

export interface LabelledPair {
  a: string;
  b: string;
  /** 1 = same question (a hit is right), 0 = different question (a hit is a false hit) */
  label: 0 | 1;
}

/** Any JSONL of `{text_a, text_b, label}` (label 1 = same question); bad lines are an error naming the line. */
export function loadPairsFile(file: string): LabelledPair[] {
  if (!existsSync(file)) throw new Error(`pairs file not found: ${file}`);
  const out: LabelledPair[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    let r: { text_a?: unknown; text_b?: unknown; label?: unknown };
    try {
      r = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not JSON`);
    }
    if (typeof r.text_a !== 'string' || typeof r.text_b !== 'string' || (r.label !== 0 && r.label !== 1 && r.label !== '0' && r.label !== '1')) {
      throw new Error(`${file}:${i + 1}: expected {"text_a": string, "text_b": string, "label": 0|1}`);
    }
    out.push({ a: r.text_a, b: r.text_b, label: Number(r.label) === 1 ? 1 : 0 });
  }
  return out;
}

export function loadQqpPairs(dir: string): LabelledPair[] {
  const file = join(dir, 'qqp_pairs_labeled.jsonl');
  if (!existsSync(file)) throw new Error(`no qqp_pairs_labeled.jsonl in ${dir} (pass --data DIR)`);
  return loadPairsFile(file);
}

/** LLM-written paraphrases (all positives): a sanity check only, never a precision figure. */
export function loadParaphrases(dir: string): LabelledPair[] {
  const file = join(dir, 'mock_data_paraphrases.json');
  if (!existsSync(file)) return [];
  const rows = JSON.parse(readFileSync(file, 'utf8')) as { origin: string; similar: string }[];
  return rows.map((r) => ({ a: r.origin, b: r.similar, label: 1 as const }));
}

export interface Split {
  train: LabelledPair[];
  val: LabelledPair[];
  test: LabelledPair[];
}

/** Component id of every pair (union-find over question texts). */
export function components(pairs: LabelledPair[]): string[] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    for (let p = parent.get(r); p !== undefined && p !== r; p = parent.get(r)) r = p;
    if (!parent.has(r)) parent.set(r, r);
    for (let y = x; y !== r; ) {
      const next = parent.get(y)!;
      parent.set(y, r);
      y = next;
    }
    return r;
  };
  for (const p of pairs) {
    const ra = find(p.a), rb = find(p.b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb); // smaller text is the root: deterministic
  }
  return pairs.map((p) => find(p.a));
}

/** test = 20% of components, val = 10%, train = the rest (by a hash of the component's root text). */
export function splitPairs(pairs: LabelledPair[]): Split {
  const comp = components(pairs);
  const s: Split = { train: [], val: [], test: [] };
  pairs.forEach((p, i) => {
    const h = fnv1a('component:' + comp[i]!) % 10;
    (h < 2 ? s.test : h < 3 ? s.val : s.train).push(p);
  });
  return s;
}

/** Pairs neither of whose questions is in `seen` (e.g. the texts an embedder was trained on). */
export function unseenBothSides(pairs: LabelledPair[], seen: Set<string>): LabelledPair[] {
  return pairs.filter((p) => !seen.has(p.a) && !seen.has(p.b));
}

export function textsOf(pairs: LabelledPair[]): Set<string> {
  const s = new Set<string>();
  for (const p of pairs) s.add(p.a).add(p.b);
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

/** hit and false-hit rates at thresholds, with the cache's rule: a similarity at or above the threshold hits */
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
