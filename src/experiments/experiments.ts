// Experiments at run time: which arm a request is in (sticky, from the share flag in force), the
// arms' guardrail figures (from each finished record's `variant`), and every minute a verdict per
// running experiment: roll back (a guardrail breached with confidence: the share flag goes to 0,
// with the breach as its reason), promote to the next step (every guardrail holds with confidence,
// the step has lasted long enough and has enough requests), or keep running.
//
// Quality is a guardrail where the gateway has a judge: the judge's sampled scores of each arm's
// answers (observeQuality), compared like the others, lower being worse. A variant whose answers
// are judged worse with confidence is rolled back with `guardrail quality` as the reason.
//
// The arms' figures are saved with the experiment at every evaluation pass (and at close), so a
// restart resumes them: at most one pass's worth of requests is lost on a crash.

import { GatewayError } from '../core/errors.js';
import type { Flags } from '../flags/flags.js';
import type { AppliedOverlay } from '../flags/snapshot.js';
import { parseFlagInput, type PolicyShape } from '../flags/validate.js';
import type { RequestRecord } from '../ledger/record.js';
import type { AdminRoute } from '../pipeline/stage.js';
import type { ExperimentStore } from '../stores/experiments.js';
import { inVariant } from './assign.js';
import { SHARE_FLAG_PREFIX, armLabel, experimentSchema, type Experiment } from './model.js';
import { addTo, compare, emptyMoments, mean, type ArmMoments, type Comparison } from './sequential.js';

interface Arm {
  errors: ArmMoments;
  latencyMs: ArmMoments;
  costUsd: ArmMoments;
  /** the judge's scores of the arm's answers (0..1) */
  quality: ArmMoments;
  /** requests in the current step */
  stepN: number;
}
const emptyArm = (): Arm => ({ errors: emptyMoments(), latencyMs: emptyMoments(), costUsd: emptyMoments(), quality: emptyMoments(), stepN: 0 });

export interface Guardrail {
  metric: 'error_rate' | 'latency_ms' | 'cost_per_request_usd' | 'quality';
  control: number | null;
  variant: number | null;
  /** how much worse the variant may be */
  margin: number | null;
  comparison?: Comparison;
  verdict: 'breached' | 'holds' | 'undecided';
}

export interface ArmAssignment extends AppliedOverlay {
  /** the record's `variant`: '<experiment>:control' or '<experiment>:variant' */
  variant: string;
}

export interface ExperimentsOptions {
  store: ExperimentStore;
  flags: Flags;
  shape: PolicyShape;
  now?: () => number;
  intervalSeconds?: number;
  /** the gateway has a judge: quality is a guardrail (scores arrive through observeQuality) */
  judged?: boolean;
}

export class Experiments {
  private experiments = new Map<string, Experiment>();
  private readonly arms = new Map<string, { control: Arm; variant: Arm }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  private constructor(private readonly opts: ExperimentsOptions) {
    this.now = opts.now ?? Date.now;
  }

  static async open(opts: ExperimentsOptions): Promise<Experiments> {
    const x = new Experiments(opts);
    for (const e of await opts.store.list()) {
      x.experiments.set(e.def.name, e);
      if (e.figures) x.arms.set(e.def.name, { control: { ...emptyArm(), ...e.figures.control }, variant: { ...emptyArm(), ...e.figures.variant } });
    }
    const every = (opts.intervalSeconds ?? 60) * 1000;
    x.timer = setInterval(() => void x.evaluate().catch(() => undefined), every);
    x.timer.unref();
    return x;
  }

  private shareOf(name: string): number {
    const v = this.opts.flags.snapshot().get(SHARE_FLAG_PREFIX + name);
    return typeof v === 'number' ? v : 0;
  }

  /** The arm of a request to `model` (route or model name); undefined when no experiment runs on it. */
  assign(model: string, ids: { session?: string; user?: string; key?: string }): ArmAssignment | undefined {
    for (const e of this.experiments.values()) {
      if (e.state === 'stopped' || e.state === 'rolled_back' || e.def.target !== model) continue;
      const sticky = e.def.stickyBy === 'key' ? ids.key : e.def.stickyBy === 'user' ? (ids.user ?? ids.key) : (ids.session ?? ids.user ?? ids.key);
      if (sticky === undefined) continue;
      const share = this.shareOf(e.def.name);
      if (inVariant(e.def.name, sticky, share)) return { overlay: e.def.variant, flags: [SHARE_FLAG_PREFIX + e.def.name], variant: armLabel(e.def.name, 'variant') };
      if (e.state === 'completed') continue; // the variant has all the traffic: nobody left in control
      return { overlay: {}, flags: [], variant: armLabel(e.def.name, 'control') };
    }
    return undefined;
  }

  private armOf(r: Pick<RequestRecord, 'variant'>): Arm | undefined {
    const v = r.variant;
    if (!v) return undefined;
    const i = v.lastIndexOf(':');
    const name = v.slice(0, i);
    const arm = v.slice(i + 1);
    if ((arm !== 'control' && arm !== 'variant') || !this.experiments.has(name)) return undefined;
    let a = this.arms.get(name);
    if (!a) this.arms.set(name, (a = { control: emptyArm(), variant: emptyArm() }));
    return a[arm];
  }

  /** the judge scored a request's answer (0..1): its arm's quality figures */
  observeQuality(r: Pick<RequestRecord, 'variant'>, score: number): void {
    const s = this.armOf(r);
    if (s && Number.isFinite(score)) addTo(s.quality, score);
  }

  /** a finished request: its arm's figures */
  observe(r: RequestRecord): void {
    const s = this.armOf(r);
    if (!s) return;
    addTo(s.errors, r.status === 'ok' ? 0 : 1);
    addTo(s.latencyMs, Math.max(0, r.latencyMs));
    addTo(s.costUsd, Math.max(0, r.costUsd));
    s.stepN++;
  }

  guardrails(e: Experiment): Guardrail[] {
    const a = this.arms.get(e.def.name) ?? { control: emptyArm(), variant: emptyArm() };
    const g = e.def.guardrails;
    const one = (metric: Guardrail['metric'], pick: (x: Arm) => ArmMoments, margin: (controlMean: number) => number, lowerIsWorse = false): Guardrail => {
      const c = mean(pick(a.control));
      const v = mean(pick(a.variant));
      if (c === null || v === null) return { metric, control: c, variant: v, margin: null, verdict: 'undecided' };
      const m = margin(c);
      // tuned to find a difference the size of the margin (a floor keeps it positive at a zero mean)
      const tau = Math.max(m, 1e-9);
      // the comparison's difference is always "how much worse the variant is": for quality, the drop
      const comparison = lowerIsWorse ? compare(pick(a.variant), pick(a.control), e.def.alpha, tau) : compare(pick(a.control), pick(a.variant), e.def.alpha, tau);
      if (!comparison) return { metric, control: c, variant: v, margin: m, verdict: 'undecided' };
      // breached: worse with confidence and by more than the margin; holds: worse by less than the margin, with confidence
      const verdict = comparison.ci[0] > 0 && comparison.diff > m ? 'breached' : comparison.ci[1] < m ? 'holds' : 'undecided';
      return { metric, control: c, variant: v, margin: m, comparison, verdict };
    };
    return [
      one('error_rate', (x) => x.errors, () => g.errorRateIncrease),
      one('latency_ms', (x) => x.latencyMs, (c) => g.latencyIncrease * c),
      one('cost_per_request_usd', (x) => x.costUsd, (c) => g.costIncrease * c),
      ...(this.opts.judged ? [one('quality', (x) => x.quality, () => g.qualityDecrease, true)] : []),
    ];
  }

  /** one verdict per running experiment; passes never overlap */
  evaluate(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** the arms' figures into the experiment, for the store */
  private snapshot(e: Experiment): void {
    const a = this.arms.get(e.def.name);
    if (a) e.figures = { at: this.now(), control: structuredClone(a.control), variant: structuredClone(a.variant) };
  }

  private async pass(): Promise<void> {
    const now = this.now();
    for (const e of this.experiments.values()) {
      if (e.state !== 'running') continue;
      // saved whatever the verdict, so a restart resumes from this pass's figures
      this.snapshot(e);
      const rails = this.guardrails(e);
      const breach = rails.find((r) => r.verdict === 'breached');
      if (breach) {
        const c = breach.comparison!;
        await this.end(e, 'rolled_back', `guardrail ${breach.metric}: variant ${fmt(breach.variant)} vs control ${fmt(breach.control)}, difference ${fmt(c.diff)} (${pct(1 - e.def.alpha)} interval ${fmt(c.ci[0])}..${fmt(c.ci[1])}) over the allowed ${fmt(breach.margin)}`, 'experiment:auto');
        continue;
      }
      const a = this.arms.get(e.def.name);
      const longEnough = now - e.stepStartedAt >= e.def.minStepMinutes * 60_000;
      const enough = !!a && a.control.stepN >= e.def.minSamples && a.variant.stepN >= e.def.minSamples;
      if (!longEnough || !enough || !rails.every((r) => r.verdict === 'holds')) {
        await this.opts.store.put(e);
        continue;
      }
      const next = e.step + 1;
      const share = e.def.ramp[next]!;
      e.step = next;
      e.stepStartedAt = now;
      if (share === 100) {
        e.state = 'completed';
        e.endedAt = now;
        e.reason = 'every guardrail held at each step';
      }
      await this.opts.flags.set({ name: SHARE_FLAG_PREFIX + e.def.name, value: share, reason: `experiment ${e.def.name}: guardrails hold (${rails.map((r) => `${r.metric} ${fmt(r.comparison!.diff)} < ${fmt(r.margin)}`).join(', ')}); step ${next + 1} of ${e.def.ramp.length}` }, 'experiment:auto');
      a!.control.stepN = 0;
      a!.variant.stepN = 0;
      this.snapshot(e);
      await this.opts.store.put(e);
    }
  }

  private async end(e: Experiment, state: 'rolled_back' | 'stopped', reason: string, by: string): Promise<void> {
    e.state = state;
    e.endedAt = this.now();
    e.reason = reason;
    this.snapshot(e);
    await this.opts.flags.set({ name: SHARE_FLAG_PREFIX + e.def.name, value: 0, reason: `experiment ${e.def.name} ${state === 'rolled_back' ? 'rolled back' : 'stopped'}: ${reason}` }, by);
    await this.opts.store.put(e);
  }

  async start(body: unknown, by: string): Promise<Experiment> {
    const r = experimentSchema.safeParse(body);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new GatewayError('invalid_request', `${i.path.join('.') || 'experiment'}: ${i.message}`, { param: i.path.join('.') || undefined });
    }
    const def = r.data;
    const old = this.experiments.get(def.name);
    if (old && old.state === 'running') throw new GatewayError('invalid_request', `experiment '${def.name}' is running; stop it first`, { param: 'name' });
    for (const other of this.experiments.values()) {
      if (other.state === 'running' && other.def.target === def.target) throw new GatewayError('invalid_request', `experiment '${other.def.name}' already runs on '${def.target}'`, { param: 'target' });
    }
    // the variant is checked like a flag's overlay: a tier the route lacks, a model it never sends to
    parseFlagInput({ name: 'x', value: true, target: def.target, overlay: def.variant, reason: 'check' }, this.opts.shape);
    const now = this.now();
    const e: Experiment = { def, state: 'running', startedAt: now, step: 0, stepStartedAt: now, startedBy: by };
    // a restarted experiment of the same name starts from zero
    this.arms.delete(def.name);
    this.experiments.set(def.name, e);
    await this.opts.store.put(e);
    await this.opts.flags.set({ name: SHARE_FLAG_PREFIX + def.name, value: def.ramp[0]!, reason: `experiment ${def.name} started on ${def.target}: step 1 of ${def.ramp.length}` }, by);
    return e;
  }

  status(e: Experiment): Record<string, unknown> {
    const a = this.arms.get(e.def.name);
    const count = (x?: Arm) => (x ? { requests: x.errors.n, errors: x.errors.sum, meanLatencyMs: mean(x.latencyMs), costPerRequestUsd: mean(x.costUsd), judged: x.quality.n, meanQuality: mean(x.quality), requestsThisStep: x.stepN } : { requests: 0 });
    const { figures: _saved, ...shown } = e;
    return { ...shown, sharePercent: this.shareOf(e.def.name), arms: { control: count(a?.control), variant: count(a?.variant) }, guardrails: this.guardrails(e) };
  }

  adminRoutes(): AdminRoute[] {
    const who = (admin: { caller: { keyId: string } }): string => `key:${admin.caller.keyId}`;
    const named = (q: URLSearchParams): Experiment => {
      const name = q.get('name');
      if (!name) throw new GatewayError('invalid_request', 'name the experiment (?name=)', { param: 'name' });
      const e = this.experiments.get(name);
      if (!e) throw new GatewayError('not_found', `No experiment '${name}'`);
      return e;
    };
    return [
      { method: 'GET', path: '/admin/experiments', handler: async () => ({ status: 200, body: { experiments: [...this.experiments.values()].map((e) => this.status(e)) } }) },
      { method: 'POST', path: '/admin/experiments', handler: async (body, _q, admin) => ({ status: 200, body: this.status(await this.start(body, who(admin))) }) },
      { method: 'GET', path: '/admin/experiments/status', handler: async (_b, q) => ({ status: 200, body: this.status(named(q)) }) },
      {
        method: 'POST',
        path: '/admin/experiments/stop',
        handler: async (body, q, admin) => {
          const e = named(q);
          const reason = q.get('reason') ?? ((body as { reason?: unknown } | undefined)?.reason as string | undefined);
          if (!reason) throw new GatewayError('invalid_request', 'say why (reason): the stop is audited', { param: 'reason' });
          if (e.state === 'running') await this.end(e, 'stopped', reason, who(admin));
          return { status: 200, body: this.status(e) };
        },
      },
      {
        method: 'POST',
        path: '/admin/experiments/evaluate',
        handler: async () => {
          await this.evaluate();
          return { status: 200, body: { experiments: [...this.experiments.values()].map((e) => this.status(e)) } };
        },
      },
    ];
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    for (const e of this.experiments.values()) {
      if (e.state !== 'running' || !this.arms.has(e.def.name)) continue;
      this.snapshot(e);
      await this.opts.store.put(e);
    }
    await this.opts.store.close();
  }
}

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : Number(v.toPrecision(3)).toString());
const pct = (x: number): string => `${Math.round(x * 100)}%`;
