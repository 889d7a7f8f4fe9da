// The learned router's out-of-distribution guard: a request unlike the training prompts goes to the
// strong tier instead of being scored by a model that never saw its kind. Trained on MMLU, the router
// did no better than random on math and other tasks, and its "95% quality" threshold delivered far
// less there (issue 13); the guard is what keeps a route safe on traffic it was not trained for.
//
// It is a second logistic regression over the classifier's own features (the same pass over the
// text; the hashed slots folded into a smaller table), trained to tell the training prompts from a
// background of other traffic (real user prompts and questions from public data). Its score is the
// probability that a prompt looks like the background; the threshold is a quantile of the scores of
// the validation split's (in-distribution) prompts, so about that share of the traffic the router was
// trained for is refused by construction.

import { DENSE_COUNT, hashedValue, type FeatureScratch } from './features.js';

export interface OodGuardFile {
  /** hashed slots of the guard's table (a power of two ≤ the classifier's); slots are folded into it */
  dim: number;
  bias: number;
  /** base64 of a little-endian Float32Array of length dim + DENSE_COUNT */
  weights: string;
  /** refuse to route (send to strong) when the score is above this */
  threshold: number;
  /** how the threshold was chosen and what the background was */
  basis: string;
}

export class OodGuard {
  /** dim - 1: a classifier slot i is the guard's slot i & mask */
  readonly mask: number;

  constructor(
    readonly dim: number,
    readonly weights: Float32Array,
    readonly bias: number,
    readonly threshold: number,
    readonly basis: string,
  ) {
    if (!Number.isInteger(Math.log2(dim)) || weights.length !== dim + DENSE_COUNT) throw new Error(`ood guard needs a power-of-two table and ${DENSE_COUNT} dense weights`);
    this.mask = dim - 1;
  }

  /** P(the prompt is unlike the training prompts), from a featurized text. */
  score(sc: FeatureScratch): number {
    const w = this.weights;
    const idx = sc.idx;
    const m = this.mask;
    let sum = 0;
    for (let k = 0; k < sc.n; k++) sum += w[idx[k]! & m]!;
    return this.scoreFromSum(sum, sc);
  }

  /** The score, given the sum of the guard's weights at the text's (folded) slots. */
  scoreFromSum(sum: number, sc: FeatureScratch): number {
    const w = this.weights;
    let z = this.bias + sum * hashedValue(sc);
    for (let k = 0; k < DENSE_COUNT; k++) z += w[this.dim + k]! * sc.dense[k]!;
    return 1 / (1 + Math.exp(-z));
  }

  toFile(): OodGuardFile {
    return { dim: this.dim, bias: this.bias, weights: Buffer.from(this.weights.buffer, this.weights.byteOffset, this.weights.byteLength).toString('base64'), threshold: this.threshold, basis: this.basis };
  }

  static fromFile(f: OodGuardFile): OodGuard {
    const bytes = Buffer.from(f.weights, 'base64');
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    return new OodGuard(f.dim, new Float32Array(copy.buffer, 0, copy.length / 4), f.bias, f.threshold, f.basis);
  }
}
