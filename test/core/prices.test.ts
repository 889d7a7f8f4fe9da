// The price catalog: versioning, effective dates, tiers, batch, aliases, overrides and their schema.
// Expected prices are the list prices in shared/reference/wire-and-telemetry-facts.md §4.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PriceCatalog } from '../../src/core/prices/catalog.js';
import { priceOverridesSchema } from '../../src/core/prices/config.js';
import { costOf } from '../../src/core/cost.js';
import { usageFromAnthropic } from '../../src/providers/anthropic/usage.js';
import { usageFromOpenAI } from '../../src/providers/openai/usage.js';
import type { Usage } from '../../src/core/canonical.js';

const catalog = PriceCatalog.load();
const NOW = new Date('2026-08-01T12:00:00Z');
const usage = (u: Partial<Usage>): Usage => ({ input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0, ...u });
const MTOK = 1_000_000;

describe('catalog', () => {
  it('exposes its version: data date + genai-prices commit', () => {
    expect(catalog.version).toBe('2026-08-21+genai-prices.47df840a+1fix');
    expect(catalog.lookup('openai', 'gpt-4o', NOW)?.catalogVersion).toBe(catalog.version);
    expect(catalog.providers.slice(0, 3)).toEqual(['openai', 'anthropic', 'google']);
  });

  it.each([
    ['openai', 'gpt-4o', 'gpt-4o', { input: 2.5, cacheRead: 1.25, output: 10 }],
    ['openai', 'gpt-4o-2024-08-06', 'gpt-4o', { input: 2.5, cacheRead: 1.25, output: 10 }],
    ['openai', 'gpt-4o-mini', 'gpt-4o-mini', { input: 0.15, cacheRead: 0.075, output: 0.6 }],
    ['openai', 'gpt-4o-mini-2024-07-18', 'gpt-4o-mini', { input: 0.15, cacheRead: 0.075, output: 0.6 }],
    ['openai', 'text-embedding-3-small', 'text-embedding-3-small', { input: 0.02, output: 0 }],
    ['openai', 'gpt-4.1-nano', 'gpt-4.1-nano', { input: 0.1, cacheRead: 0.025, output: 0.4 }],
    ['anthropic', 'claude-sonnet-4', 'claude-sonnet-4-0', { input: 3, cacheWrite5m: 3.75, cacheWrite1h: 6, cacheRead: 0.3, output: 15 }],
    ['anthropic', 'claude-sonnet-4-20250514', 'claude-sonnet-4-0', { input: 3, cacheWrite5m: 3.75, cacheWrite1h: 6, cacheRead: 0.3, output: 15 }],
    ['anthropic', 'claude-3-5-haiku', 'claude-3-5-haiku-latest', { input: 0.8, cacheWrite5m: 1, cacheWrite1h: 1.6, cacheRead: 0.08, output: 4 }],
    ['anthropic', 'claude-3-5-haiku-20241022', 'claude-3-5-haiku-latest', { input: 0.8, cacheWrite5m: 1, cacheWrite1h: 1.6, cacheRead: 0.08, output: 4 }],
    ['anthropic', 'claude-haiku-4-5-20251001', 'claude-haiku-4-5', { input: 1, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1, output: 5 }],
    ['anthropic', 'claude-opus-4-1-20250805', 'claude-opus-4-1', { input: 15, cacheWrite5m: 18.75, cacheWrite1h: 30, cacheRead: 1.5, output: 75 }],
    ['google', 'gemini-2.0-flash', 'gemini-2.0-flash', { input: 0.1, cacheRead: 0.025, output: 0.4 }],
    ['google', 'gemini-2.0-flash-001', 'gemini-2.0-flash', { input: 0.1, cacheRead: 0.025, output: 0.4 }],
    ['gemini', 'models/gemini-2.5-flash', 'gemini-2.5-flash', { input: 0.3, cacheRead: 0.03, output: 2.5 }],
  ] as const)('%s %s resolves to %s at its list price', (provider, model, id, rates) => {
    const p = catalog.lookup(provider, model, NOW);
    expect(p?.model).toBe(id);
    expect(p).toMatchObject(rates);
  });

  it('aliases: vendor prefixes, case, and dated ids it has never seen', () => {
    expect(catalog.lookupModel('anthropic/claude-sonnet-4', NOW)?.model).toBe('claude-sonnet-4-0');
    expect(catalog.lookup('anthropic', 'anthropic/claude-3-5-haiku', NOW)?.model).toBe('claude-3-5-haiku-latest');
    expect(catalog.lookup('openai', 'GPT-4o-Mini', NOW)?.model).toBe('gpt-4o-mini');
    // an unseen snapshot date falls back to the undated id
    expect(catalog.lookup('openai', 'gpt-4.1-mini-2099-01-01', NOW)?.model).toBe('gpt-4.1-mini');
    expect(catalog.lookup('anthropic', 'claude-sonnet-4@20250514', NOW)?.model).toBe('claude-sonnet-4-0');
  });

  it('lookupModel finds a model from any provider; lookup respects the provider', () => {
    expect(catalog.lookupModel('claude-sonnet-4', NOW)?.provider).toBe('anthropic');
    expect(catalog.lookupModel('gemini-2.0-flash', NOW)?.provider).toBe('google');
    expect(catalog.lookupModel('gpt-4o', NOW)?.provider).toBe('openai');
    expect(catalog.lookup('openai', 'claude-sonnet-4', NOW)).toBeUndefined();
  });

  it('unknown model or provider => undefined', () => {
    expect(catalog.lookup('openai', 'gpt-imaginary-9', NOW)).toBeUndefined();
    expect(catalog.lookupModel('totally-unknown-model', NOW)).toBeUndefined();
    expect(catalog.lookup('nope', 'gpt-4o', NOW)).toBeUndefined();
    expect(catalog.lookupModel('', NOW)).toBeUndefined();
  });
});

describe('effective dates', () => {
  it('o3: $10/$40 before 2025-06-10, $2/$8 from that day (UTC)', () => {
    const before = catalog.lookup('openai', 'o3', new Date('2025-06-09T23:59:59Z'))!;
    const after = catalog.lookup('openai', 'o3-2025-04-16', new Date('2025-06-10T00:00:00Z'))!;
    expect(before).toMatchObject({ input: 10, output: 40, effectiveUntil: '2025-06-10' });
    expect(before.effectiveFrom).toBeUndefined();
    expect(after).toMatchObject({ input: 2, output: 8, effectiveFrom: '2025-06-10' });
    expect(after.effectiveUntil).toBeUndefined();
    const u = usage({ input: MTOK, output: MTOK });
    expect(costOf(u, before).totalUsd).toBe(50);
    expect(costOf(u, after).totalUsd).toBe(10);
  });

  it('Sonnet 5: the scheduled 2026-09-01 increase was cancelled (catalog correction): 2/2.5/4/0.2/10 before and after', () => {
    for (const day of ['2026-08-31T23:00:00Z', '2026-09-01T00:00:00Z', '2026-11-25T00:00:00Z']) {
      const p = catalog.lookup('anthropic', 'claude-sonnet-5', new Date(day))!;
      expect(p).toMatchObject({ input: 2, cacheWrite5m: 2.5, cacheWrite1h: 4, cacheRead: 0.2, output: 10 });
      expect(p.effectiveUntil).toBeUndefined();
    }
  });

  it('Gemini 3.6 Flash: 0.75/0.075/3.75 until 2026-12-31, 1.5/0.15/7.5 from 2027-01-01', () => {
    const before = catalog.lookup('google', 'gemini-3.6-flash', new Date('2026-12-31T23:59:59Z'))!;
    const after = catalog.lookup('google', 'gemini-3.6-flash', new Date('2027-01-01T00:00:00Z'))!;
    expect(before).toMatchObject({ input: 0.75, cacheRead: 0.075, output: 3.75, effectiveUntil: '2027-01-01' });
    expect(after).toMatchObject({ input: 1.5, cacheRead: 0.15, output: 7.5, effectiveFrom: '2027-01-01' });
    // 1M in + 1M out: 0.75 + 3.75 vs 1.5 + 7.5
    expect(costOf(usage({ input: MTOK, output: MTOK }), before).totalUsd).toBe(4.5);
    expect(costOf(usage({ input: MTOK, output: MTOK }), after).totalUsd).toBe(9);
  });

  it('Sonnet 4.6: long-context tier until 2026-03-13, flat after', () => {
    const big = usage({ input: 250_000, output: 1000 });
    const early = catalog.lookup('anthropic', 'claude-sonnet-4-6', new Date('2026-03-12T12:00:00Z'))!;
    const late = catalog.lookup('anthropic', 'claude-sonnet-4-6', new Date('2026-03-13T00:00:00Z'))!;
    // 250000 x 6 + 1000 x 22.5 = 1522500 ; flat: 250000 x 3 + 1000 x 15 = 765000
    expect(costOf(big, early).totalUsd).toBe(1.5225);
    expect(costOf(big, late).totalUsd).toBe(0.765);
  });

  it('time-of-day prices: DeepSeek peak window 00:30-16:30 UTC', () => {
    expect(catalog.lookup('deepseek', 'deepseek-chat', new Date('2026-08-01T10:00:00Z'))).toMatchObject({ input: 0.27, output: 1.1 });
    expect(catalog.lookup('deepseek', 'deepseek-chat', new Date('2026-08-01T20:00:00Z'))).toMatchObject({ input: 0.135, output: 0.55 });
  });
});

describe('long-context tiers', () => {
  const sonnet45 = catalog.lookup('anthropic', 'claude-sonnet-4-5', NOW)!;

  it('Sonnet 4.5: exactly 200k total input stays at base; above it every bucket moves to 6/7.5/12/0.6/22.5', () => {
    expect(sonnet45.tiers).toEqual([{ aboveInputTokens: 200000, input: 6, cacheWrite5m: 7.5, cacheWrite1h: 12, cacheRead: 0.6, output: 22.5 }]);
    // 200000 x 3 + 1000 x 15 = 615000
    expect(costOf(usage({ input: 200_000, output: 1000 }), sonnet45).totalUsd).toBe(0.615);
    // 200001 x 6 + 1000 x 22.5 = 1222506
    expect(costOf(usage({ input: 200_001, output: 1000 }), sonnet45).totalUsd).toBe(1.222506);
    // cached tokens count toward the threshold: 1000 x 6 + 100000 x 0.6 + 100000 x 12 + 10 x 22.5
    const u = usageFromAnthropic({
      input_tokens: 1000,
      cache_read_input_tokens: 100000,
      cache_creation_input_tokens: 100000,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100000 },
      output_tokens: 10,
    });
    expect(costOf(u, sonnet45).totalUsd).toBe((6000 + 60000 + 1200000 + 225) / MTOK);
  });

  it('Gemini 2.5 Pro: <=200k at 1.25/0.125/10, >200k at 2.5/0.25/15', () => {
    const pro = catalog.lookup('google', 'gemini-2.5-pro', NOW)!;
    expect(costOf(usage({ input: 100_000, cacheRead: 100_000, output: 2000 }), pro).totalUsd).toBe((125000 + 12500 + 20000) / MTOK);
    expect(costOf(usage({ input: 100_001, cacheRead: 100_000, output: 2000 }), pro).totalUsd).toBe((250002.5 + 25000 + 30000) / MTOK);
  });
});

describe('batch', () => {
  it('OpenAI batch is 50%: gpt-4o $1.25 in / $5.00 out', () => {
    const p = catalog.lookup('openai', 'gpt-4o', NOW)!;
    expect(p.batchDiscount).toBe(0.5);
    expect(costOf(usage({ input: MTOK, output: MTOK }), p, { batch: true })).toEqual({ totalUsd: 6.25, inputUsd: 1.25, cacheReadUsd: 0, cacheWriteUsd: 0, outputUsd: 5 });
  });

  it('Anthropic batch halves cache reads and writes too', () => {
    const p = catalog.lookup('anthropic', 'claude-sonnet-4', NOW)!;
    const u = usageFromAnthropic({ input_tokens: 1000, cache_read_input_tokens: 2000, cache_creation_input_tokens: 4000, output_tokens: 300 });
    // (1000 x 3 + 2000 x 0.3 + 4000 x 3.75 + 300 x 15) / 2 = (3000 + 600 + 15000 + 4500) / 2 = 11550
    expect(costOf(u, p, { batch: true }).totalUsd).toBe(0.01155);
    expect(costOf(u, p).totalUsd).toBe(0.0231);
  });

  it('a provider without a batch discount is unchanged', () => {
    const p = catalog.lookup('mistral', 'mistral-large-latest', NOW) ?? catalog.lookupModel('mistral-large-latest', NOW)!;
    expect(p.batchDiscount).toBe(0);
    const u = usage({ input: 1000, output: 1000 });
    expect(costOf(u, p, { batch: true })).toEqual(costOf(u, p));
  });
});

describe('reasoning and exactness', () => {
  it('reasoning tokens are part of output and priced as output unless priced apart', () => {
    const o4 = catalog.lookup('openai', 'o4-mini', NOW)!;
    const u = usageFromOpenAI({ prompt_tokens: 500, completion_tokens: 1500, completion_tokens_details: { reasoning_tokens: 1200 } });
    // 500 x 1.10 + 1500 x 4.40 = 550 + 6600 = 7150
    expect(costOf(u, o4).totalUsd).toBe(0.00715);
    const sonar = PriceCatalog.load([{ provider: 'perplexity', model: 'sonar-deep-research', input: 2, output: 8, reasoning: 3 }]).lookup('perplexity', 'sonar-deep-research', NOW)!;
    // 300 reasoning x 3 + 200 other output x 8 = 900 + 1600
    expect(costOf(usage({ output: 500, reasoning: 300 }), sonar).outputUsd).toBe(0.0025);
  });

  it('no floating dust: tiny and summed figures are exact decimals', () => {
    const mini = catalog.lookup('openai', 'gpt-4o-mini', NOW)!;
    // 3 x 0.15 + 7 x 0.60 = 0.45 + 4.2 = 4.65 per 1M (naive float: 3 * 0.15 / 1e6 = 4.4999999999999996e-7)
    expect(costOf(usage({ input: 3, output: 7 }), mini)).toEqual({ totalUsd: 0.00000465, inputUsd: 0.00000045, cacheReadUsd: 0, cacheWriteUsd: 0, outputUsd: 0.0000042 });
    const flash = catalog.lookup('google', 'gemini-1.5-flash', NOW)!;
    // 0.01875 per 1M: 7 tokens = 0.13125 per 1M
    expect(costOf(usage({ cacheRead: 7 }), flash).cacheReadUsd).toBe(0.00000013125);
    const big = costOf(usage({ input: 123_456_789, output: 98_765_432 }), catalog.lookup('openai', 'o1-pro', NOW)!);
    // 123456789 x 150 + 98765432 x 600 = 18518518350 + 59259259200 = 77777777550 per 1M
    expect(big.totalUsd).toBe(77777.77755);
  });
});

describe('overrides', () => {
  it('an override wins over the catalog', () => {
    const c = PriceCatalog.load([{ provider: 'openai', model: 'gpt-4o', input: 2, output: 8, cachedInput: 0.5 }]);
    const p = c.lookup('openai', 'gpt-4o', NOW)!;
    expect(p).toMatchObject({ source: 'override', input: 2, output: 8, cacheRead: 0.5, cacheWrite5m: 2, batchDiscount: 0 });
    expect(c.lookupModel('gpt-4o', NOW)?.source).toBe('override');
    // dated ids of the overridden model resolve to it too
    expect(c.lookup('openai', 'gpt-4o-2024-11-20', NOW)?.source).toBe('override');
    expect(c.lookup('openai', 'gpt-4o-20241120', NOW)?.source).toBe('override');
    // other models keep the catalog
    expect(c.lookup('openai', 'gpt-4o-mini', NOW)?.source).toBe('catalog');
  });

  it('a dated override applies from its date on; the catalog before it', () => {
    const c = PriceCatalog.load([
      { provider: 'anthropic', model: 'claude-sonnet-4', aliases: ['claude-sonnet-4-20250514'], input: 2.4, output: 12, effectiveFrom: '2026-09-01' },
      { provider: 'anthropic', model: 'claude-sonnet-4', input: 2, output: 10, effectiveFrom: '2026-10-01' },
    ]);
    expect(c.lookup('anthropic', 'claude-sonnet-4-20250514', new Date('2026-08-31T23:59:59Z'))).toMatchObject({ source: 'catalog', input: 3 });
    expect(c.lookup('anthropic', 'claude-sonnet-4-20250514', new Date('2026-09-15T00:00:00Z'))).toMatchObject({
      source: 'override', input: 2.4, effectiveFrom: '2026-09-01',
    });
    expect(c.lookup('anthropic', 'claude-sonnet-4', new Date('2026-09-15T00:00:00Z'))).toMatchObject({ input: 2.4, effectiveUntil: '2026-10-01' });
    expect(c.lookup('anthropic', 'claude-sonnet-4', new Date('2026-10-02T00:00:00Z'))).toMatchObject({ input: 2 });
  });

  it('a provider of your own, with tiers and a batch discount', () => {
    const c = PriceCatalog.load([
      {
        provider: 'together',
        model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
        input: 0.88,
        output: 0.88,
        batchDiscount: 0.5,
        tiers: [{ aboveInputTokens: 100000, input: 1.76, output: 1.76 }],
      },
    ]);
    const p = c.lookup('together', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', NOW)!;
    expect(p.provider).toBe('together');
    // 1000 x 0.88 + 1000 x 0.88 = 1760, halved = 880
    expect(costOf(usage({ input: 1000, output: 1000 }), p, { batch: true }).totalUsd).toBe(0.00088);
    // 100001 x 1.76 + 10 x 1.76
    expect(costOf(usage({ input: 100001, output: 10 }), p).totalUsd).toBe((176001.76 + 17.6) / MTOK);
    expect(c.lookupModel('meta-llama/Llama-3.3-70B-Instruct-Turbo', NOW)?.provider).toBe('together');
  });

  it('a self-hosted model priced per GPU-hour', () => {
    const c = PriceCatalog.load([
      { provider: 'vllm', model: 'llama-3.1-8b', gpuHour: { usdPerHour: 2.88, gpus: 2, inputTokensPerSecond: 16000, outputTokensPerSecond: 1600 } },
    ]);
    const p = c.lookup('vllm', 'llama-3.1-8b', NOW)!;
    // 5.76 $/h over 16000 x 3600 = 57.6M input tokens/h => $0.10 per 1M; 5.76M output tokens/h => $1.00 per 1M
    expect(p.input).toBeCloseTo(0.1, 12);
    expect(p.output).toBeCloseTo(1, 12);
    expect(costOf(usage({ input: 1_000_000, output: 100_000 }), p).totalUsd).toBe(0.2);
  });
});

describe('override schema', () => {
  it('accepts a valid list and applies defaults', () => {
    const parsed = priceOverridesSchema.parse([
      { provider: 'openai', model: 'gpt-4o', input: 2.5, output: 10, effectiveFrom: '2026-01-01' },
      { provider: 'vllm', model: 'm', gpuHour: { usdPerHour: 1, inputTokensPerSecond: 1, outputTokensPerSecond: 1 } },
    ]);
    expect(parsed[0]!.effectiveFrom).toBe('2026-01-01T00:00:00.000Z');
    expect(parsed[1]!.gpuHour!.gpus).toBe(1);
    expect(priceOverridesSchema.parse(undefined)).toEqual([]);
  });

  it('rejects unknown keys with a message naming the path', () => {
    const r = priceOverridesSchema.safeParse([{ provider: 'openai', model: 'gpt-4o', input: 2.5, output: 10, cachedInptu: 1 }]);
    expect(r.success).toBe(false);
    const msg = z.prettifyError(r.error!);
    expect(msg).toMatch(/cachedInptu/);
    expect(msg).toMatch(/at \[0\]/);
    expect(r.error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: [0], keys: ['cachedInptu'] });

    const nested = priceOverridesSchema.safeParse([{ provider: 'openai', model: 'x', input: 1, output: 1, tiers: [{ aboveInputTokens: 5, input: 1, output: 1, foo: 2 }] }]);
    expect(nested.error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: [0, 'tiers', 0], keys: ['foo'] });
    expect(z.prettifyError(nested.error!)).toMatch(/at \[0\]\.tiers\[0\]/);
  });

  it('rejects missing prices, negative prices, bad dates and bad discounts, naming the field', () => {
    const paths = (v: unknown) => priceOverridesSchema.safeParse(v).error?.issues.map((i) => i.path.join('.'));
    expect(paths([{ provider: 'openai', model: 'x', output: 1 }])).toEqual(['0.input']);
    expect(paths([{ provider: 'openai', model: 'x', input: -1, output: 1 }])).toEqual(['0.input']);
    expect(paths([{ provider: 'openai', model: 'x', input: 1, output: 1, effectiveFrom: 'soon' }])).toEqual(['0.effectiveFrom']);
    expect(paths([{ provider: 'openai', model: 'x', input: 1, output: 1, batchDiscount: 1.5 }])).toEqual(['0.batchDiscount']);
    expect(paths([{ provider: 'v', model: 'x', input: 1, gpuHour: { usdPerHour: 1, inputTokensPerSecond: 1, outputTokensPerSecond: 1 } }])).toEqual(['0.gpuHour']);
    expect(() => PriceCatalog.load([{ provider: 'openai', model: 'x', input: 1, output: 1, bogus: true } as never])).toThrow(/bogus/);
  });
});
