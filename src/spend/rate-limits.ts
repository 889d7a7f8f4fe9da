// Requests and tokens per minute per key and team: one token bucket per limit, holding a minute's
// worth and refilling continuously (rpm / 60 s). Input tokens are taken before the call and the
// difference to the real tokens (input + output) settled after, so the bucket can go into debt and
// the next caller waits it out. Buckets exist only for the configured limits: memory is bounded by
// the config. In memory only: a restart refills every bucket, which a per-minute limit can afford.

import type { RateLimitConfig } from './config.js';

export class TokenBucket {
  private level: number;
  private last: number;
  readonly perMs: number;

  constructor(
    readonly capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.last = now;
    this.perMs = capacity / 60_000;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.level = Math.min(this.capacity, this.level + (now - this.last) * this.perMs);
      this.last = now;
    }
  }

  /** take `n` if the bucket holds it: 0; else the ms until it will (nothing taken) */
  take(n: number, now: number): number {
    this.refill(now);
    if (n <= this.level) {
      this.level -= n;
      return 0;
    }
    return Math.ceil((n - this.level) / this.perMs);
  }

  /** the real amount differs from what was taken: settle the difference (negative gives back) */
  adjust(delta: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level - delta);
  }

  remaining(now: number): number {
    this.refill(now);
    return Math.max(0, Math.floor(this.level));
  }

  /** ms until the bucket is full again */
  resetMs(now: number): number {
    this.refill(now);
    return Math.ceil((this.capacity - this.level) / this.perMs);
  }
}

/** one limit's state in an answer's headers */
export interface LimitState {
  limit: number;
  remaining: number;
  /** ms until the bucket is full again */
  resetMs: number;
}

/** what the rate-limit headers of one answer say: the tightest configured limit of each kind */
export interface RateLimitInfo {
  requests?: LimitState;
  tokens?: LimitState;
  /** set on a refusal: ms until the request would pass */
  retryAfterMs?: number;
}

interface Limit {
  scope: 'key' | 'team';
  id: string;
  rpm?: TokenBucket;
  tpm?: TokenBucket;
}

/** what one admitted request took, settled at its end */
export interface RateTicket {
  readonly limits: readonly Limit[];
  readonly tokensTaken: number;
  settled: boolean;
}

export interface RateRefusal {
  scope: 'key' | 'team';
  id: string;
  kind: 'requests' | 'tokens';
  limit: number;
  retryAfterMs: number;
  /** the request alone is larger than the bucket: no wait will let it through */
  tooLarge: boolean;
}

export class RateLimiter {
  private readonly byScope = new Map<string, Limit>();

  constructor(limits: readonly RateLimitConfig[], now: number = Date.now()) {
    for (const l of limits) {
      this.byScope.set(`${l.scope}\u0000${l.id}`, {
        scope: l.scope,
        id: l.id,
        rpm: l.rpm === undefined ? undefined : new TokenBucket(l.rpm, now),
        tpm: l.tpm === undefined ? undefined : new TokenBucket(l.tpm, now),
      });
    }
  }

  get empty(): boolean {
    return this.byScope.size === 0;
  }

  /** the limits a caller falls under (key, then team) */
  limitsOf(keyId: string, team: string | undefined): Limit[] {
    const out: Limit[] = [];
    const k = this.byScope.get(`key\u0000${keyId}`);
    if (k) out.push(k);
    if (team !== undefined) {
      const t = this.byScope.get(`team\u0000${team}`);
      if (t) out.push(t);
    }
    return out;
  }

  /** takes one request and `tokens` input tokens from every limit, or nothing and the refusal */
  admit(limits: readonly Limit[], tokens: number, now: number): RateTicket | RateRefusal {
    let worst: RateRefusal | undefined;
    for (const l of limits) {
      if (l.rpm) {
        const wait = l.rpm.take(1, now);
        if (wait > 0) worst = pickWorse(worst, { scope: l.scope, id: l.id, kind: 'requests', limit: l.rpm.capacity, retryAfterMs: wait, tooLarge: false });
        else l.rpm.adjust(-1, now); // only a trial: taken for real below, once every limit passes
      }
      if (l.tpm && tokens > 0) {
        const tooLarge = tokens > l.tpm.capacity;
        const wait = tooLarge ? 60_000 : l.tpm.take(tokens, now);
        if (wait > 0) worst = pickWorse(worst, { scope: l.scope, id: l.id, kind: 'tokens', limit: l.tpm.capacity, retryAfterMs: wait, tooLarge });
        else l.tpm.adjust(-tokens, now);
      }
    }
    if (worst) return worst;
    for (const l of limits) {
      l.rpm?.take(1, now);
      if (l.tpm && tokens > 0) l.tpm.take(tokens, now);
    }
    return { limits, tokensTaken: tokens, settled: false };
  }

  /** the request used `tokens` in all (0 when it never reached an upstream) */
  settle(ticket: RateTicket, tokens: number, now: number): void {
    if (ticket.settled) return;
    ticket.settled = true;
    for (const l of ticket.limits) l.tpm?.adjust(tokens - ticket.tokensTaken, now);
  }

  /** the tightest limits of a caller, for the headers */
  info(limits: readonly Limit[], now: number, retryAfterMs?: number): RateLimitInfo {
    let requests: LimitState | undefined;
    let tokens: LimitState | undefined;
    for (const l of limits) {
      if (l.rpm) requests = tighter(requests, { limit: l.rpm.capacity, remaining: l.rpm.remaining(now), resetMs: l.rpm.resetMs(now) });
      if (l.tpm) tokens = tighter(tokens, { limit: l.tpm.capacity, remaining: l.tpm.remaining(now), resetMs: l.tpm.resetMs(now) });
    }
    return { requests, tokens, retryAfterMs };
  }
}

const pickWorse = (a: RateRefusal | undefined, b: RateRefusal): RateRefusal => (!a || b.retryAfterMs > a.retryAfterMs ? b : a);
const tighter = (a: LimitState | undefined, b: LimitState): LimitState => (!a || b.remaining / b.limit < a.remaining / a.limit ? b : a);
