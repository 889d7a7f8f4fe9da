// The learned router's weight file and its in-process scorer: logistic regression over the features
// in ./features.ts. The file also carries the operating points measured on a validation split at
// training time, so a route can say `target: { quality_ge: 0.95 }` instead of a raw threshold.

import { readFileSync } from 'node:fs';
import { DENSE_COUNT, HASH_VERSION, hashFeatures, hashedValue, newScratch, type FeatureScratch, type FeatureSpec } from './features.js';
import { OodGuard, type OodGuardFile } from './ood.js';

export const WEIGHT_FORMAT = 'tollgate-router-logreg';

/** One point of the validation curve: send to strong when score >= threshold. */
export interface OperatingPoint {
  threshold: number;
  /** share of validation requests sent to the strong model */
  strongShare: number;
  /** validation quality as a fraction of the always-strong quality */
  qualityRatio: number;
  /** performance gap recovered: (q - q_weak) / (q_strong - q_weak) */
  pgr: number;
}

export interface WeightFile {
  format: typeof WEIGHT_FORMAT;
  version: 1;
  createdAt: string;
  /** where the training data came from, which split, which label */
  provenance: Record<string, unknown>;
  /** the positive class: the strong model is needed (it scored better than the weak one) */
  label: string;
  features: FeatureSpec;
  bias: number;
  /** base64 of a little-endian Float32Array of length dim + DENSE_COUNT */
  weights: string;
  operatingPoints: OperatingPoint[];
  /** the out-of-distribution guard (absent in files written before it existed) */
  ood?: OodGuardFile;
  /** hashes of the normalised training prompts, so an evaluation can leave them out (`tollgate router eval`) */
  trainingPrompts?: TrainingPrompts;
}

export interface TrainingPrompts {
  /** how `values` was computed */
  scheme: string;
  count: number;
  /** base64 of the concatenated hashes */
  values: string;
}

/** What the scorer says about one request. */
export interface Assessment {
  /** P(the strong model is needed) */
  score: number;
  /** out-of-distribution score, NaN when the weight file has no guard */
  ood: number;
}

export interface ClassifierExtras {
  ood?: OodGuard;
  trainingPrompts?: TrainingPrompts;
}

/** The cheapest validation point that meets the target (quality), or the largest within it (share). */
export function thresholdForPoints(points: readonly OperatingPoint[], target: { quality_ge: number } | { strong_share_le: number }): { threshold: number; point: OperatingPoint } {
  const pts = [...points].sort((a, b) => a.strongShare - b.strongShare);
  if (pts.length === 0) throw new Error('the weight file has no operating points');
  if ('quality_ge' in target) {
    const p = pts.find((x) => x.qualityRatio >= target.quality_ge) ?? pts[pts.length - 1]!;
    return { threshold: p.threshold, point: p };
  }
  let best = pts[0]!;
  for (const p of pts) if (p.strongShare <= target.strong_share_le) best = p;
  return { threshold: best.threshold, point: best };
}

export class RouterClassifier {
  private readonly scratch: FeatureScratch = newScratch();

  constructor(
    readonly spec: FeatureSpec,
    readonly weights: Float32Array,
    readonly bias: number,
    readonly operatingPoints: readonly OperatingPoint[],
    readonly provenance: Record<string, unknown> = {},
    readonly extras: ClassifierExtras = {},
  ) {
    if (weights.length !== spec.dim + DENSE_COUNT) throw new Error(`weight vector has ${weights.length} entries, expected ${spec.dim + DENSE_COUNT}`);
    if ((spec.hashVersion ?? 1) !== HASH_VERSION)
      throw new Error(`weights use feature hashing v${spec.hashVersion ?? 1}, this build hashes v${HASH_VERSION}: retrain with \`tollgate router train\``);
    if (extras.ood && extras.ood.dim > spec.dim) throw new Error(`the ood guard's table (${extras.ood.dim}) is larger than the classifier's (${spec.dim})`);
  }

  /**
   * P(the strong model is needed) for a prompt. Synchronous, allocation-light: microseconds. Every
   * hashed feature has the same value, so the dot product is (Σ weights at the slots) × that value.
   */
  score(text: string, task?: string): number {
    return this.scoreOf(hashFeatures(text, task, this.spec, this.scratch));
  }

  /** The score and the out-of-distribution score, from one pass over the text. */
  assess(text: string, task?: string): Assessment {
    const sc = hashFeatures(text, task, this.spec, this.scratch);
    const guard = this.extras.ood;
    if (!guard) return { score: this.scoreOf(sc), ood: NaN };
    // one pass over the slots for both models (the decision-time budget)
    const w = this.weights;
    const g = guard.weights;
    const m = guard.mask;
    const idx = sc.idx;
    let sum = 0;
    let gsum = 0;
    for (let k = 0; k < sc.n; k++) {
      const i = idx[k]!;
      sum += w[i]!;
      gsum += g[i & m]!;
    }
    return { score: this.scoreFromSum(sum, sc), ood: guard.scoreFromSum(gsum, sc) };
  }

  get ood(): OodGuard | undefined {
    return this.extras.ood;
  }

  private scoreOf(sc: FeatureScratch): number {
    const w = this.weights;
    const idx = sc.idx;
    let sum = 0;
    for (let k = 0; k < sc.n; k++) sum += w[idx[k]!]!;
    return this.scoreFromSum(sum, sc);
  }

  private scoreFromSum(sum: number, sc: FeatureScratch): number {
    const w = this.weights;
    let z = this.bias + sum * hashedValue(sc);
    if (sc.task >= 0) z += w[sc.task]!;
    const base = this.spec.dim;
    for (let k = 0; k < DENSE_COUNT; k++) z += w[base + k]! * sc.dense[k]!;
    return 1 / (1 + Math.exp(-z));
  }

  /** Threshold for a target, from the validation operating points. */
  thresholdFor(target: { quality_ge: number } | { strong_share_le: number }): { threshold: number; point: OperatingPoint } {
    return thresholdForPoints(this.operatingPoints, target);
  }

  toFile(createdAt = new Date().toISOString()): WeightFile {
    return {
      format: WEIGHT_FORMAT,
      version: 1,
      createdAt,
      provenance: this.provenance,
      label: 'strong_needed',
      features: this.spec,
      bias: this.bias,
      weights: Buffer.from(this.weights.buffer, this.weights.byteOffset, this.weights.byteLength).toString('base64'),
      operatingPoints: [...this.operatingPoints],
      ...(this.extras.ood ? { ood: this.extras.ood.toFile() } : {}),
      ...(this.extras.trainingPrompts ? { trainingPrompts: this.extras.trainingPrompts } : {}),
    };
  }

  static fromFile(f: WeightFile): RouterClassifier {
    if (f.format !== WEIGHT_FORMAT || f.version !== 1) throw new Error(`not a ${WEIGHT_FORMAT} v1 weight file`);
    const bytes = Buffer.from(f.weights, 'base64');
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    const weights = new Float32Array(copy.buffer, 0, copy.length / 4);
    let ood: OodGuard | undefined;
    try {
      ood = f.ood ? OodGuard.fromFile(f.ood) : undefined;
    } catch (err) {
      throw new Error(`the weight file's ood block is invalid: ${(err as Error).message}`);
    }
    return new RouterClassifier(f.features, weights, f.bias, f.operatingPoints, f.provenance, { ood, trainingPrompts: f.trainingPrompts });
  }

  static load(path: string): RouterClassifier {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read router weights ${path}: ${(err as Error).message}`);
    }
    return RouterClassifier.fromFile(parsed as WeightFile);
  }
}
