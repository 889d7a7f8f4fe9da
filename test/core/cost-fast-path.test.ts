// costOf's double-precision path must give the BigInt path's figures bit for bit, wherever it is
// taken; where it is not (past 2^53 units), costOf falls back to the BigInt path.
import { describe, expect, it } from 'vitest';
import { costOf, costOfExact, costOfSafeIntegers } from '../../src/core/cost.js';
import { PriceCatalog } from '../../src/core/prices/catalog.js';
import type { ModelPrice } from '../../src/core/prices/types.js';
import type { Usage } from '../../src/core/canonical.js';
import { seededRandom } from '../../src/core/seeded-random.js';

const catalog = PriceCatalog.load([]);
const MODELS: [string, string][] = [
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4o-mini'],
  ['openai', 'o3'],
  ['anthropic', 'claude-sonnet-4-20250514'],
  ['anthropic', 'claude-3-5-haiku-20241022'],
  ['google', 'gemini-2.5-pro'],
  ['google', 'gemini-2.0-flash'],
];
const prices = MODELS.map(([p, m]) => catalog.lookup(p, m)).filter((x): x is ModelPrice => x !== undefined);

describe('costOf: the double path equals the exact path', () => {
  it('finds the catalog prices it samples', () => {
    expect(prices.length).toBeGreaterThanOrEqual(5);
  });

  it('agrees bit for bit on 50,000 random usages, batch or not, odd rates included', () => {
    const rnd = seededRandom(12);
    const int = (max: number) => Math.floor(rnd() * max);
    let fast = 0;
    const mismatches: string[] = [];
    for (let n = 0; n < 50_000; n++) {
      const base = prices[n % prices.length]!;
      // odd rates (more than 9 decimals, long fractions) and a reasoning rate now and then
      const price: ModelPrice =
        n % 7 === 0 ? { ...base, input: base.input * (1 + rnd()), output: base.output / 3, reasoning: n % 14 === 0 ? base.output * 1.7 : undefined, batchDiscount: n % 3 === 0 ? 0.5 : rnd() } : base;
      const scale = [10, 1_000, 100_000, 2_000_000, 10 ** 12][int(5)]!;
      const usage: Usage = { input: int(scale), cacheRead: int(scale), cacheWrite5m: int(scale / 10), cacheWrite1h: n % 5 === 0 ? int(scale / 10) : 0, output: int(scale / 4), reasoning: int(scale / 8) };
      if (n % 11 === 0) usage.input = 2.6; // fractional counts round the same way on both paths
      const batch = n % 2 === 0;
      const exact = costOfExact(usage, price, { batch });
      const maybe = costOfSafeIntegers(usage, price, { batch });
      const viaCostOf = costOf(usage, price, { batch });
      for (const k of Object.keys(exact) as (keyof typeof exact)[]) {
        if (maybe && !Object.is(maybe[k], exact[k])) mismatches.push(`${n} ${k}: ${maybe[k]} vs ${exact[k]}`);
        if (!Object.is(viaCostOf[k], exact[k])) mismatches.push(`${n} costOf ${k}: ${viaCostOf[k]} vs ${exact[k]}`);
      }
      if (maybe) fast++;
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    // most ordinary requests take the double path; the huge ones do not
    expect(fast).toBeGreaterThan(15_000);
    expect(fast).toBeLessThan(50_000);
  });

  it('falls back past 2^53 units: a trillion tokens still costs exactly', () => {
    const price = catalog.lookup('openai', 'gpt-4o')!;
    const usage: Usage = { input: 1e12, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 3, reasoning: 0 };
    expect(costOfSafeIntegers(usage, price)).toBeUndefined();
    expect(costOf(usage, price).totalUsd).toBe(costOfExact(usage, price).totalUsd);
    expect(costOf(usage, price).totalUsd).toBe(2_500_000.00003);
  });

  it('keeps the exact figures the header promises (no float dust)', () => {
    const price = catalog.lookup('openai', 'gpt-4o-mini')!;
    const usage: Usage = { input: 3, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 };
    expect(costOfSafeIntegers(usage, price)?.totalUsd).toBe(0.00000045);
  });
});
