// The quality ratio of a route: mean score of the answers it served over the mean score the
// strongest model would have got on the same requests, from paired samples (served_i, strong_i).
//
// Interval: a normal approximation by the delta method for a ratio of paired means,
//   R = mean(w) / mean(s),  Var(R) ~ Var(w_i - R * s_i) / (n * mean(s)^2),
// R +- z * sqrt(Var(R)). Running sums only (constant memory per route); no bootstrap.

export interface RatioEstimate {
  n: number;
  servedMean: number;
  strongMean: number;
  estimate: number | null;
  interval: [number, number] | null;
}

/** the two-sided normal quantile for a confidence level (Acklam's rational approximation of the inverse CDF) */
export function zFor(confidence: number): number {
  const p = 1 - (1 - confidence) / 2;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  if (p > 0.97575) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** PairedRatio's running sums, as kept in the quality store */
export interface PairedSums {
  n: number;
  sw: number;
  ss: number;
  sww: number;
  sss: number;
  sws: number;
}

export class PairedRatio {
  private n = 0;
  private sw = 0;
  private ss = 0;
  private sww = 0;
  private sss = 0;
  private sws = 0;

  toJSON(): PairedSums {
    return { n: this.n, sw: this.sw, ss: this.ss, sww: this.sww, sss: this.sss, sws: this.sws };
  }

  static from(s: PairedSums): PairedRatio {
    return Object.assign(new PairedRatio(), s);
  }

  add(served: number, strong: number): void {
    this.n++;
    this.sw += served;
    this.ss += strong;
    this.sww += served * served;
    this.sss += strong * strong;
    this.sws += served * strong;
  }

  get count(): number {
    return this.n;
  }

  estimate(confidence: number): RatioEstimate {
    const n = this.n;
    const servedMean = n ? this.sw / n : 0;
    const strongMean = n ? this.ss / n : 0;
    if (n < 2 || strongMean <= 0) return { n, servedMean, strongMean, estimate: null, interval: null };
    const r = servedMean / strongMean;
    // sample variance of d_i = w_i - r s_i, from the running sums
    const sumD = this.sw - r * this.ss;
    const sumD2 = this.sww - 2 * r * this.sws + r * r * this.sss;
    const varD = Math.max(0, (sumD2 - (sumD * sumD) / n) / (n - 1));
    const se = Math.sqrt(varD / n) / strongMean;
    const z = zFor(confidence);
    return { n, servedMean, strongMean, estimate: r, interval: [r - z * se, r + z * se] };
  }
}

export interface RateEstimate {
  n: number;
  /** how many of the n were the event (a false hit) */
  k: number;
  estimate: number | null;
  /** Wilson score interval: stays inside [0, 1] and is not degenerate at k = 0 (where the normal one is) */
  interval: [number, number] | null;
}

/** A rate from a count of events in n trials (the semantic cache's false hits among judged hits). */
export class Proportion {
  constructor(
    private n = 0,
    private k = 0,
  ) {}

  add(event: boolean): void {
    this.n++;
    if (event) this.k++;
  }

  get count(): number {
    return this.n;
  }

  estimate(confidence: number): RateEstimate {
    const { n, k } = this;
    if (n === 0) return { n, k, estimate: null, interval: null };
    const p = k / n;
    const z = zFor(confidence);
    const z2 = z * z;
    const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
    return { n, k, estimate: p, interval: [Math.max(0, centre - half), Math.min(1, centre + half)] };
  }

  toJSON(): { n: number; k: number } {
    return { n: this.n, k: this.k };
  }

  static from(s: { n: number; k: number }): Proportion {
    return new Proportion(s.n, s.k);
  }
}

/**
 * The confidence a self-tightening decision is taken at, on the k-th look since the last tightening
 * (a look per new sample from `minSamples` on): 1 − α / (k (k + 1)), α = 1 − confidence. The α
 * spent over all looks sums to at most α, so checking after every sample does not make a lever
 * whose true figure sits at its bound tighten by chance more than α of the time (a fixed level
 * looked at that often eventually would). Shown intervals stay at `confidence`.
 */
export function lookConfidence(confidence: number, minSamples: number, count: number): number {
  const k = Math.max(1, count - minSamples + 1);
  return 1 - (1 - confidence) / (k * (k + 1));
}
