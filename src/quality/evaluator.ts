// Quality on live traffic: a sampled share of finished requests is graded by the judge, and a
// sampled share of routed requests is shadow-evaluated against the route's strongest model. All of
// it runs after the request's record is committed (off the response path), through a bounded
// queue with bounded concurrency; what does not fit is dropped and counted.
//
// The judge and shadow calls are the gateway's own calls (`QualityDeps.call`): the engine runs them
// as their own ledger records (keyId `tollgate:judge`, endpoint `internal:judge` / `internal:shadow`,
// attempts with purpose `judge` / `shadow`), which this module never observes again.
//
// A sampled share of semantic-cache hits (cacheShadowRate) is shadow-checked too: the model the
// entry came from answers the question afresh and the judge, with that answer as its reference,
// says whether the cached answer answers it. The share judged "no" is the cache's live false-hit
// rate (a Wilson interval); when its lower bound is above the policy's maxFalseHitRate, the cache
// raises its threshold. Every tightening (router or cache) is told to `onTighten` (an alert) and,
// with the estimates, kept in the quality store, so a restart resumes where it stood.

import type { ChatRequest, ChatResponse } from '../core/canonical.js';
import type { RequestRecord } from '../ledger/record.js';
import type { AdminRoute } from '../pipeline/stage.js';
import type { LeverQualityState, QualityStore } from '../stores/quality.js';
import type { JudgeConfig } from './config.js';
import { PairedRatio, Proportion, lookConfidence, type PairedSums, type RatioEstimate } from './estimator.js';
import { PASS_SCORE, cacheHitPrompt, judgePrompt, parseScore } from './rubric.js';

/** the caller id of the gateway's own quality calls, and what marks their records */
export const QUALITY_KEY_ID = 'tollgate:judge';
export const isQualityRecord = (r: Pick<RequestRecord, 'keyId'>): boolean => r.keyId === QUALITY_KEY_ID;

/** what the router tells (and lets) the evaluator do for a route */
export interface RouteQualityControl {
  qualityRoute(route: string): RouteQualityInfo | undefined;
  /** move the route's classifier one step toward the strong tier; undefined when it cannot go further */
  tighten(route: string, why: string, step: number): { from: number; to: number } | undefined;
  /** put back a threshold tightening had moved before a restart */
  restoreTightening?(route: string, threshold: number, tightened: number): boolean;
}

/** what the semantic cache tells (and lets) the evaluator do for a policy (a route or model name) */
export interface CacheQualityControl {
  semanticPolicy(name: string): { threshold: number; baseThreshold: number; maxFalseHitRate: number; tightened: number } | undefined;
  tightenSemantic(name: string, why: string): { from: number; to: number } | undefined;
  restoreSemantic(name: string, threshold: number, tightened: number): boolean;
}

/** a lever that tightened itself: what the alerts tell the channels */
export interface TighteningEvent {
  lever: 'router' | 'cache';
  /** the route, or the cache policy */
  name: string;
  metric: 'quality_ratio' | 'false_hit_rate';
  estimate: number;
  interval: [number, number];
  n: number;
  confidence: number;
  /** the route's quality target (the least ratio), or the cache's maxFalseHitRate (the most rate) */
  bound: number;
  from: number;
  to: number;
  tightened: number;
  at: number;
}

export interface RouteQualityInfo {
  /** the route's strongest model (the first of its last tier) */
  strong: { name: string; provider: string; model: string };
  /** the classifier's `target.quality_ge`, when the route has one */
  target?: number;
  threshold?: number;
  tightened: number;
}

export interface QualityDeps {
  /** one own call, recorded in the ledger as its own record; throws on failure */
  call(purpose: 'judge' | 'shadow', model: string, request: ChatRequest): Promise<ChatResponse>;
  routes?: RouteQualityControl;
  cache?: CacheQualityControl;
  /** the `models:` name that answers like a cache entry's target (else the requested model, if it is one) */
  modelFor?(target: { provider: string; model: string } | undefined, requestedModel: string): string | undefined;
  /** where estimates and tightened thresholds are kept across restarts */
  store?: QualityStore;
  /** a lever tightened itself (the gateway sends an alert); must not throw */
  onTighten?(e: TighteningEvent): void;
  /** a user request's answer was judged (the experiments' quality guardrail); must not throw */
  onJudged?(record: RequestRecord, score: number): void;
  random?: () => number;
  now?: () => number;
}

type Tightening = NonNullable<LeverQualityState['lastTightening']>;

interface RouteStats {
  ratio: PairedRatio;
  /** pairs where a weaker tier answered (the others are the strong model judged once) */
  shadowed: number;
  weakSum: number;
  strongSumOnShadowed: number;
  lastTightening?: Tightening;
}

interface CacheStats {
  /** judged hits and, among them, false ones, since the last tightening */
  rate: Proportion;
  /** the similarities of the false hits seen (their max tells how far the threshold must go) */
  maxFalseSimilarity: number | null;
  lastTightening?: Tightening;
}

type Job = () => Promise<void>;

/** a decision's confidence level for the trail: as many digits as it takes to differ from 1 */
const fmtLevel = (level: number): string => {
  const digits = Math.max(2, Math.ceil(-Math.log10(1 - level)) + 1);
  return level.toFixed(Math.min(12, digits));
};

const textOf = (r: ChatResponse): string => r.content.map((p) => (p.type === 'text' ? p.text : '')).join('');

function questionOf(req: ChatRequest): string | undefined {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i]!;
    if (m.role !== 'user') continue;
    const texts = m.content.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text);
    return texts.length ? texts.join('\n') : undefined;
  }
  return undefined;
}

export class QualityEvaluator {
  private readonly queue: Job[] = [];
  private running = 0;
  private closed = false;
  private readonly routes = new Map<string, RouteStats>();
  private readonly caches = new Map<string, CacheStats>();
  /** each route's classifier threshold as the config gave it (before any tightening) */
  private readonly routeBase = new Map<string, number | null>();
  private readonly random: () => number;
  private readonly now: () => number;
  private idleWaiters: (() => void)[] = [];
  readonly counts = { judged: 0, shadowed: 0, cacheShadowed: 0, cacheNoReference: 0, dropped: 0, failed: 0, unparsed: 0, restored: 0, staleDiscarded: 0, storeErrors: 0 };
  private judgeSum = 0;

  constructor(
    private readonly cfg: JudgeConfig,
    private readonly deps: QualityDeps,
  ) {
    this.random = deps.random ?? Math.random;
    this.now = deps.now ?? Date.now;
  }

  /**
   * Loads what the store kept: the estimates, and the thresholds tightening had moved, applied to
   * the levers again. State saved under another base threshold (the config changed) is dropped:
   * its evidence was about a lever that no longer exists.
   */
  async restore(): Promise<void> {
    const store = this.deps.store;
    if (!store) return;
    for (const s of await store.list()) {
      if (s.lever === 'router') {
        const info = this.deps.routes?.qualityRoute(s.name);
        if (!info) continue;
        const base = this.baseOf(s.name, info);
        if (base !== s.baseThreshold) {
          this.counts.staleDiscarded++;
          continue;
        }
        if (s.tightened > 0 && s.threshold !== null && !this.deps.routes?.restoreTightening?.(s.name, s.threshold, s.tightened)) continue;
        const e = s.evidence as unknown as PairedSums & { shadowed: number; weakSum: number; strongSumOnShadowed: number };
        this.routes.set(s.name, { ratio: PairedRatio.from(e), shadowed: e.shadowed ?? 0, weakSum: e.weakSum ?? 0, strongSumOnShadowed: e.strongSumOnShadowed ?? 0, lastTightening: s.lastTightening });
      } else {
        const info = this.deps.cache?.semanticPolicy(s.name);
        if (!info) continue;
        if (info.baseThreshold !== s.baseThreshold || s.threshold === null) {
          this.counts.staleDiscarded++;
          continue;
        }
        if (s.tightened > 0 && !this.deps.cache!.restoreSemantic(s.name, s.threshold, s.tightened)) continue;
        const e = s.evidence as { n: number; k: number; maxFalseSimilarity?: number };
        this.caches.set(s.name, { rate: Proportion.from(e), maxFalseSimilarity: e.maxFalseSimilarity ?? null, lastTightening: s.lastTightening });
      }
      this.counts.restored++;
    }
  }

  private baseOf(route: string, info: RouteQualityInfo): number | null {
    if (!this.routeBase.has(route)) this.routeBase.set(route, info.tightened === 0 ? (info.threshold ?? null) : null);
    return this.routeBase.get(route)!;
  }

  /** a finished request (its record committed): maybe judge it, maybe shadow it. Never throws. */
  observe(record: RequestRecord, request: ChatRequest | undefined, response: ChatResponse | undefined): void {
    if (this.closed || isQualityRecord(record) || record.status !== 'ok' || !request || !response) return;
    if (record.cacheStatus === 'semantic_hit') return this.observeSemanticHit(record, request, response);
    if (record.cacheStatus === 'hit') return;
    const question = questionOf(request);
    const answer = textOf(response);
    if (question === undefined || answer === '') return;
    const route = record.route !== undefined ? this.deps.routes?.qualityRoute(record.route) : undefined;
    if (route && this.cfg.shadowRate > 0 && this.random() < this.cfg.shadowRate) {
      const servedByStrong = record.provider === route.strong.provider && record.model === route.strong.model;
      this.enqueue(() => this.shadow(record, route, request, question, answer, servedByStrong));
    } else if (this.cfg.sampleRate > 0 && this.random() < this.cfg.sampleRate) {
      this.enqueue(async () => {
        const score = await this.judge(question, answer);
        if (score !== undefined) this.judged(record, score);
      });
    }
  }

  private judged(record: RequestRecord, score: number): void {
    try {
      this.deps.onJudged?.(record, score);
    } catch {
      // an observer's bookkeeping never stops evaluation
    }
  }

  /** a semantic hit: maybe shadow-check it (the upstream answers too, the judge compares) */
  private observeSemanticHit(record: RequestRecord, request: ChatRequest, response: ChatResponse): void {
    if (!(this.cfg.cacheShadowRate > 0) || !this.deps.cache) return;
    const hit = record.trail.find((t) => t.stage === 'cache' && t.decision === 'semantic_hit');
    const data = hit?.data as { policy?: string; similarity?: number; target?: { provider: string; model: string } } | undefined;
    const policy = data?.policy;
    if (policy === undefined || !this.deps.cache.semanticPolicy(policy)) return;
    if (this.random() >= this.cfg.cacheShadowRate) return;
    const question = questionOf(request);
    const cached = textOf(response);
    if (question === undefined || cached === '') return;
    const model = this.deps.modelFor?.(data!.target, record.requestedModel);
    if (model === undefined) return;
    this.enqueue(() => this.shadowCacheHit(policy, model, request, question, cached, data!.similarity));
  }

  private async shadowCacheHit(policy: string, model: string, request: ChatRequest, question: string, cached: string, similarity: number | undefined): Promise<void> {
    const fresh = await this.deps.call('shadow', model, { ...request, model, stream: false });
    this.counts.cacheShadowed++;
    // a fresh answer cut short (max_tokens) is no reference: the check says nothing, and is counted
    if (fresh.finishReason !== 'stop' || textOf(fresh) === '') {
      this.counts.cacheNoReference++;
      return;
    }
    const score = await this.judgeText(cacheHitPrompt(question, cached, textOf(fresh)));
    if (score === undefined) return;
    const st = this.cacheStats(policy);
    const falseHit = score < PASS_SCORE;
    st.rate.add(falseHit);
    if (falseHit && similarity !== undefined) st.maxFalseSimilarity = Math.max(st.maxFalseSimilarity ?? -1, similarity);
    this.maybeTightenCache(policy, st);
    this.persistCache(policy, st);
  }

  private cacheStats(policy: string): CacheStats {
    let st = this.caches.get(policy);
    if (!st) this.caches.set(policy, (st = { rate: new Proportion(), maxFalseSimilarity: null }));
    return st;
  }

  private maybeTightenCache(policy: string, st: CacheStats): void {
    if (!this.cfg.tighten || !this.deps.cache) return;
    const info = this.deps.cache.semanticPolicy(policy);
    if (!info || st.rate.count < this.cfg.minSamples) return;
    const level = this.lookLevel(st.rate.count);
    const est = st.rate.estimate(level);
    if (!est.interval || est.interval[0] <= info.maxFalseHitRate) return;
    const lower = est.interval[0];
    const moved = this.deps.cache.tightenSemantic(policy, `false-hit rate ${est.estimate!.toFixed(3)} (lower bound ${lower.toFixed(3)} at ${fmtLevel(level)}, ${est.k} of ${est.n} judged hits) > maxFalseHitRate ${info.maxFalseHitRate}`);
    if (!moved) return;
    // the evidence was gathered at the old threshold: start again at the new one
    const at = this.now();
    st.rate = new Proportion();
    st.maxFalseSimilarity = null;
    st.lastTightening = { at, ...moved, bound: info.maxFalseHitRate, estimate: est.estimate! };
    this.tightened({ lever: 'cache', name: policy, metric: 'false_hit_rate', estimate: est.estimate!, interval: est.interval, n: est.n, confidence: level, bound: info.maxFalseHitRate, ...moved, tightened: info.tightened + 1, at });
  }

  private lookLevel(count: number): number {
    return lookConfidence(this.cfg.confidence, this.cfg.minSamples, count);
  }

  private tightened(e: TighteningEvent): void {
    try {
      this.deps.onTighten?.(e);
    } catch {
      // an alert that cannot be sent never undoes the tightening
    }
  }

  private persist(state: LeverQualityState): void {
    const store = this.deps.store;
    if (!store) return;
    try {
      void Promise.resolve(store.put(state)).catch(() => this.counts.storeErrors++);
    } catch {
      this.counts.storeErrors++;
    }
  }

  private persistCache(policy: string, st: CacheStats): void {
    const info = this.deps.cache?.semanticPolicy(policy);
    if (!info) return;
    const evidence: Record<string, number> = { ...st.rate.toJSON(), ...(st.maxFalseSimilarity !== null ? { maxFalseSimilarity: st.maxFalseSimilarity } : {}) };
    this.persist({ lever: 'cache', name: policy, baseThreshold: info.baseThreshold, threshold: info.threshold, tightened: info.tightened, lastTightening: st.lastTightening, evidence, updatedAt: this.now() });
  }

  private persistRoute(route: string, st: RouteStats): void {
    const info = this.deps.routes?.qualityRoute(route);
    if (!info) return;
    const evidence: Record<string, number> = { ...st.ratio.toJSON(), shadowed: st.shadowed, weakSum: st.weakSum, strongSumOnShadowed: st.strongSumOnShadowed };
    this.persist({ lever: 'router', name: route, baseThreshold: this.baseOf(route, info), threshold: info.threshold ?? null, tightened: info.tightened, lastTightening: st.lastTightening, evidence, updatedAt: this.now() });
  }

  private enqueue(job: Job): void {
    if (this.queue.length >= this.cfg.queueSize) {
      this.counts.dropped++;
      return;
    }
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.cfg.concurrency && this.queue.length) {
      const job = this.queue.shift()!;
      this.running++;
      job()
        .catch(() => {
          this.counts.failed++;
        })
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }

  /** resolves once nothing is queued or running (tests, shutdown) */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private judge(question: string, answer: string): Promise<number | undefined> {
    return this.judgeText(judgePrompt(this.cfg.rubric, question, answer));
  }

  private async judgeText(prompt: string): Promise<number | undefined> {
    const r = await this.deps.call('judge', this.cfg.model, {
      model: this.cfg.model,
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
      maxTokens: 16,
      stream: false,
      includeUsage: false,
      extra: {},
    } as ChatRequest);
    const score = parseScore(textOf(r));
    if (score === undefined) this.counts.unparsed++;
    else {
      this.counts.judged++;
      this.judgeSum += score;
    }
    return score;
  }

  private async shadow(record: RequestRecord, route: RouteQualityInfo, request: ChatRequest, question: string, answer: string, servedByStrong: boolean): Promise<void> {
    const routeName = record.route!;
    this.baseOf(routeName, route);
    let served: number | undefined;
    let strong: number | undefined;
    if (servedByStrong) {
      served = strong = await this.judge(question, answer);
    } else {
      const alt = await this.deps.call('shadow', route.strong.name, { ...request, model: route.strong.name, stream: false });
      this.counts.shadowed++;
      [served, strong] = await Promise.all([this.judge(question, answer), this.judge(question, textOf(alt))]);
    }
    if (served !== undefined) this.judged(record, served);
    if (served === undefined || strong === undefined) return;
    const st = this.stats(routeName);
    st.ratio.add(served, strong);
    if (!servedByStrong) {
      st.shadowed++;
      st.weakSum += served;
      st.strongSumOnShadowed += strong;
    }
    this.maybeTighten(routeName, st);
    this.persistRoute(routeName, this.stats(routeName));
  }

  private stats(route: string): RouteStats {
    let st = this.routes.get(route);
    if (!st) this.routes.set(route, (st = { ratio: new PairedRatio(), shadowed: 0, weakSum: 0, strongSumOnShadowed: 0 }));
    return st;
  }

  private maybeTighten(routeName: string, st: RouteStats): void {
    if (!this.cfg.tighten || !this.deps.routes) return;
    const info = this.deps.routes.qualityRoute(routeName);
    if (info?.target === undefined || st.ratio.count < this.cfg.minSamples) return;
    const level = this.lookLevel(st.ratio.count);
    const est = st.ratio.estimate(level);
    if (!est.interval || est.interval[1] >= info.target) return;
    const upper = est.interval[1];
    const moved = this.deps.routes.tighten(routeName, `quality ratio ${est.estimate!.toFixed(3)} (upper bound ${upper.toFixed(3)} at ${fmtLevel(level)}, look ${st.ratio.count - this.cfg.minSamples + 1}) < target ${info.target}`, this.cfg.tightenStep);
    if (!moved) return;
    // the evidence was gathered at the old threshold: start again at the new one
    const at = this.now();
    const fresh = this.stats(routeName);
    fresh.ratio = new PairedRatio();
    fresh.shadowed = 0;
    fresh.weakSum = 0;
    fresh.strongSumOnShadowed = 0;
    fresh.lastTightening = { at, ...moved, bound: info.target, estimate: est.estimate! };
    this.tightened({ lever: 'router', name: routeName, metric: 'quality_ratio', estimate: est.estimate!, interval: est.interval, n: est.n, confidence: level, bound: info.target, ...moved, tightened: info.tightened + 1, at });
  }

  /** GET /admin/quality's body */
  view(): unknown {
    const routes: Record<string, unknown> = {};
    for (const [name, st] of this.routes) {
      const info = this.deps.routes?.qualityRoute(name);
      const est: RatioEstimate = st.ratio.estimate(this.cfg.confidence);
      routes[name] = {
        n: est.n,
        shadowed: st.shadowed,
        weakMean: st.shadowed ? st.weakSum / st.shadowed : null,
        strongMean: st.shadowed ? st.strongSumOnShadowed / st.shadowed : null,
        servedMean: est.servedMean,
        estimate: est.estimate,
        interval: est.interval,
        confidence: this.cfg.confidence,
        method: 'normal approximation (delta method) for a ratio of paired means',
        target: info?.target ?? null,
        threshold: info?.threshold ?? null,
        tightened: info?.tightened ?? 0,
        lastTightening: st.lastTightening ?? null,
        strongModel: info?.strong.name ?? null,
      };
    }
    const cache: Record<string, unknown> = {};
    for (const [name, st] of this.caches) {
      const info = this.deps.cache?.semanticPolicy(name);
      const est = st.rate.estimate(this.cfg.confidence);
      cache[name] = {
        n: est.n,
        falseHits: est.k,
        estimate: est.estimate,
        interval: est.interval,
        confidence: this.cfg.confidence,
        method: 'Wilson score interval for a proportion (judged false hits among shadow-checked semantic hits)',
        maxFalseHitRate: info?.maxFalseHitRate ?? null,
        threshold: info?.threshold ?? null,
        baseThreshold: info?.baseThreshold ?? null,
        tightened: info?.tightened ?? 0,
        maxFalseSimilarity: st.maxFalseSimilarity,
        lastTightening: st.lastTightening ?? null,
      };
    }
    return {
      judge: { model: this.cfg.model, sampleRate: this.cfg.sampleRate, shadowRate: this.cfg.shadowRate, cacheShadowRate: this.cfg.cacheShadowRate },
      ...this.counts,
      meanScore: this.counts.judged ? this.judgeSum / this.counts.judged : null,
      queued: this.queue.length,
      running: this.running,
      routes,
      cache,
    };
  }

  adminRoutes(): AdminRoute[] {
    return [{ method: 'GET', path: '/admin/quality', scope: 'global', handler: async () => ({ status: 200, body: this.view() }) }];
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }
}
