// Arithmetic on canonical Usage. Each vendor's usage JSON is mapped to it in the vendor's folder
// (src/providers/<vendor>/usage.ts), where that vendor's way of counting is written down.

import type { Usage } from './canonical.js';

/** A token count from untrusted JSON: a finite positive number, else 0. */
export function tokenCount(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

/** Merge a partial usage update into a running total (later values win, field by field). */
export function mergeUsage(base: Usage, update: Partial<Usage>): Usage {
  return { ...base, ...Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined)) } as Usage;
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    input: a.input + b.input,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite5m: a.cacheWrite5m + b.cacheWrite5m,
    cacheWrite1h: a.cacheWrite1h + b.cacheWrite1h,
    output: a.output + b.output,
    reasoning: a.reasoning + b.reasoning,
    estimated: a.estimated || b.estimated || undefined,
  };
}
