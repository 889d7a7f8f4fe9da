// Per-upstream retry budget and circuit breaker: the two things that stop retries from turning an
// upstream's bad minute into a storm. Both count in one-second buckets over a sliding window, so
// memory is fixed and every operation is O(window seconds) at worst.

/** Counts per one-second bucket over the last `windowS` seconds. */
export class SlidingCounter {
  private readonly buckets: Float64Array;
  private readonly stamps: Float64Array;

  constructor(private readonly windowS: number) {
    const n = Math.max(1, Math.ceil(windowS));
    this.buckets = new Float64Array(n);
    this.stamps = new Float64Array(n).fill(-1);
  }

  add(nowMs: number, n = 1): void {
    const sec = Math.floor(nowMs / 1000);
    const i = sec % this.buckets.length;
    if (this.stamps[i] !== sec) {
      this.stamps[i] = sec;
      this.buckets[i] = 0;
    }
    this.buckets[i]! += n;
  }

  sum(nowMs: number): number {
    const sec = Math.floor(nowMs / 1000);
    let s = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      if (this.stamps[i]! > sec - this.buckets.length) s += this.buckets[i]!;
    }
    return s;
  }

  reset(): void {
    this.stamps.fill(-1);
  }
}

export interface BudgetConfig {
  ratio: number;
  min_per_second: number;
  window_s: number;
}

/**
 * Retries allowed ≤ ratio × first attempts + min_per_second × window, over the sliding window
 * (Finagle's RetryBudget idea). With an upstream failing everything, retries / requests stays ≤ ratio
 * plus a small constant, however many requests come in.
 */
export class RetryBudget {
  private readonly requests: SlidingCounter;
  private readonly retries: SlidingCounter;
  requestsTotal = 0;
  retriesTotal = 0;
  deniedTotal = 0;

  constructor(private readonly cfg: BudgetConfig) {
    this.requests = new SlidingCounter(cfg.window_s);
    this.retries = new SlidingCounter(cfg.window_s);
  }

  recordRequest(nowMs: number): void {
    this.requests.add(nowMs);
    this.requestsTotal++;
  }

  remaining(nowMs: number): number {
    const allowed = this.cfg.ratio * this.requests.sum(nowMs) + this.cfg.min_per_second * this.cfg.window_s;
    return Math.max(0, Math.floor(allowed - this.retries.sum(nowMs)));
  }

  /**
   * Reserves one retry from the budget; false when it is spent. A reservation counts against the
   * budget at once (so concurrent requests cannot overdraw it) but is counted as a retry only when
   * it is sent (`sent`); one that never goes out (the client left during the backoff, the breaker
   * opened) is given back (`refund`).
   */
  tryAcquire(nowMs: number): boolean {
    if (this.remaining(nowMs) < 1) {
      this.deniedTotal++;
      return false;
    }
    this.retries.add(nowMs);
    return true;
  }

  sent(): void {
    this.retriesTotal++;
  }

  refund(nowMs: number): void {
    this.retries.add(nowMs, -1);
  }
}

export interface BreakerConfig {
  enabled: boolean;
  /**
   * Distinct callers whose failures it takes to open the shared breaker. One caller's failures
   * (say, a body that makes the upstream answer 500) open only that caller's own breaker.
   */
  min_failing_callers?: number;
  /** failure classes a caller may cause itself (scoped as above); default: server, stream_error */
  caller_scoped_classes?: readonly string[];
  error_rate: number;
  min_requests: number;
  window_s: number;
  open_ms: number;
  half_open_probes: number;
  close_after: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** closed → (error rate ≥ threshold with enough volume) → open → (open_ms) → half_open → probes succeed → closed. */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private openedAt = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private readonly calls: SlidingCounter;
  private readonly failures: SlidingCounter;
  opensTotal = 0;

  constructor(private readonly cfg: BreakerConfig) {
    this.calls = new SlidingCounter(cfg.window_s);
    this.failures = new SlidingCounter(cfg.window_s);
  }

  stateAt(nowMs: number): BreakerState {
    if (this.state === 'open' && nowMs - this.openedAt >= this.cfg.open_ms) {
      this.state = 'half_open';
      this.probesInFlight = 0;
      this.probeSuccesses = 0;
    }
    return this.state;
  }

  /** May a call go through now? A half-open breaker admits a bounded number of probes. */
  tryPass(nowMs: number): { ok: boolean; probe: boolean } {
    if (!this.cfg.enabled) return { ok: true, probe: false };
    const s = this.stateAt(nowMs);
    if (s === 'closed') return { ok: true, probe: false };
    if (s === 'open') return { ok: false, probe: false };
    if (this.probesInFlight >= this.cfg.half_open_probes) return { ok: false, probe: false };
    this.probesInFlight++;
    return { ok: true, probe: true };
  }

  onSuccess(nowMs: number, probe: boolean): void {
    this.calls.add(nowMs);
    if (probe && this.state === 'half_open') {
      this.probesInFlight--;
      if (++this.probeSuccesses >= this.cfg.close_after) {
        this.state = 'closed';
        this.calls.reset();
        this.failures.reset();
      }
    }
  }

  /**
   * `counts`: whether this error class says something about the upstream's health; `mayTrip`, a
   * further condition for opening (the shared breaker's distinct callers).
   */
  onFailure(nowMs: number, probe: boolean, counts: boolean, mayTrip: () => boolean = () => true): void {
    if (probe && this.state === 'half_open') {
      this.probesInFlight--;
      if (counts) this.trip(nowMs);
      return;
    }
    this.calls.add(nowMs);
    if (!counts) return;
    this.failures.add(nowMs);
    if (this.state !== 'closed' || !this.cfg.enabled) return;
    const calls = this.calls.sum(nowMs);
    if (calls >= this.cfg.min_requests && this.failures.sum(nowMs) / calls >= this.cfg.error_rate && mayTrip()) this.trip(nowMs);
  }

  /** A probe that ended without a verdict (e.g. the client went away). */
  release(probe: boolean): void {
    if (probe && this.state === 'half_open') this.probesInFlight--;
  }

  errorRate(nowMs: number): number {
    const calls = this.calls.sum(nowMs);
    return calls === 0 ? 0 : this.failures.sum(nowMs) / calls;
  }

  private trip(nowMs: number): void {
    this.state = 'open';
    this.openedAt = nowMs;
    this.opensTotal++;
  }
}

/** callers tracked per upstream; past this the least recently seen are forgotten */
const MAX_TRACKED_CALLERS = 1024;

/**
 * An upstream's breakers: a shared one that opens only on failures from several callers, and one
 * per caller, so that one tenant's failures cannot turn every tenant away. A call passes when both
 * its caller's breaker and the shared one let it.
 */
export class ScopedBreaker {
  readonly shared: CircuitBreaker;
  private readonly perCaller = new Map<string, CircuitBreaker>();
  /** when each caller last failed (ms): the shared breaker's distinct-caller count */
  private readonly failedAt = new Map<string, number>();
  private readonly minCallers: number;

  constructor(private readonly cfg: BreakerConfig) {
    this.shared = new CircuitBreaker(cfg);
    this.minCallers = Math.max(1, cfg.min_failing_callers ?? 2);
  }

  tryPass(nowMs: number, caller: string): { ok: boolean; probe: boolean; callerProbe: boolean } {
    if (!this.cfg.enabled) return { ok: true, probe: false, callerProbe: false };
    const own = this.callerBreaker(caller, true);
    const mine = own.tryPass(nowMs);
    if (!mine.ok) return { ok: false, probe: false, callerProbe: false };
    const all = this.shared.tryPass(nowMs);
    if (!all.ok) {
      own.release(mine.probe);
      return { ok: false, probe: false, callerProbe: false };
    }
    return { ok: true, probe: all.probe, callerProbe: mine.probe };
  }

  onSuccess(nowMs: number, caller: string, gate: { probe: boolean; callerProbe: boolean }): void {
    this.callerBreaker(caller).onSuccess(nowMs, gate.callerProbe);
    this.shared.onSuccess(nowMs, gate.probe);
  }

  /**
   * `callerScoped`: the failure may be the caller's own doing (an upstream 500 that a body provokes):
   * it opens the shared breaker only once `min_failing_callers` distinct callers see such failures.
   * Failures that only the upstream's health explains (overload, timeouts, refused connections)
   * open it on their own.
   */
  onFailure(nowMs: number, caller: string, gate: { probe: boolean; callerProbe: boolean }, counts: boolean, callerScoped = true): void {
    this.callerBreaker(caller).onFailure(nowMs, gate.callerProbe, counts);
    if (counts && callerScoped) {
      this.failedAt.delete(caller);
      this.failedAt.set(caller, nowMs);
      if (this.failedAt.size > MAX_TRACKED_CALLERS) this.failedAt.delete(this.failedAt.keys().next().value!);
    }
    this.shared.onFailure(nowMs, gate.probe, counts, callerScoped ? () => this.failingCallers(nowMs) >= this.minCallers : undefined);
  }

  release(caller: string, gate: { probe: boolean; callerProbe: boolean }): void {
    this.callerBreaker(caller).release(gate.callerProbe);
    this.shared.release(gate.probe);
  }

  /** the shared state (what /metrics and /admin/upstreams show) */
  stateAt(nowMs: number): BreakerState {
    return this.shared.stateAt(nowMs);
  }

  /** callers whose own breaker is open now */
  openCallers(nowMs: number): number {
    let n = 0;
    for (const b of this.perCaller.values()) if (b.stateAt(nowMs) !== 'closed') n++;
    return n;
  }

  private failingCallers(nowMs: number): number {
    const since = nowMs - this.cfg.window_s * 1000;
    let n = 0;
    for (const t of this.failedAt.values()) if (t >= since) n++;
    return n;
  }

  /** `touch`: the caller is seen now (once per request, at tryPass): it moves to the back of the LRU */
  private callerBreaker(caller: string, touch = false): CircuitBreaker {
    let b = this.perCaller.get(caller);
    if (b) {
      if (touch) {
        // least recently used first: the first key is the one to forget
        this.perCaller.delete(caller);
        this.perCaller.set(caller, b);
      }
      return b;
    }
    b = new CircuitBreaker(this.cfg);
    this.perCaller.set(caller, b);
    if (this.perCaller.size > MAX_TRACKED_CALLERS) this.perCaller.delete(this.perCaller.keys().next().value!);
    return b;
  }
}
