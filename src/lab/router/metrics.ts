// Cost–quality evaluation of a binary (weak/strong) router, RouteLLM-style: sort prompts by score,
// send the top k to the strong model, sweep k. Quality is the mean score of the model each prompt
// went to; cost is the sum of per-prompt costs at real prices.

export interface EvalItem {
  score: number;
  /** out-of-distribution score (the guard sends the item to strong above its threshold) */
  ood?: number;
  task?: string;
  weakQ: number;
  strongQ: number;
  weakCost: number;
  strongCost: number;
}

export interface CurvePoint {
  strongShare: number;
  quality: number;
  costUsd: number;
  /** performance gap recovered */
  pgr: number;
  /** the score threshold that produces this point (send to strong when score >= threshold) */
  threshold: number;
}

export interface RouterSummary {
  n: number;
  weakQuality: number;
  strongQuality: number;
  alwaysWeakCost: number;
  alwaysStrongCost: number;
  /** mean PGR over the strong-share axis (0.5 for a random router) */
  apgr: number;
  /** smallest strong share that recovers 50% / 80% / 95% of the gap */
  strongShareForPgr50: number;
  strongShareForPgr80: number;
  strongShareForPgr95: number;
  /** cheapest point whose quality ≥ 95% of the strong model's quality */
  at95: { strongShare: number; quality: number; costUsd: number; costReduction: number } | null;
}

export function curve(items: readonly EvalItem[]): CurvePoint[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const n = sorted.length;
  let q = 0;
  let c = 0;
  for (const it of sorted) {
    q += it.weakQ;
    c += it.weakCost;
  }
  const qw = q / n;
  const qs = sorted.reduce((s, it) => s + it.strongQ, 0) / n;
  const gap = qs - qw;
  const pts: CurvePoint[] = [{ strongShare: 0, quality: qw, costUsd: c, pgr: 0, threshold: Infinity }];
  for (let k = 0; k < n; k++) {
    const it = sorted[k]!;
    q += it.strongQ - it.weakQ;
    c += it.strongCost - it.weakCost;
    // ties in score cannot be split by a threshold: only emit a point at the end of a run of equal scores
    if (k + 1 < n && sorted[k + 1]!.score === it.score) continue;
    pts.push({ strongShare: (k + 1) / n, quality: q / n, costUsd: c, pgr: gap > 0 ? (q / n - qw) / gap : 0, threshold: it.score });
  }
  return pts;
}

export function summarize(items: readonly EvalItem[], pts: readonly CurvePoint[] = curve(items)): RouterSummary {
  const n = items.length;
  const weakQuality = items.reduce((s, i) => s + i.weakQ, 0) / n;
  const strongQuality = items.reduce((s, i) => s + i.strongQ, 0) / n;
  const alwaysWeakCost = items.reduce((s, i) => s + i.weakCost, 0);
  const alwaysStrongCost = items.reduce((s, i) => s + i.strongCost, 0);
  // APGR: area under PGR(share), piecewise-linear between points
  let area = 0;
  for (let i = 1; i < pts.length; i++) area += ((pts[i]!.pgr + pts[i - 1]!.pgr) / 2) * (pts[i]!.strongShare - pts[i - 1]!.strongShare);
  const shareFor = (target: number): number => pts.find((p) => p.pgr >= target - 1e-12)?.strongShare ?? 1;
  let at95: RouterSummary['at95'] = null;
  for (const p of pts) {
    if (p.quality >= 0.95 * strongQuality - 1e-12 && (at95 === null || p.costUsd < at95.costUsd)) {
      at95 = { strongShare: p.strongShare, quality: p.quality, costUsd: p.costUsd, costReduction: 1 - p.costUsd / alwaysStrongCost };
    }
  }
  return { n, weakQuality, strongQuality, alwaysWeakCost, alwaysStrongCost, apgr: area, strongShareForPgr50: shareFor(0.5), strongShareForPgr80: shareFor(0.8), strongShareForPgr95: shareFor(0.95), at95 };
}

/** A random router's expected curve, in closed form (quality and cost linear in the strong share). */
export function randomSummary(items: readonly EvalItem[]): RouterSummary {
  const n = items.length;
  const qw = items.reduce((s, i) => s + i.weakQ, 0) / n;
  const qs = items.reduce((s, i) => s + i.strongQ, 0) / n;
  const cw = items.reduce((s, i) => s + i.weakCost, 0);
  const cs = items.reduce((s, i) => s + i.strongCost, 0);
  const share95 = qs - qw > 0 ? Math.min(1, Math.max(0, (0.95 * qs - qw) / (qs - qw))) : 0;
  const cost95 = cw + share95 * (cs - cw);
  return {
    n,
    weakQuality: qw,
    strongQuality: qs,
    alwaysWeakCost: cw,
    alwaysStrongCost: cs,
    apgr: 0.5,
    strongShareForPgr50: 0.5,
    strongShareForPgr80: 0.8,
    strongShareForPgr95: 0.95,
    at95: { strongShare: share95, quality: qw + share95 * (qs - qw), costUsd: cost95, costReduction: 1 - cost95 / cs },
  };
}

/** The best possible router (knows the outcome): sends to strong only where strong does better. */
export function oracleItems(items: readonly EvalItem[]): EvalItem[] {
  return items.map((i) => ({ ...i, score: i.strongQ - i.weakQ }));
}

/** What a fixed decision rule delivers on these items: strong when score >= threshold (or refused by the guard). */
export interface Delivered {
  threshold: number;
  strongShare: number;
  /** quality as a fraction of always-strong */
  qualityRatio: number;
  costReduction: number;
  /** share sent to strong by the out-of-distribution guard (only with a guard) */
  refusedShare?: number;
}

export function deliveredAt(items: readonly EvalItem[], threshold: number, oodThreshold?: number): Delivered {
  let strong = 0;
  let refused = 0;
  let q = 0;
  let c = 0;
  let qs = 0;
  let cs = 0;
  for (const it of items) {
    const out = oodThreshold !== undefined && (it.ood ?? 0) > oodThreshold;
    const s = out || it.score >= threshold;
    if (out) refused++;
    if (s) strong++;
    q += s ? it.strongQ : it.weakQ;
    c += s ? it.strongCost : it.weakCost;
    qs += it.strongQ;
    cs += it.strongCost;
  }
  const n = items.length;
  return {
    threshold,
    strongShare: strong / n,
    qualityRatio: qs > 0 ? q / qs : 1,
    costReduction: cs > 0 ? 1 - c / cs : 0,
    ...(oodThreshold !== undefined ? { refusedShare: refused / n } : {}),
  };
}
