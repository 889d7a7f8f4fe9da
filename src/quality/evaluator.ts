// Quality on live traffic: a sampled share of finished requests is graded by the judge, and a
// sampled share of routed requests is shadow-evaluated against the route's strongest model. All of
// it runs after the request's record is committed (off the response path), through a bounded
// queue with bounded concurrency; what does not fit is dropped and counted.
//
// The judge and shadow calls are the gateway's own calls (`QualityDeps.call`): the engine runs them
// as their own ledger records (keyId `tollgate:judge`, endpoint `internal:judge` / `internal:shadow`,
// attempts with purpose `judge` / `shadow`), which this module never observes again.

import type { ChatRequest, ChatResponse } from '../core/canonical.js';
import type { RequestRecord } from '../ledger/record.js';
import type { AdminRoute } from '../pipeline/stage.js';
import type { JudgeConfig } from './config.js';
import { PairedRatio, type RatioEstimate } from './estimator.js';
import { judgePrompt, parseScore } from './rubric.js';

/** the caller id of the gateway's own quality calls, and what marks their records */
export const QUALITY_KEY_ID = 'tollgate:judge';
export const isQualityRecord = (r: Pick<RequestRecord, 'keyId'>): boolean => r.keyId === QUALITY_KEY_ID;

/** what the router tells (and lets) the evaluator do for a route */
export interface RouteQualityControl {
  qualityRoute(route: string): RouteQualityInfo | undefined;
  /** move the route's classifier one step toward the strong tier; undefined when it cannot go further */
  tighten(route: string, why: string, step: number): { from: number; to: number } | undefined;
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
  random?: () => number;
}

interface RouteStats {
  ratio: PairedRatio;
  /** pairs where a weaker tier answered (the others are the strong model judged once) */
  shadowed: number;
  weakSum: number;
  strongSumOnShadowed: number;
  lastTightening?: { at: number; from: number; to: number; upper: number };
}

type Job = () => Promise<void>;

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
  private readonly random: () => number;
  private idleWaiters: (() => void)[] = [];
  readonly counts = { judged: 0, shadowed: 0, dropped: 0, failed: 0, unparsed: 0 };
  private judgeSum = 0;

  constructor(
    private readonly cfg: JudgeConfig,
    private readonly deps: QualityDeps,
  ) {
    this.random = deps.random ?? Math.random;
  }

  /** a finished request (its record committed): maybe judge it, maybe shadow it. Never throws. */
  observe(record: RequestRecord, request: ChatRequest | undefined, response: ChatResponse | undefined): void {
    if (this.closed || isQualityRecord(record) || record.status !== 'ok' || !request || !response) return;
    if (record.cacheStatus === 'hit' || record.cacheStatus === 'semantic_hit') return;
    const question = questionOf(request);
    const answer = textOf(response);
    if (question === undefined || answer === '') return;
    const route = record.route !== undefined ? this.deps.routes?.qualityRoute(record.route) : undefined;
    if (route && this.cfg.shadowRate > 0 && this.random() < this.cfg.shadowRate) {
      const servedByStrong = record.provider === route.strong.provider && record.model === route.strong.model;
      this.enqueue(() => this.shadow(record.route!, route, request, question, answer, servedByStrong));
    } else if (this.cfg.sampleRate > 0 && this.random() < this.cfg.sampleRate) {
      this.enqueue(async () => {
        await this.judge(question, answer);
      });
    }
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

  private async judge(question: string, answer: string): Promise<number | undefined> {
    const prompt = judgePrompt(this.cfg.rubric, question, answer);
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

  private async shadow(routeName: string, route: RouteQualityInfo, request: ChatRequest, question: string, answer: string, servedByStrong: boolean): Promise<void> {
    let served: number | undefined;
    let strong: number | undefined;
    if (servedByStrong) {
      served = strong = await this.judge(question, answer);
    } else {
      const alt = await this.deps.call('shadow', route.strong.name, { ...request, model: route.strong.name, stream: false });
      this.counts.shadowed++;
      [served, strong] = await Promise.all([this.judge(question, answer), this.judge(question, textOf(alt))]);
    }
    if (served === undefined || strong === undefined) return;
    const st = this.stats(routeName);
    st.ratio.add(served, strong);
    if (!servedByStrong) {
      st.shadowed++;
      st.weakSum += served;
      st.strongSumOnShadowed += strong;
    }
    this.maybeTighten(routeName, st);
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
    const est = st.ratio.estimate(this.cfg.confidence);
    if (!est.interval || est.interval[1] >= info.target) return;
    const upper = est.interval[1];
    const moved = this.deps.routes.tighten(routeName, `quality ratio ${est.estimate!.toFixed(3)} (upper bound ${upper.toFixed(3)} at ${this.cfg.confidence}) < target ${info.target}`, this.cfg.tightenStep);
    if (!moved) return;
    // the evidence was gathered at the old threshold: start again at the new one
    const fresh = this.stats(routeName);
    fresh.ratio = new PairedRatio();
    fresh.shadowed = 0;
    fresh.weakSum = 0;
    fresh.strongSumOnShadowed = 0;
    fresh.lastTightening = { at: Date.now(), ...moved, upper };
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
    return {
      judge: { model: this.cfg.model, sampleRate: this.cfg.sampleRate, shadowRate: this.cfg.shadowRate },
      ...this.counts,
      meanScore: this.counts.judged ? this.judgeSum / this.counts.judged : null,
      queued: this.queue.length,
      running: this.running,
      routes,
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
