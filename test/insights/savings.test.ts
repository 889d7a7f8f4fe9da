// savedByLever: the bars of one request telescope from the counterfactual to costUsd, whatever
// levers acted, and each bar is the step its lever took.
import { describe, expect, it } from 'vitest';
import { PriceCatalog } from '../../src/core/prices/catalog.js';
import { costOf } from '../../src/core/cost.js';
import type { Usage } from '../../src/core/canonical.js';
import { counterfactualCostUsd, savedByLever, withoutPromptCache, type SavingsInput } from '../../src/engine/savings.js';

const catalog = PriceCatalog.load();
const NOW = new Date('2026-11-01T00:00:00Z');
const sonnet = catalog.lookup('anthropic', 'claude-sonnet-4-0', NOW)!;
const haiku = catalog.lookup('anthropic', 'claude-3-5-haiku-latest', NOW)!;
const mini = catalog.lookup('openai', 'gpt-4o-mini', NOW)!;
const gpt4o = catalog.lookup('openai', 'gpt-4o', NOW)!;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('savedByLever', () => {
  it('the prices it uses exist', () => {
    for (const p of [sonnet, haiku, mini, gpt4o]) expect(p.input).toBeGreaterThan(0);
  });

  it('a routed, trimmed, prompt-cached request with a retry and a verifier: each bar by hand', () => {
    const usage: Usage = { input: 1000, cacheRead: 4000, cacheWrite5m: 500, cacheWrite1h: 0, output: 300, reasoning: 0 };
    const answer = costOf(usage, haiku).totalUsd;
    const s: SavingsInput = {
      usage,
      answerCostUsd: answer,
      answered: true,
      ranPrice: haiku,
      baselinePrice: sonnet,
      trimmedInputTokens: 2000,
      failedAttemptsCostUsd: 0.001,
      ownCallsCostUsd: 0.0002,
    };
    const bars = savedByLever(s);
    // untrimmed, plain: 1000 + 4000 + 500 + 2000 = 7500 input tokens, 300 output
    const base = (7500 * sonnet.input + 300 * sonnet.output) / 1e6;
    const ranUntrimmed = (7500 * haiku.input + 300 * haiku.output) / 1e6;
    const ranPlain = (5500 * haiku.input + 300 * haiku.output) / 1e6;
    expect(bars.tiering).toBeCloseTo(base - ranUntrimmed, 12);
    expect(bars.trimming).toBeCloseTo(2000 * haiku.input / 1e6, 12);
    expect(bars.prompt_caching).toBeCloseTo(ranPlain - answer, 12);
    expect(bars.retries).toBe(-0.001);
    expect(bars.own_calls).toBe(-0.0002);
    const costUsd = answer + 0.001 + 0.0002;
    expect(counterfactualCostUsd(costUsd, bars)).toBeCloseTo(base, 12);
  });

  it('a prompt-cache write that is not read costs money: a negative bar', () => {
    const usage: Usage = { input: 10, cacheRead: 0, cacheWrite5m: 5000, cacheWrite1h: 0, output: 20, reasoning: 0 };
    const answer = costOf(usage, sonnet).totalUsd;
    const bars = savedByLever({ usage, answerCostUsd: answer, answered: true, ranPrice: sonnet, baselinePrice: sonnet, failedAttemptsCostUsd: 0, ownCallsCostUsd: 0 });
    expect(bars.prompt_caching).toBeLessThan(0);
    expect(bars.tiering).toBeUndefined();
    expect(bars.prompt_caching).toBeCloseTo(-(5000 * (sonnet.cacheWrite5m! - sonnet.input)) / 1e6, 12);
  });

  it('a cache hit saves the whole counterfactual; its embedding is the negative bar', () => {
    const usage: Usage = { input: 800, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 200, reasoning: 0 };
    const exact = savedByLever({ usage, answerCostUsd: 0, answered: true, ranPrice: mini, baselinePrice: gpt4o, cache: { status: 'hit', savedCostUsd: 1 }, failedAttemptsCostUsd: 0, ownCallsCostUsd: 0 });
    expect(exact).toEqual({ exact_cache: costOf(usage, gpt4o).totalUsd });
    const semantic = savedByLever({ usage, answerCostUsd: 0, answered: true, ranPrice: mini, cache: { status: 'semantic_hit', savedCostUsd: 0.5 }, failedAttemptsCostUsd: 0, ownCallsCostUsd: 0.00001 });
    expect(semantic.semantic_cache).toBeCloseTo(costOf(usage, mini).totalUsd, 15);
    expect(semantic.own_calls).toBe(-0.00001);
    // no price known at all: what the cache says it saved
    expect(savedByLever({ usage, answerCostUsd: 0, answered: true, cache: { status: 'hit', savedCostUsd: 0.25 }, failedAttemptsCostUsd: 0, ownCallsCostUsd: 0 })).toEqual({ exact_cache: 0.25 });
  });

  it('a request with no answer: counterfactual 0, what it paid is the negative bars', () => {
    const bars = savedByLever({ answerCostUsd: 0, answered: false, ranPrice: sonnet, baselinePrice: sonnet, failedAttemptsCostUsd: 0.02, ownCallsCostUsd: 0 });
    expect(bars).toEqual({ retries: -0.02 });
    expect(counterfactualCostUsd(0.02, bars)).toBeCloseTo(0, 15);
  });

  it('costUsd + Σ savedByLever = the counterfactual on 5,000 random shapes', () => {
    const r = rng(8);
    const prices = [sonnet, haiku, mini, gpt4o, undefined];
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const tok = (max: number): number => (r() < 0.3 ? 0 : Math.floor(r() * max));
    for (let i = 0; i < 5000; i++) {
      const usage: Usage = { input: tok(200_000), cacheRead: tok(100_000), cacheWrite5m: tok(20_000), cacheWrite1h: tok(20_000), output: tok(8000), reasoning: 0 };
      const ranPrice = pick(prices);
      const baselinePrice = pick(prices);
      const cacheStatus = pick(['hit', 'semantic_hit', 'miss', 'bypass', undefined] as const);
      const hit = cacheStatus === 'hit' || cacheStatus === 'semantic_hit';
      const answered = hit || r() < 0.9;
      const answerCostUsd = !hit && answered && ranPrice ? costOf(usage, ranPrice).totalUsd : 0;
      const failed = r() < 0.2 ? r() * 0.05 : 0;
      const own = r() < 0.3 ? r() * 0.001 : 0;
      const s: SavingsInput = {
        usage: answered ? usage : undefined,
        answerCostUsd,
        answered,
        ranPrice,
        baselinePrice,
        cache: cacheStatus ? { status: cacheStatus, savedCostUsd: r() } : undefined,
        trimmedInputTokens: r() < 0.3 ? Math.floor(r() * 50_000) : undefined,
        failedAttemptsCostUsd: failed,
        ownCallsCostUsd: own,
      };
      const bars = savedByLever(s);
      const costUsd = answerCostUsd + failed + own;
      // the counterfactual, computed independently of the bars
      let expected: number;
      const untrimmed = { ...withoutPromptCache(usage), input: withoutPromptCache(usage).input + (s.trimmedInputTokens ?? 0) };
      if (hit) expected = baselinePrice ? costOf(untrimmed, baselinePrice).totalUsd : ranPrice ? costOf(untrimmed, ranPrice).totalUsd : s.cache!.savedCostUsd!;
      else if (!answered) expected = 0;
      else if (!ranPrice) expected = answerCostUsd;
      else expected = costOf(untrimmed, baselinePrice ?? ranPrice).totalUsd;
      const got = counterfactualCostUsd(costUsd, bars);
      expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, expected));
      for (const v of Object.values(bars)) expect(v).not.toBe(0);
    }
  });
});
