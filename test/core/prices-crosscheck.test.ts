// Cross-check against an independent implementation: @pydantic/genai-prices (the npm package built
// from the same upstream data) prices the same usage with its own matcher, tier and date logic. Its
// usage convention is "input_tokens = total input, cache counts are parts of it"; it works in floats,
// so agreement is to 1e-12 USD. It has no batch prices, so batch is not compared.
import { describe, expect, it } from 'vitest';
import { calcPrice } from '@pydantic/genai-prices';
import { PriceCatalog } from '../../src/core/prices/catalog.js';
import { costOf } from '../../src/core/cost.js';
import type { Usage } from '../../src/core/canonical.js';

const catalog = PriceCatalog.load();

const cases: Array<[string, string, string, Partial<Usage>]> = [
  ['openai', 'gpt-4o', '2026-08-01', { input: 1200, cacheRead: 3000, output: 450 }],
  ['openai', 'gpt-4o-mini', '2026-08-01', { input: 3, output: 7 }],
  ['openai', 'o3', '2025-06-01', { input: 10000, cacheRead: 2000, output: 5000 }],
  ['openai', 'o3', '2025-07-01', { input: 10000, cacheRead: 2000, output: 5000 }],
  ['openai', 'gpt-5', '2026-08-01', { input: 51232, cacheRead: 1188096, output: 12909 }],
  ['openai', 'text-embedding-3-small', '2026-08-01', { input: 8000 }],
  ['anthropic', 'claude-sonnet-4-20250514', '2026-08-01', { input: 50, cacheRead: 900, cacheWrite5m: 3000, output: 200 }],
  ['anthropic', 'claude-3-5-haiku-20241022', '2026-08-01', { input: 20, cacheWrite5m: 1000, cacheWrite1h: 4000, output: 100 }],
  ['anthropic', 'claude-sonnet-4-5', '2026-08-01', { input: 5000, cacheRead: 60000, cacheWrite5m: 150000, output: 2000 }],
  ['anthropic', 'claude-sonnet-5', '2026-08-15', { input: 1000, cacheRead: 10000, output: 500 }],
  ['anthropic', 'claude-sonnet-5', '2026-09-15', { input: 1000, cacheRead: 10000, output: 500 }],
  ['google', 'gemini-2.0-flash', '2026-08-01', { input: 4000, cacheRead: 1000, output: 800 }],
  ['google', 'gemini-2.5-pro', '2026-08-01', { input: 5005, cacheRead: 257955, output: 1744 }],
  ['google', 'gemini-2.5-pro', '2026-08-01', { input: 5000, cacheRead: 100000, output: 1744 }],
];

describe('agrees with @pydantic/genai-prices', () => {
  it.each(cases)('%s %s at %s', (provider, model, day, partial) => {
    const usage: Usage = { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0, ...partial };
    const at = new Date(`${day}T12:00:00Z`);
    const ours = costOf(usage, catalog.lookup(provider, model, at)!).totalUsd;
    const theirs = calcPrice(
      {
        input_tokens: usage.input + usage.cacheRead + usage.cacheWrite5m + usage.cacheWrite1h,
        cache_read_tokens: usage.cacheRead,
        cache_write_tokens: usage.cacheWrite5m + usage.cacheWrite1h,
        cache_write_1h_tokens: usage.cacheWrite1h,
        output_tokens: usage.output,
      },
      model,
      { providerId: provider, timestamp: at },
    );
    expect(theirs).not.toBeNull();
    expect(ours).toBeGreaterThan(0);
    expect(Math.abs(ours - theirs!.total_price)).toBeLessThan(1e-12);
  });
});
