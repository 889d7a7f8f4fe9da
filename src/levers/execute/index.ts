// The executor stage: calls the upstream for ctx.target and, when that fails before any byte reached
// the client, retries (exponential backoff with full jitter, honouring retry-after and
// x-should-retry, within a per-upstream retry budget) and then moves through ctx.fallbacks, skipping
// upstreams whose circuit breaker is open. Quota, auth and client errors are never retried. Every
// attempt is already in ctx.attempts (the terminal pushes it, with its cost); this stage adds a
// trail entry per retry and fallback, and throws AllAttemptsFailedError with every error at the end.

import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import { AllAttemptsFailedError, GatewayError, UpstreamError } from '../../core/errors.js';
import type { ChatResult, GatewayContext, Next, Stage, Target } from '../../pipeline/stage.js';
import type { RetryConfig } from '../router/config.js';
import { RetryBudget, ScopedBreaker, type BreakerState } from './budget.js';
import type { StreamChunk } from '../../providers/contract.js';

export interface ExecuteDeps {
  /** injectable clock, sleep and randomness (tests); defaults: Date.now, setTimeout, Math.random */
  now?(): number;
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
  random?(): number;
  /** when given, per-upstream budget and breaker gauges are registered here (for GET /metrics) */
  metricsRegistry?: Registry;
}

export interface UpstreamStats {
  /** first attempts sent (the retry budget's base: requests the breaker turned away are not traffic) */
  requests: number;
  /** requests turned away by the open circuit breaker, without an upstream call */
  shortCircuited: number;
  retries: number;
  /** retries the budget refused */
  retriesDenied: number;
  budgetRemaining: number;
  breaker: BreakerState;
  breakerOpens: number;
  /** callers whose own breaker for this upstream is open (their failures open only theirs) */
  callersOpen: number;
  errorRate: number;
}

interface Upstream {
  budget: RetryBudget;
  breaker: ScopedBreaker;
  shortCircuited: number;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason ?? new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const keyOf = (t: Target): string => `${t.provider}/${t.model}`;

export class ExecuteStage implements Stage {
  readonly name = 'execute';
  private readonly upstreams = new Map<string, Upstream>();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly neverRetry: ReadonlySet<string>;
  private readonly breakerFailures: ReadonlySet<string>;
  private readonly callerScoped: ReadonlySet<string>;
  private readonly defaultFallbackOn: ReadonlySet<string>;

  constructor(
    private readonly cfg: RetryConfig,
    deps: ExecuteDeps = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? defaultSleep;
    this.random = deps.random ?? Math.random;
    this.neverRetry = new Set(cfg.never_retry);
    this.breakerFailures = new Set(cfg.breaker.failure_classes);
    this.callerScoped = new Set(cfg.breaker.caller_scoped_classes ?? ['server', 'stream_error']);
    this.defaultFallbackOn = new Set(cfg.fallback_on);
    if (deps.metricsRegistry) this.registerMetrics(deps.metricsRegistry);
  }

  async handle(ctx: GatewayContext, next: Next): Promise<ChatResult> {
    const first = ctx.target;
    if (!first) return next(); // nothing resolved a target: let the terminal raise its own error
    const targets: Target[] = [first];
    const seen = new Set([keyOf(first)]);
    for (const f of ctx.fallbacks ?? []) if (!seen.has(keyOf(f))) (seen.add(keyOf(f)), targets.push(f));
    const fallbackOn = ctx.fallbackOn ?? this.defaultFallbackOn;
    const errors: UpstreamError[] = [];
    // breakers are scoped by caller: one tenant's failures cannot open them for the others
    const caller = ctx.caller.team ?? ctx.caller.keyId;

    for (let ti = 0; ti < targets.length; ti++) {
      const target = targets[ti]!;
      const up = this.upstream(target);
      const lastErr = errors.at(-1);
      // out of money at one provider: its other models are out of money too
      if (lastErr?.errorClass === 'quota' && lastErr.provider === target.provider) continue;
      if (ti > 0) {
        const prev = errors.at(-1);
        const why = prev ? `${prev.errorClass}${prev.status ? ` ${prev.status}` : ''} on ${prev.provider}/${prev.model}` : 'previous target unavailable';
        ctx.trail.push({ stage: 'execute', decision: 'fallback', reason: `fallback to ${keyOf(target)} after ${why}`, data: { to: keyOf(target), errorClass: prev?.errorClass } });
        if (keyOf(target) !== keyOf(first)) ctx.rewritten = true;
      }
      for (let attempt = 0; ; attempt++) {
        const gate = up.breaker.tryPass(this.now(), caller);
        // only requests that reach the upstream earn retry budget: counting the ones an open breaker
        // turned away would let retries exceed their share of real traffic once it closes
        if (gate.ok && attempt === 0) up.budget.recordRequest(this.now());
        if (!gate.ok) {
          if (attempt === 0) up.shortCircuited++;
          else up.budget.refund(this.now()); // the reserved retry never went out
          const err = new UpstreamError({ provider: target.provider, model: target.model, status: null, message: `circuit open for ${keyOf(target)}`, errorClass: 'circuit_open', retryable: true });
          errors.push(err);
          ctx.trail.push({ stage: 'execute', decision: 'circuit_open', reason: `skipped ${keyOf(target)}: circuit breaker open`, data: { upstream: keyOf(target) } });
          break;
        }
        if (attempt > 0) up.budget.sent();
        ctx.target = target;
        let result: ChatResult;
        try {
          result = await next();
        } catch (err) {
          if (!(err instanceof UpstreamError)) {
            up.breaker.release(caller, gate);
            throw err;
          }
          up.breaker.onFailure(this.now(), caller, gate, this.breakerFailures.has(err.errorClass), this.mayBeCallersOwn(err));
          errors.push(err);
          const delay = this.retryDelay(err, attempt);
          if (delay.retry === false) {
            if (delay.why) ctx.trail.push({ stage: 'execute', decision: 'no_retry', reason: `${keyOf(target)}: ${delay.why}`, data: { errorClass: err.errorClass, status: err.status } });
            break;
          }
          if (!up.budget.tryAcquire(this.now())) {
            ctx.trail.push({ stage: 'execute', decision: 'retry_budget_exhausted', reason: `${keyOf(target)}: retry budget spent (${this.cfg.budget.ratio * 100}% of requests over ${this.cfg.budget.window_s}s)`, data: { errorClass: err.errorClass } });
            break;
          }
          ctx.trail.push({ stage: 'execute', decision: 'retry', reason: `${err.errorClass}${err.status ? ` ${err.status}` : ''} from ${keyOf(target)}; retry ${attempt + 1} in ${Math.round(delay.ms)} ms (${delay.why})`, data: { attempt: attempt + 1, delayMs: Math.round(delay.ms), errorClass: err.errorClass, status: err.status } });
          try {
            await this.sleep(delay.ms, ctx.signal);
          } catch {
            up.budget.refund(this.now()); // the client went away while we waited: no retry was sent
            throw new AllAttemptsFailedError(errors);
          }
          continue;
        }
        if (ti > 0) ctx.trail.push({ stage: 'execute', decision: 'fallback_ok', reason: `answered by fallback ${keyOf(target)}`, data: { upstream: keyOf(target) } });
        if (result.kind === 'stream') return this.judgedAtEnd(result, up, caller, gate, ctx);
        up.breaker.onSuccess(this.now(), caller, gate);
        return result;
      }
      const last = errors.at(-1)!;
      if (!fallbackOn.has(last.errorClass)) break;
      if (ctx.signal.aborted) break;
    }
    // one attempt, no retry, no fallback: keep the provider's own error as it was
    if (errors.length === 1 && errors[0]!.errorClass !== 'circuit_open') throw errors[0]!;
    // nothing was tried: every candidate's breaker is open, which is the gateway's 503, not a 502
    if (errors.every((e) => e.errorClass === 'circuit_open')) {
      throw new GatewayError('circuit_open', `The upstream is failing and its circuit breaker is open: ${errors.map((e) => `${e.provider}/${e.model}`).join(', ')}. Retry later.`);
    }
    throw new AllAttemptsFailedError(errors);
  }

  /**
   * A stream's verdict comes at its end, after next() returned: a stream the upstream cut or broke
   * counts as a failure of that upstream, one the client left says nothing about it.
   */
  private judgedAtEnd(result: ChatResult & { kind: 'stream' }, up: Upstream, caller: string, gate: { probe: boolean; callerProbe: boolean }, ctx: GatewayContext): ChatResult {
    const stage = this;
    const source = result.chunks;
    async function* judged(): AsyncGenerator<StreamChunk> {
      let finished = false;
      let failed = false;
      try {
        for await (const chunk of source) {
          for (const ev of chunk.events) {
            if (ev.type === 'finish') finished = true;
            else if (ev.type === 'error') failed = true;
          }
          yield chunk;
        }
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        const t = stage.now();
        if (finished && !failed) up.breaker.onSuccess(t, caller, gate);
        else if (failed) up.breaker.onFailure(t, caller, gate, stage.breakerFailures.has('stream_error'), stage.callerScoped.has('stream_error'));
        else if (!(ctx.clientAbort ?? ctx.signal).aborted) up.breaker.onFailure(t, caller, gate, stage.breakerFailures.has('stream_cut'), stage.callerScoped.has('stream_cut'));
        else up.breaker.release(caller, gate);
      }
    }
    return { ...result, chunks: judged() };
  }

  /**
   * A failure the caller's own request may have provoked (an upstream 500 on a body it chokes on):
   * it opens the breaker for others only when several callers see it. A 502/503/504 speaks of the
   * upstream's health, whoever sent the request.
   */
  private mayBeCallersOwn(err: UpstreamError): boolean {
    if (!this.callerScoped.has(err.errorClass)) return false;
    return err.status !== 502 && err.status !== 503 && err.status !== 504;
  }

  /** Whether and when to retry the same upstream. */
  private retryDelay(err: UpstreamError, attempt: number): { retry: false; why?: string } | { retry: true; ms: number; why: string } {
    if (this.neverRetry.has(err.errorClass)) return { retry: false, why: `${err.errorClass} errors are never retried` };
    if (err.shouldRetry === false) return { retry: false, why: 'x-should-retry: false' };
    if (!err.retryable && err.shouldRetry !== true) return { retry: false, why: `${err.errorClass} is not retryable` };
    if (attempt >= this.cfg.max_retries) return { retry: false, why: `max_retries ${this.cfg.max_retries} reached` };
    if (err.retryAfterMs !== undefined) {
      if (err.retryAfterMs > this.cfg.max_retry_after_ms) return { retry: false, why: `retry-after ${err.retryAfterMs} ms exceeds max_retry_after_ms ${this.cfg.max_retry_after_ms}` };
      return { retry: true, ms: err.retryAfterMs, why: 'retry-after' };
    }
    const cap = Math.min(this.cfg.max_delay_ms, this.cfg.base_delay_ms * 2 ** attempt);
    return { retry: true, ms: this.random() * cap, why: 'full-jitter backoff' };
  }

  private upstream(t: Target): Upstream {
    const k = keyOf(t);
    let u = this.upstreams.get(k);
    if (!u) this.upstreams.set(k, (u = { budget: new RetryBudget(this.cfg.budget), breaker: new ScopedBreaker(this.cfg.breaker), shortCircuited: 0 }));
    return u;
  }

  /** Per upstream (`provider/model`): traffic, retries, budget and breaker, for /metrics and /admin. */
  stats(): Record<string, UpstreamStats> {
    const now = this.now();
    const out: Record<string, UpstreamStats> = {};
    for (const [k, u] of this.upstreams) {
      out[k] = {
        requests: u.budget.requestsTotal,
        shortCircuited: u.shortCircuited,
        retries: u.budget.retriesTotal,
        retriesDenied: u.budget.deniedTotal,
        budgetRemaining: u.budget.remaining(now),
        breaker: u.breaker.stateAt(now),
        breakerOpens: u.breaker.shared.opensTotal,
        callersOpen: u.breaker.openCallers(now),
        errorRate: u.breaker.shared.errorRate(now),
      };
    }
    return out;
  }

  get adminRoutes() {
    return [
      {
        method: 'GET' as const,
        path: '/admin/upstreams',
        // every tenant's traffic shares these upstreams and their breakers: admins of all tenants only
        scope: 'global' as const,
        handler: async () => ({ status: 200, body: this.stats() }),
      },
    ];
  }

  private registerMetrics(registry: Registry): void {
    // label: upstream = provider/model from config (bounded cardinality); totals since start are
    // counters (Prometheus: `_total`), values that go down are gauges
    const stage = this;
    const counter = (name: string, help: string, pick: (s: UpstreamStats) => number): void => {
      new Counter({
        name,
        help,
        labelNames: ['upstream'],
        registers: [registry],
        collect() {
          this.reset();
          for (const [k, s] of Object.entries(stage.stats())) this.inc({ upstream: k }, pick(s));
        },
      });
    };
    const gauge = (name: string, help: string, pick: (s: UpstreamStats) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['upstream'],
        registers: [registry],
        collect() {
          for (const [k, s] of Object.entries(stage.stats())) this.set({ upstream: k }, pick(s));
        },
      });
    };
    counter('tollgate_upstream_requests_total', 'First attempts sent to the upstream', (s) => s.requests);
    counter('tollgate_upstream_short_circuited_total', 'Requests the open circuit breaker turned away without an upstream call', (s) => s.shortCircuited);
    counter('tollgate_upstream_retries_total', 'Retries sent to the upstream', (s) => s.retries);
    counter('tollgate_upstream_retries_denied_total', 'Retries refused by the retry budget', (s) => s.retriesDenied);
    gauge('tollgate_retry_budget_remaining', 'Retries the budget still allows in the current window', (s) => s.budgetRemaining);
    gauge('tollgate_circuit_state', 'Circuit breaker state: 0 closed, 1 half-open, 2 open', (s) => (s.breaker === 'closed' ? 0 : s.breaker === 'half_open' ? 1 : 2));
    gauge('tollgate_upstream_error_ratio', 'Failure share over the breaker window (0..1)', (s) => s.errorRate);
  }
}

export function createExecuteStage(cfg: RetryConfig, deps: ExecuteDeps = {}): ExecuteStage {
  return new ExecuteStage(cfg, deps);
}
