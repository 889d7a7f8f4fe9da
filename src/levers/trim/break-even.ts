// Whether a trim pays (pure), and the memory it needs: which prefixes the provider probably holds.
//
// A provider caches prefixes (OpenAI: automatically, from 1024 tokens; Anthropic: up to each
// cache_control breakpoint). Tollgate does not see the provider's cache, so it estimates it: every
// prefix it sent upstream on a route is remembered (its hash and when, never its text) and counts
// as cached for the cache's TTL. A request's cached part is its longest remembered prefix.
//
// Costs of a request with T input tokens of which C are cached: C × read + (T − C) × w, where w is
// the cache-write price when the provider writes explicitly (Anthropic's 1.25× / 2×) and the input
// price otherwise (OpenAI writes for free). Trimming saves (T_u − T_t) × w and costs
// (C_u − C_t) × (w − read): the cached prefix it breaks is read at the discount no more and written
// again; plus the summary call. It trims when the difference pays.

export interface CachePrices {
  /** USD per input token, base price */
  input: number;
  cacheRead: number;
  /** what an uncached token costs when the provider writes it to its cache */
  write: number;
}

export interface Side {
  tokens: number;
  cachedTokens: number;
}

export interface BreakEven {
  tokensRemoved: number;
  /** what the removed tokens cost (at the write price when the provider writes, else the input price) */
  grossUsd: number;
  /** cached prefix the trim breaks: the read discount lost and the write again */
  lostCacheUsd: number;
  summaryUsd: number;
  netUsd: number;
}

export function breakEven(untrimmed: Side, trimmed: Side, p: CachePrices, summaryUsd: number): BreakEven {
  const tokensRemoved = untrimmed.tokens - trimmed.tokens;
  const grossUsd = tokensRemoved * p.write;
  const lostCacheUsd = (untrimmed.cachedTokens - trimmed.cachedTokens) * (p.write - p.cacheRead);
  return { tokensRemoved, grossUsd, lostCacheUsd, summaryUsd, netUsd: grossUsd - lostCacheUsd - summaryUsd };
}

/**
 * Route and prefix hash → last time sent, one insertion-ordered map for every route (the oldest
 * forgotten first), so the memory is bounded however many routes and messages there are.
 */
export class PrefixMemory {
  private readonly seen = new Map<string, number>();
  constructor(private readonly maxEntries: number) {}

  private static key(route: string, hash: string): string {
    return `${route}\u0000${hash}`;
  }

  /** tokens of the longest prefix seen within ttlMs that a provider would cache (≥ minTokens), else 0 */
  cachedTokens(route: string, prefixes: readonly { hash: string; tokens: number }[], ttlMs: number, minTokens: number, now: number): number {
    if (this.seen.size === 0) return 0;
    for (let i = prefixes.length - 1; i >= 0; i--) {
      const p = prefixes[i]!;
      if (p.tokens < minTokens) return 0;
      const at = this.seen.get(PrefixMemory.key(route, p.hash));
      if (at !== undefined && now - at <= ttlMs) return p.tokens;
    }
    return 0;
  }

  remember(route: string, prefixes: readonly { hash: string; tokens: number }[], now: number): void {
    // a request longer than the memory keeps its longest prefixes (the ones worth matching)
    for (const p of prefixes.length > this.maxEntries ? prefixes.slice(-this.maxEntries) : prefixes) {
      const k = PrefixMemory.key(route, p.hash);
      this.seen.delete(k);
      this.seen.set(k, now);
    }
    while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value as string);
  }

  has(route: string, hash: string, ttlMs: number, now: number): boolean {
    const at = this.seen.get(PrefixMemory.key(route, hash));
    return at !== undefined && now - at <= ttlMs;
  }

  /** remember one identity (a cut point) without tokens */
  mark(route: string, hash: string, now: number): void {
    this.remember(route, [{ hash, tokens: 0 }], now);
  }

  get size(): number {
    return this.seen.size;
  }
}
