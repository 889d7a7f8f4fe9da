// The router stage: turns a route name (or a real model a route is attached to) into an upstream
// target. Order of decision: rules (first match) → learned classifier → default tier; then inside
// the tier load balancing and the SLO filter pick the model; the rest become ctx.fallbacks. With a
// cascade (non-streaming only) the cheap answer is checked and the request escalates tier by tier.
// Every decision is explained in the trail, in `x-tollgate-route`, and in the ledger record.

import { isAbsolute, resolve as resolvePath } from 'node:path';
import { existsSync } from 'node:fs';
import type { ChatRequest, Usage } from '../../core/canonical.js';
import { UpstreamError, AllAttemptsFailedError } from '../../core/errors.js';
import type { RequestRecord } from '../../ledger/record.js';
import type { ChatResult, GatewayContext, Next, PolicyOverlay, Stage, Target } from '../../pipeline/stage.js';
import { answerText, runCheck, type CheckName } from './cascade.js';
import { RouterClassifier } from './classifier/model.js';
import type { RouteQualityInfo } from '../../quality/evaluator.js';
import { compileCondition, compileRegex, lastUserTextOf, makeFacts, type Predicate, type RuleFacts } from './conditions.js';
import type { CascadeConfig, RouteConfig, RoutesConfig, SloConfig } from './config.js';
import { LatencyTracker, type LatencySnapshot } from './latency.js';

export interface RouterDeps {
  /** a model name from config `models:` → its upstream, undefined when unknown */
  resolveModel(name: string): { provider: string; model: string } | undefined;
  /** USD for a usage on a target (the price catalog) */
  costOf(target: { provider: string; model: string }, usage: Usage): number;
  estimateInputTokens(req: ChatRequest): number;
  /** relative classifier weight paths are also looked up here */
  dataDir: string;
  /** injectable for tests (defaults: Date.now, Math.random) */
  now?(): number;
  random?(): number;
}

interface Candidate {
  name: string;
  target: Target;
  weight: number;
}

interface CompiledTier {
  name: string;
  candidates: Candidate[];
  totalWeight: number;
}

interface CompiledRule {
  name: string;
  pred: Predicate;
  tier?: number;
  model?: Candidate;
}

interface CompiledClassifier {
  model: RouterClassifier;
  threshold: number;
  /** how the threshold was chosen, for the trail */
  basis: string;
  weak: number;
  strong: number;
  taskHeader: string;
  /** the weight file's out-of-distribution guard: above this, the request goes to strong unscored */
  oodThreshold?: number;
  /** the config's target.quality_ge: the judge's shadow estimate is held to it (src/quality/) */
  qualityGe?: number;
  /** how many times live quality estimates moved the threshold toward the strong tier */
  tightened: number;
  /** the last tightening, said once in the next routed request's trail */
  pendingTightening?: { from: number; to: number; why: string };
}

interface CompiledRoute {
  name: string;
  tiers: CompiledTier[];
  rules: CompiledRule[];
  defaultTier: number;
  classifier?: CompiledClassifier;
  cascade?: { checks: CheckName[]; refusal: RegExp[]; escalateOnError: boolean; verifier?: CompiledVerifier };
  balance: 'first' | 'weighted' | 'least_latency';
  percentile: number;
  slo?: SloConfig;
  fallbacks: Candidate[];
  fallbackOn: ReadonlySet<string>;
  acrossTiers: boolean;
  baseline: string;
  /** fallback lists by `tier|chosen` (they only depend on those unless balancing is least_latency) */
  fallbackMemo: Map<string, Candidate[]>;
}

interface CompiledVerifier {
  candidate: Candidate;
  prompt: string;
  pass: RegExp;
  maxTokens: number;
}

/** Why a tier was chosen. */
type TierReason =
  | { by: 'rule'; rule: string }
  | { by: 'classifier'; score: number; threshold: number; basis: string; ood?: { score: number; threshold: number } }
  | { by: 'default' }
  /** a flag's overlay (src/flags/) forced or capped the tier or named the model */
  | { by: 'flag'; flags: string[]; detail: string };

interface SloVerdict {
  state: 'ok' | 'moved' | 'probe' | 'all_breached' | 'off';
  detail?: string;
}

interface Pick {
  chosen: Candidate;
  tier: number;
  fallbacks: Candidate[];
  slo: SloVerdict;
}

const keyOf = (t: Target): string => `${t.provider}/${t.model}`;

export class RouterStage implements Stage {
  readonly name = 'router';
  private readonly routes = new Map<string, CompiledRoute>();
  private readonly latency: LatencyTracker;
  private readonly now: () => number;
  private readonly random: () => number;
  /** provider -> models that some route can send to: the only ones whose latency is worth tracking */
  private readonly tracked = new Map<string, Set<string>>();

  constructor(
    cfg: RoutesConfig,
    private readonly deps: RouterDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    // least_latency balancing (no SLO window of its own) looks at the last minute
    this.latency = new LatencyTracker(60_000);
    for (const [name, route] of Object.entries(cfg)) this.routes.set(name, this.compile(name, route));
    for (const route of this.routes.values()) {
      for (const c of [...route.tiers.flatMap((t) => t.candidates), ...route.fallbacks]) {
        let models = this.tracked.get(c.target.provider);
        if (!models) this.tracked.set(c.target.provider, (models = new Set()));
        models.add(c.target.model);
      }
    }
  }

  /** Route names (for the model registry and GET /v1/models). */
  routeNames(): string[] {
    return [...this.routes.keys()];
  }

  // not async: a request no route claims goes straight on, without a promise of this stage's own
  handle(ctx: GatewayContext, next: Next): Promise<ChatResult> {
    const route = this.routes.get(ctx.request.model);
    if (!route) return next();
    return this.route(ctx, next, route);
  }

  private async route(ctx: GatewayContext, next: Next, route: CompiledRoute): Promise<ChatResult> {

    const facts = makeFacts(ctx.request, ctx.headers, ctx.rawBody, this.deps.estimateInputTokens);
    const decided = this.decideTier(route, facts, ctx.headers);
    const decision = ctx.overlay ? this.withOverlay(route, decided, ctx.overlay, ctx.flags ?? []) : decided;
    const asked = this.deps.resolveModel(ctx.request.model);

    const tightening = route.classifier?.pendingTightening;
    if (tightening) {
      route.classifier!.pendingTightening = undefined;
      ctx.trail.push({ stage: 'router', decision: 'tightened', reason: `classifier threshold ${round4(tightening.from)} -> ${round4(tightening.to)}: ${tightening.why}`, data: { from: round4(tightening.from), to: round4(tightening.to), tightened: route.classifier!.tightened } });
    }
    ctx.route = route.name;
    ctx.baselineModel = route.baseline;
    ctx.fallbackOn = route.fallbackOn;

    const estInput = route.slo || route.cascade ? facts.inputTokens() : 0;
    const estUsage: Usage = { input: estInput, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: ctx.request.maxTokens ?? 256, reasoning: 0 };

    const first = decision.model
      ? { chosen: decision.model, tier: decision.tier, fallbacks: this.fallbacksFor(route, decision.tier, decision.model), slo: { state: 'off' } as SloVerdict }
      : this.pickInTier(route, decision.tier, estUsage);

    const cascadeOn = route.cascade !== undefined && !ctx.request.stream && !decision.model && first.tier < route.tiers.length - 1;
    this.apply(ctx, route, first, decision.reason, asked, cascadeOn ? 'cascade' : undefined);
    if (!cascadeOn) return next();
    return this.runCascade(ctx, next, route, first, decision.reason, asked, estUsage);
  }

  onRecord(record: RequestRecord): void {
    if (!record.provider || !record.model) return;
    if (!this.tracked.get(record.provider)?.has(record.model)) return;
    // a cache hit's latency says nothing about the upstream model's (it would make a slow model
    // look fast to the SLO filter and to least-latency balancing)
    if (record.cacheStatus === 'hit' || record.cacheStatus === 'semantic_hit') return;
    // successful calls and timeouts are latency evidence; other failures say nothing about speed
    if (record.status !== 'ok' && record.errorClass !== 'timeout') return;
    // a non-streaming client gets its first token with the whole answer: its TTFT is the latency, so
    // a `ttft_p95_ms` SLO also holds non-streaming traffic to account
    const ttftMs = record.ttftMs ?? (record.stream ? undefined : record.latencyMs);
    this.latency.add(record.provider, record.model, { at: record.completedAt, ttftMs, e2eMs: record.latencyMs });
  }

  /** What the judge's shadow evaluation needs of a route (src/quality/): its strongest model and its classifier's target. */
  qualityRoute(name: string): RouteQualityInfo | undefined {
    const route = this.routes.get(name);
    if (!route) return undefined;
    const c = route.classifier;
    const strong = route.tiers[c ? c.strong : route.tiers.length - 1]!.candidates[0]!;
    return { strong: { name: strong.name, provider: strong.target.provider, model: strong.target.model }, target: c?.qualityGe, threshold: c?.threshold, tightened: c?.tightened ?? 0 };
  }

  /**
   * Tightens a route's classifier: its threshold moves down to the next operating point of the
   * weight file with at least `step` more strong share (or the last one there is), so more requests
   * go to the strong tier. Undefined when the route has no classifier or no lower point is left.
   */
  tighten(name: string, why: string, step: number): { from: number; to: number } | undefined {
    const c = this.routes.get(name)?.classifier;
    if (!c) return undefined;
    const points = c.model.operatingPoints;
    const below = points.filter((p) => p.threshold < c.threshold).sort((a, b) => b.threshold - a.threshold);
    if (below.length === 0) return undefined;
    const here = points.filter((p) => p.threshold >= c.threshold).sort((a, b) => a.threshold - b.threshold)[0];
    const share = here?.strongShare ?? 0;
    const next = below.find((p) => p.strongShare >= share + step) ?? below[below.length - 1]!;
    const from = c.threshold;
    c.threshold = next.threshold;
    c.tightened++;
    c.basis = `tightened ${c.tightened}x by live quality (validation: ${(next.strongShare * 100).toFixed(1)}% strong)`;
    c.pendingTightening = { from, to: next.threshold, why };
    return { from, to: next.threshold };
  }

  /** Puts back a threshold live quality had tightened before a restart (src/quality/ checks the config's is unchanged). */
  restoreTightening(name: string, threshold: number, tightened: number): boolean {
    const c = this.routes.get(name)?.classifier;
    if (!c || !Number.isFinite(threshold)) return false;
    c.threshold = threshold;
    c.tightened = tightened;
    c.basis = `tightened ${tightened}x by live quality (kept across a restart)`;
    return true;
  }

  /** Live latency figures the router sees for a model (for /metrics and debugging). */
  latencyOf(target: Target): LatencySnapshot | undefined {
    return this.latency.snapshot(target.provider, target.model, this.now());
  }

  // -------------------------------------------------------------------------------------------

  private compile(name: string, r: RouteConfig): CompiledRoute {
    const where = `routes.${name}`;
    const cand = (model: string, weight: number, at: string): Candidate => {
      const target = this.deps.resolveModel(model);
      if (!target) throw new Error(`${at}: unknown model "${model}" (not in models:)`);
      return { name: model, target: { provider: target.provider, model: target.model }, weight };
    };
    const tiers: CompiledTier[] = r.tiers.map((t, i) => {
      const candidates = t.models.map((m, j) =>
        typeof m === 'string' ? cand(m, 1, `${where}.tiers[${i}].models[${j}]`) : cand(m.model, m.weight, `${where}.tiers[${i}].models[${j}]`),
      );
      return { name: t.name, candidates, totalWeight: candidates.reduce((s, c) => s + c.weight, 0) };
    });
    const tierIndex = (tier: string, at: string): number => {
      const i = tiers.findIndex((t) => t.name === tier);
      if (i < 0) throw new Error(`${at}: unknown tier "${tier}" (tiers: ${tiers.map((t) => t.name).join(', ')})`);
      return i;
    };
    const rules: CompiledRule[] = r.rules.map((rule, i) => {
      const at = `${where}.rules[${i}]`;
      let pred: Predicate;
      try {
        pred = compileCondition(rule.when);
      } catch (err) {
        throw new Error(`${at}.when: ${(err as Error).message}`);
      }
      return {
        name: rule.name ?? `rule#${i}`,
        pred,
        tier: rule.tier !== undefined ? tierIndex(rule.tier, `${at}.tier`) : undefined,
        model: rule.model !== undefined ? cand(rule.model, 1, `${at}.model`) : undefined,
      };
    });
    let classifier: CompiledClassifier | undefined;
    if (r.classifier) {
      const c = r.classifier;
      const path = this.weightPath(c.weights);
      let model: RouterClassifier;
      try {
        model = RouterClassifier.load(path);
      } catch (err) {
        throw new Error(`${where}.classifier.weights: ${(err as Error).message}`);
      }
      let threshold: number;
      let basis: string;
      if (c.threshold !== undefined) {
        threshold = c.threshold;
        basis = 'threshold';
      } else {
        const op = model.thresholdFor(c.target!);
        threshold = op.threshold;
        basis =
          'quality_ge' in c.target!
            ? `quality_ge ${c.target.quality_ge} (validation: ${(op.point.qualityRatio * 100).toFixed(1)}% quality, ${(op.point.strongShare * 100).toFixed(1)}% strong)`
            : `strong_share_le ${c.target!.strong_share_le} (validation: ${(op.point.strongShare * 100).toFixed(1)}% strong)`;
      }
      classifier = {
        model,
        threshold,
        basis,
        weak: c.weak_tier ? tierIndex(c.weak_tier, `${where}.classifier.weak_tier`) : 0,
        strong: c.strong_tier ? tierIndex(c.strong_tier, `${where}.classifier.strong_tier`) : tiers.length - 1,
        taskHeader: c.task_header.toLowerCase(),
        oodThreshold: model.ood?.threshold,
        qualityGe: c.target && 'quality_ge' in c.target ? c.target.quality_ge : undefined,
        tightened: 0,
      };
    }
    const cascade = r.cascade && r.cascade.enabled ? this.compileCascade(r.cascade, `${where}.cascade`, cand) : undefined;
    const balance = typeof r.balance === 'string' ? r.balance : r.balance.strategy;
    const percentile = typeof r.balance === 'string' ? 50 : r.balance.percentile;
    const baseline = r.baseline ?? (this.deps.resolveModel(name) ? name : tiers[tiers.length - 1]!.candidates[0]!.name);
    if (!this.deps.resolveModel(baseline)) throw new Error(`${where}.baseline: unknown model "${baseline}"`);
    return {
      name,
      tiers,
      rules,
      defaultTier: r.default_tier !== undefined ? tierIndex(r.default_tier, `${where}.default_tier`) : 0,
      classifier,
      cascade,
      balance,
      percentile,
      slo: r.slo,
      fallbacks: r.fallbacks.map((m, i) => cand(m, 1, `${where}.fallbacks[${i}]`)),
      fallbackOn: new Set(r.fallback_on),
      acrossTiers: r.fallback_across_tiers,
      baseline,
      fallbackMemo: new Map(),
    };
  }

  private compileCascade(c: CascadeConfig, at: string, cand: (m: string, w: number, at: string) => Candidate): CompiledRoute['cascade'] {
    const checks = c.checks.filter((x): x is CheckName => x !== 'verifier');
    let verifier: CompiledVerifier | undefined;
    if (c.checks.includes('verifier')) {
      if (!c.verifier) throw new Error(`${at}.verifier: the verifier check needs a verifier: { model } section`);
      verifier = { candidate: cand(c.verifier.model, 1, `${at}.verifier.model`), prompt: c.verifier.prompt, pass: new RegExp(c.verifier.pass_pattern, 'i'), maxTokens: c.verifier.max_tokens };
    }
    return { checks, refusal: c.refusal_patterns.map((p) => new RegExp(p, 'i')), escalateOnError: c.escalate_on_error, verifier };
  }

  private weightPath(p: string): string {
    if (isAbsolute(p)) return p;
    const fromCwd = resolvePath(p);
    if (existsSync(fromCwd)) return fromCwd;
    return resolvePath(this.deps.dataDir, p);
  }

  /** Rules, then the classifier, then the default tier. Pure and synchronous. */
  decideTier(route: CompiledRoute, facts: RuleFacts, headers: Readonly<Record<string, string | undefined>>): { tier: number; model?: Candidate; reason: TierReason } {
    for (const rule of route.rules) {
      if (rule.pred(facts)) return { tier: rule.tier ?? this.tierOfModel(route, rule.model!), model: rule.model, reason: { by: 'rule', rule: rule.name } };
    }
    const c = route.classifier;
    if (c) {
      const { score, ood } = c.model.assess(facts.lastUserText(), headers[c.taskHeader]);
      if (c.oodThreshold !== undefined && ood > c.oodThreshold)
        return { tier: c.strong, reason: { by: 'classifier', score, threshold: c.threshold, basis: c.basis, ood: { score: ood, threshold: c.oodThreshold } } };
      return { tier: score >= c.threshold ? c.strong : c.weak, reason: { by: 'classifier', score, threshold: c.threshold, basis: c.basis } };
    }
    return { tier: route.defaultTier, reason: { by: 'default' } };
  }

  /**
   * A flag's overlay over the route's own decision: `model` names the model (one of the route's),
   * `tier` replaces the tier, `maxTier` caps it (a forced model above the cap is dropped too). The
   * flags were checked against this route when they were set; a name the route no longer has is
   * ignored rather than failing the request.
   */
  private withOverlay(route: CompiledRoute, d: ReturnType<RouterStage['decideTier']>, o: PolicyOverlay, flags: string[]): ReturnType<RouterStage['decideTier']> {
    let out = d;
    if (o.model !== undefined) {
      const m = [...route.tiers.flatMap((t) => t.candidates), ...route.fallbacks].find((c) => c.name === o.model);
      if (m) out = { tier: this.tierOfModel(route, m), model: m, reason: { by: 'flag', flags, detail: `model ${m.name}` } };
    } else if (o.tier !== undefined) {
      const i = route.tiers.findIndex((t) => t.name === o.tier);
      if (i >= 0) out = { tier: i, reason: { by: 'flag', flags, detail: `tier ${o.tier}` } };
    }
    if (o.maxTier !== undefined) {
      const cap = route.tiers.findIndex((t) => t.name === o.maxTier);
      if (cap >= 0 && out.tier > cap) out = { tier: cap, reason: { by: 'flag', flags, detail: `tier capped at ${o.maxTier} (was ${route.tiers[out.tier]!.name})` } };
    }
    return out;
  }

  private tierOfModel(route: CompiledRoute, m: Candidate): number {
    const i = route.tiers.findIndex((t) => t.candidates.some((c) => keyOf(c.target) === keyOf(m.target)));
    return i < 0 ? route.tiers.length - 1 : i;
  }

  /** Load balancing order inside one tier. */
  private ordered(route: CompiledRoute, tier: CompiledTier): Candidate[] {
    const cs = tier.candidates;
    if (cs.length === 1 || route.balance === 'first') return cs;
    const now = this.now();
    if (route.balance === 'weighted') {
      let r = this.random() * tier.totalWeight;
      let pick = cs.length - 1;
      for (let i = 0; i < cs.length; i++) {
        r -= cs[i]!.weight;
        if (r < 0) {
          pick = i;
          break;
        }
      }
      return [cs[pick]!, ...cs.filter((_, i) => i !== pick)];
    }
    // least_latency: models with no samples yet first (so they get measured), then by live percentile
    const lat = (c: Candidate): number => this.latency.snapshot(c.target.provider, c.target.model, now)?.e2e(route.percentile) ?? -1;
    return [...cs].map((c) => ({ c, l: lat(c) })).sort((a, b) => a.l - b.l).map((x) => x.c);
  }

  private pickInTier(route: CompiledRoute, tierIdx: number, estUsage: Usage): Pick {
    const tier = route.tiers[tierIdx]!;
    if (!route.slo) {
      const order = this.ordered(route, tier);
      return { chosen: order[0]!, tier: tierIdx, fallbacks: this.fallbacksFor(route, tierIdx, order[0]!, order), slo: { state: 'off' } };
    }
    // SLO: cheapest candidate (this tier, then the tiers above) whose live P95 meets the SLO
    const slo = route.slo;
    const now = this.now();
    const pool: { c: Candidate; tier: number; cost: number }[] = [];
    for (let t = tierIdx; t < route.tiers.length; t++) {
      const inTier = route.tiers[t]!.candidates.map((c) => ({ c, tier: t, cost: this.deps.costOf(c.target, estUsage) }));
      inTier.sort((a, b) => a.cost - b.cost);
      pool.push(...inTier);
    }
    const breachOf = (c: Candidate): { ratio: number; detail?: string } => {
      const snap = this.latency.snapshot(c.target.provider, c.target.model, now, slo.window_s * 1000);
      if (!snap || snap.samples < slo.min_samples) return { ratio: 0 };
      let ratio = 0;
      const parts: string[] = [];
      if (slo.ttft_p95_ms !== undefined && snap.ttftP95 !== undefined) {
        ratio = Math.max(ratio, snap.ttftP95 / slo.ttft_p95_ms);
        if (snap.ttftP95 > slo.ttft_p95_ms) parts.push(`ttft_p95=${Math.round(snap.ttftP95)}>${slo.ttft_p95_ms}`);
      }
      if (slo.e2e_p95_ms !== undefined && snap.e2eP95 !== undefined) {
        ratio = Math.max(ratio, snap.e2eP95 / slo.e2e_p95_ms);
        if (snap.e2eP95 > slo.e2e_p95_ms) parts.push(`e2e_p95=${Math.round(snap.e2eP95)}>${slo.e2e_p95_ms}`);
      }
      return { ratio, detail: parts.length ? `${c.name}(${parts.join(',')})` : undefined };
    };
    const verdicts = pool.map((p) => ({ ...p, b: breachOf(p.c) }));
    const preferred = verdicts[0]!;
    const ok = verdicts.find((v) => v.b.ratio <= 1);
    let chosen: (typeof verdicts)[number];
    let state: SloVerdict;
    if (preferred.b.ratio <= 1) {
      chosen = preferred;
      state = { state: 'ok' };
    } else if (slo.probe_share > 0 && this.random() < slo.probe_share) {
      // keep a trickle on the preferred model so its recovery shows up in the live window
      chosen = preferred;
      state = { state: 'probe', detail: preferred.b.detail };
    } else if (ok) {
      chosen = ok;
      const breached = verdicts.filter((v) => v.b.ratio > 1 && v.cost <= ok.cost).map((v) => v.b.detail);
      state = { state: 'moved', detail: breached.join(' ') };
    } else {
      chosen = verdicts.reduce((a, b) => (b.b.ratio < a.b.ratio ? b : a));
      state = { state: 'all_breached', detail: verdicts.map((v) => v.b.detail).join(' ') };
    }
    const rest = verdicts.filter((v) => v !== chosen).sort((a, b) => a.b.ratio - b.b.ratio || a.cost - b.cost);
    const fallbacks = dedupe([...rest.map((v) => v.c), ...route.fallbacks], chosen.c);
    return { chosen: chosen.c, tier: chosen.tier, fallbacks, slo: state };
  }

  private fallbacksFor(route: CompiledRoute, tierIdx: number, chosen: Candidate, order?: Candidate[]): Candidate[] {
    // with first/weighted balancing the order is the tier with the chosen model moved to the front,
    // so the list is a function of (tier, chosen): computed once, not per request
    const memoKey = route.balance === 'least_latency' && order ? undefined : `${tierIdx}|${chosen.name}`;
    const memo = memoKey !== undefined ? route.fallbackMemo.get(memoKey) : undefined;
    if (memo) return memo;
    const list: Candidate[] = [...(order ?? route.tiers[tierIdx]!.candidates)];
    if (route.acrossTiers) for (let t = tierIdx + 1; t < route.tiers.length; t++) list.push(...route.tiers[t]!.candidates);
    list.push(...route.fallbacks);
    const out = dedupe(list, chosen);
    if (memoKey !== undefined) route.fallbackMemo.set(memoKey, out);
    return out;
  }

  /** Points the context at a pick and explains it. */
  private apply(ctx: GatewayContext, route: CompiledRoute, pick: Pick, reason: TierReason, asked: Target | undefined, mode?: string): void {
    ctx.target = { ...pick.chosen.target };
    ctx.fallbacks = pick.fallbacks.map((c) => ({ ...c.target }));
    if (!asked || keyOf(asked) !== keyOf(pick.chosen.target) || ctx.request.model !== pick.chosen.name) ctx.rewritten = true;
    const tier = route.tiers[pick.tier]!.name;
    const data: Record<string, unknown> = { route: route.name, tier, model: pick.chosen.name, provider: pick.chosen.target.provider, by: reason.by };
    let why: string;
    if (reason.by === 'rule') {
      data.rule = reason.rule;
      why = `rule ${reason.rule}`;
    } else if (reason.by === 'classifier') {
      data.score = round4(reason.score);
      data.threshold = round4(reason.threshold);
      data.basis = reason.basis;
      why = `classifier score ${round4(reason.score)} ${reason.score >= reason.threshold ? '>=' : '<'} threshold ${round4(reason.threshold)}`; // how the threshold was chosen is in data.basis
      if (reason.ood) {
        data.ood = round4(reason.ood.score);
        data.oodThreshold = round4(reason.ood.threshold);
        why = `out of the classifier's training distribution (${round4(reason.ood.score)} > ${round4(reason.ood.threshold)}): strong tier`;
      }
    } else if (reason.by === 'flag') {
      data.flags = reason.flags;
      why = `flag ${reason.flags.join(', ')}: ${reason.detail}`;
    } else why = 'default tier';
    if (pick.slo.state !== 'off') {
      data.slo = pick.slo.state;
      if (pick.slo.detail) data.sloDetail = pick.slo.detail;
      why += `; SLO ${pick.slo.state}${pick.slo.detail ? ` ${pick.slo.detail}` : ''}`;
    }
    if (mode) data.mode = mode;
    data.fallbacks = pick.fallbacks.map((c) => c.name);
    ctx.trail.push({ stage: 'router', decision: 'route', reason: why, data });
    ctx.responseHeaders['x-tollgate-route'] = routeHeader(route.name, tier, pick.chosen.name, reason, pick.slo, mode);
  }

  private async runCascade(
    ctx: GatewayContext,
    next: Next,
    route: CompiledRoute,
    first: Pick,
    reason: TierReason,
    asked: Target | undefined,
    estUsage: Usage,
  ): Promise<ChatResult> {
    const cascade = route.cascade!;
    const steps: string[] = [];
    let pick = first;
    for (;;) {
      const last = pick.tier >= route.tiers.length - 1;
      // a cascade step does not fall back to higher tiers itself: escalation is the cascade's job
      if (!last) ctx.fallbacks = pick.fallbacks.filter((c) => this.tierOfModel(route, c) === pick.tier || route.fallbacks.includes(c)).map((c) => ({ ...c.target }));
      let failure: string | undefined;
      let failedCheck = 'error';
      let result: ChatResult | undefined;
      try {
        result = await next();
      } catch (err) {
        if (last || !cascade.escalateOnError || !(err instanceof UpstreamError || err instanceof AllAttemptsFailedError)) throw err;
        failure = `error: ${err instanceof UpstreamError ? err.errorClass : (err.last?.errorClass ?? 'upstream')}`;
      }
      if (result && !last) {
        if (result.kind !== 'complete') return result;
        for (const check of cascade.checks) {
          failure = runCheck(check, ctx.request, result.response, cascade.refusal);
          failedCheck = check;
          if (failure) break;
        }
        if (!failure && cascade.verifier) {
          failure = await this.verify(ctx, cascade.verifier, result.response);
          failedCheck = 'verifier';
        }
      }
      if (!failure) {
        if (steps.length) ctx.responseHeaders['x-tollgate-route'] += `;cascade=${ascii(steps.join('>'))}>${ascii(route.tiers[pick.tier]!.name)}`;
        return result!;
      }
      const from = route.tiers[pick.tier]!.name;
      steps.push(`${from}(${failedCheck})`);
      const nextPick = this.pickInTier(route, pick.tier + 1, estUsage);
      ctx.trail.push({ stage: 'router', decision: 'escalate', reason: `cascade: ${from} answer failed (${failure}); escalating to ${route.tiers[nextPick.tier]!.name}`, data: { from: pick.chosen.name, to: nextPick.chosen.name, check: failure } });
      pick = nextPick;
      this.apply(ctx, route, pick, reason, asked, 'cascade');
    }
  }

  /** Asks the verifier model whether the answer stands; returns a failure reason or undefined. */
  private async verify(ctx: GatewayContext, v: CompiledVerifier, res: { content: unknown[] } & Parameters<typeof answerText>[0]): Promise<string | undefined> {
    const prompt = v.prompt.replace('{question}', lastUserTextOf(ctx.request)).replace('{answer}', answerText(res));
    const request: ChatRequest = { model: v.candidate.name, system: [], messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }], maxTokens: v.maxTokens, temperature: 0, stream: false, includeUsage: false, extra: {} };
    try {
      // the gateway's own call: an attempt with a purpose, neither the answer nor a failed try at it
      const out = await ctx.callModel(v.candidate.name, request, { purpose: 'cascade-verifier' });
      const verdict = answerText(out);
      ctx.trail.push({ stage: 'router', decision: 'verify', reason: `verifier ${v.candidate.name} said ${JSON.stringify(verdict.slice(0, 40))}`, data: { model: v.candidate.name } });
      return v.pass.test(verdict) ? undefined : 'verifier rejected';
    } catch (err) {
      // a broken verifier must not fail the request: keep the answer
      ctx.trail.push({ stage: 'router', decision: 'verify_error', reason: (err as Error).message.slice(0, 200) });
      return undefined;
    }
  }
}

function dedupe(list: Candidate[], chosen: Candidate): Candidate[] {
  const seen = new Set([keyOf(chosen.target)]);
  const out: Candidate[] = [];
  for (const c of list) {
    const k = keyOf(c.target);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(c);
  }
  return out;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** Header-safe (printable ASCII) form of a config name; names are few, so each is cleaned once. */
const asciiMemo = new Map<string, string>();
function ascii(name: string): string {
  let v = asciiMemo.get(name);
  if (v === undefined) {
    v = name.replace(/[^\x20-\x7e]/g, '?');
    if (asciiMemo.size < 10_000) asciiMemo.set(name, v);
  }
  return v;
}

/** `route=support-chat;tier=cheap;model=gpt-4o-mini;by=rule:long-input;slo=moved` (ASCII, compact). */
function routeHeader(route: string, tier: string, model: string, reason: TierReason, slo: SloVerdict, mode?: string): string {
  let by: string;
  if (reason.by === 'rule') by = `rule:${ascii(reason.rule)}`;
  else if (reason.by === 'classifier')
    by = reason.ood ? `classifier:ood:${round4(reason.ood.score)}>${round4(reason.ood.threshold)}` : `classifier:${round4(reason.score)}${reason.score >= reason.threshold ? '>=' : '<'}${round4(reason.threshold)}`;
  else if (reason.by === 'flag') by = `flag:${ascii(reason.flags.join(','))}`;
  else by = 'default';
  let h = `route=${ascii(route)};tier=${ascii(tier)};model=${ascii(model)};by=${by}`;
  if (slo.state !== 'off') h += `;slo=${slo.state}`;
  if (mode) h += `;mode=${mode}`;
  return h;
}

export function createRouterStage(cfg: RoutesConfig, deps: RouterDeps): RouterStage {
  return new RouterStage(cfg, deps);
}

export { compileRegex };
