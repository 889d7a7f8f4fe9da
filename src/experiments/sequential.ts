// An always-valid comparison of two arms' means: the mixture sequential probability ratio test
// (mSPRT, normal mixture; Johari, Pekelis, Walsh, "Always valid inference", 2017). Its confidence
// sequence holds at every look at once, so an experiment may be checked every minute and stopped
// the first time it is conclusive without inflating the error rate (a fixed-sample test checked
// every minute would "find" a difference by chance far more often than alpha).
// Pure: counts in, an interval out.

export interface ArmMoments {
  n: number;
  sum: number;
  sumSq: number;
}

export const emptyMoments = (): ArmMoments => ({ n: 0, sum: 0, sumSq: 0 });

export function addTo(m: ArmMoments, x: number): void {
  m.n++;
  m.sum += x;
  m.sumSq += x * x;
}

export function mean(m: ArmMoments): number | null {
  return m.n ? m.sum / m.n : null;
}

function variance(m: ArmMoments): number {
  if (m.n < 2) return 0;
  const mu = m.sum / m.n;
  return Math.max(0, (m.sumSq - m.n * mu * mu) / (m.n - 1));
}

export interface Comparison {
  /** variant mean − control mean */
  diff: number;
  /** an always-valid (1 − alpha) confidence interval of the difference */
  ci: [number, number];
}

/**
 * The difference of the variant's mean from the control's, with its always-valid interval.
 * `tau` is the mixing scale (the size of difference the test is tuned to find), in the metric's units.
 * Undefined until each arm has at least `minN` observations.
 */
export function compare(control: ArmMoments, variant: ArmMoments, alpha: number, tau: number, minN = 2): Comparison | undefined {
  if (control.n < minN || variant.n < minN) return undefined;
  const diff = variant.sum / variant.n - control.sum / control.n;
  // a floor on the variance: an arm with no spread yet (every request ok) must not look certain
  const floor = (tau * tau) / 1e6;
  const v = Math.max(variance(control), floor) / control.n + Math.max(variance(variant), floor) / variant.n;
  const t2 = tau * tau;
  const half = Math.sqrt(((v * (v + t2)) / t2) * (2 * Math.log(1 / alpha) + Math.log((v + t2) / v)));
  return { diff, ci: [diff - half, diff + half] };
}
