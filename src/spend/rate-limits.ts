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

  /** 0 if the bucket holds `n` now, else the ms until it will (nothing taken) */
  wait(n: number, now: number): number {
    this.refill(now);
    return n <= this.level ? 0 : Math.ceil((n - this.level) / this.perMs);
  }

  /** take `n` if the bucket holds it: 0; else the ms until it will (nothing taken) */
  take(n: number, now: number): number {
    const w = this.wait(n, now);
    if (w === 0) this.level -= n;
    return w;
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

/** what one admitted request took, settled at its end (kept on the request's spend state) */
export interface RateTicket {
  readonly limits: readonly Limit[];
  /** input tokens taken at admission, and by the gateway's own calls since */
  tokensTaken: number;
  settled: boolean;
}

/** a key's limits, with the team they were looked up for */
interface KeyLimits {
  team: string | undefined;
  limits: readonly Limit[];
}

/** key ids whose limits are remembered; past this the memory starts again */
const MAX_REMEMBERED_KEYS = 10_000;

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
  private readonly byKey = new Map<string, Limit>();
  private readonly byTeam = new Map<string, Limit>();
  private readonly remembered = new Map<string, KeyLimits>();
  /** the headers' figures, reused: every caller reads them at once (codec.rateLimitHeaders) and keeps nothing */
  private readonly scratch = { requests: { limit: 0, remaining: 0, resetMs: 0 }, tokens: { limit: 0, remaining: 0, resetMs: 0 } };

  constructor(limits: readonly RateLimitConfig[], now: number = Date.now()) {
    for (const l of limits) {
      (l.scope === 'key' ? this.byKey : this.byTeam).set(l.id, {
        scope: l.scope,
        id: l.id,
        rpm: l.rpm === undefined ? undefined : new TokenBucket(l.rpm, now),
        tpm: l.tpm === undefined ? undefined : new TokenBucket(l.tpm, now),
      });
    }
  }

  get empty(): boolean {
    return this.byKey.size === 0 && this.byTeam.size === 0;
  }

  /** the limits a caller falls under (key, then team); a shared list (remembered per key id): read it, never change it */
  limitsOf(keyId: string, team: string | undefined): readonly Limit[] {
    const last = this.remembered.get(keyId);
    if (last && last.team === team) return last.limits;
    const k = this.byKey.get(keyId);
    const t = team === undefined ? undefined : this.byTeam.get(team);
    const limits: Limit[] = k && t ? [k, t] : k ? [k] : t ? [t] : [];
    if (this.remembered.size >= MAX_REMEMBERED_KEYS) this.remembered.clear();
    this.remembered.set(keyId, { team, limits });
    return limits;
  }

  /** takes one request and `tokens` input tokens from every limit, or nothing and the refusal */
  admit(limits: readonly Limit[], tokens: number, now: number): RateTicket | RateRefusal {
    let worst: RateRefusal | undefined;
    // check every limit first, then take from all: a refusal takes nothing from any of them
    for (const l of limits) {
      if (l.rpm) {
        const wait = l.rpm.wait(1, now);
        if (wait > 0) worst = pickWorse(worst, { scope: l.scope, id: l.id, kind: 'requests', limit: l.rpm.capacity, retryAfterMs: wait, tooLarge: false });
      }
      if (l.tpm && tokens > 0) {
        const tooLarge = tokens > l.tpm.capacity;
        const wait = tooLarge ? 60_000 : l.tpm.wait(tokens, now);
        if (wait > 0) worst = pickWorse(worst, { scope: l.scope, id: l.id, kind: 'tokens', limit: l.tpm.capacity, retryAfterMs: wait, tooLarge });
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

  /** the tightest limits of a caller, for the headers; a refusal's answer is its own, an admitted one's is reused (`scratch`) */
  info(limits: readonly Limit[], now: number, retryAfterMs?: number): RateLimitInfo {
    const out: RateLimitInfo = { requests: undefined, tokens: undefined, retryAfterMs };
    const scratch = retryAfterMs === undefined ? this.scratch : { requests: { limit: 0, remaining: 0, resetMs: 0 }, tokens: { limit: 0, remaining: 0, resetMs: 0 } };
    let rq = -1;
    let tk = -1;
    for (const l of limits) {
      if (l.rpm) rq = tighter(scratch.requests, rq, l.rpm, now);
      if (l.tpm) tk = tighter(scratch.tokens, tk, l.tpm, now);
    }
    if (rq >= 0) out.requests = scratch.requests;
    if (tk >= 0) out.tokens = scratch.tokens;
    return out;
  }
}

const pickWorse = (a: RateRefusal | undefined, b: RateRefusal): RateRefusal => (!a || b.retryAfterMs > a.retryAfterMs ? b : a);

/** puts `b`'s state in `into` when its share left is below `share` (the tightest so far; -1: none yet); returns the tightest share */
function tighter(into: LimitState, share: number, b: TokenBucket, now: number): number {
  const remaining = b.remaining(now);
  const s = remaining / b.capacity;
  if (share >= 0 && s >= share) return share;
  into.limit = b.capacity;
  into.remaining = remaining;
  into.resetMs = b.resetMs(now);
  return s;
}
