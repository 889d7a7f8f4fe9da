// Config schema of price overrides (`prices:` in tollgate.yaml). Owned by the price catalog.
// An override wins over the catalog for its provider and model from `effectiveFrom` on. Prices are
// USD per 1M tokens. A self-hosted model may instead be priced per GPU-hour: its per-token rates are
// derived from the hourly cost and the measured throughput (see `gpuHour`).
//
//   prices:
//     - provider: anthropic
//       model: claude-sonnet-4
//       input: 3
//       output: 15
//       cachedInput: 0.3
//       cacheWrite5m: 3.75
//       cacheWrite1h: 6
//       effectiveFrom: 2026-01-01
//       tiers: [{ aboveInputTokens: 200000, input: 6, output: 22.5 }]
//     - provider: vllm-local
//       model: llama-3.1-8b
//       gpuHour: { usdPerHour: 2.5, gpus: 1, inputTokensPerSecond: 20000, outputTokensPerSecond: 1500 }
import { z } from 'zod';

const usdPerMTok = z.number().finite().nonnegative();

const tierSchema = z.strictObject({
  /** the tier applies when total input tokens (input + cache read + cache writes) exceed this */
  aboveInputTokens: z.number().int().positive(),
  input: usdPerMTok,
  output: usdPerMTok,
  cachedInput: usdPerMTok.optional(),
  cacheWrite5m: usdPerMTok.optional(),
  cacheWrite1h: usdPerMTok.optional(),
  reasoning: usdPerMTok.optional(),
});

const gpuHourSchema = z.strictObject({
  usdPerHour: z.number().finite().positive(),
  gpus: z.number().int().positive().default(1),
  /** sustained prefill throughput of the deployment (all GPUs together) */
  inputTokensPerSecond: z.number().finite().positive(),
  /** sustained decode throughput of the deployment (all GPUs together) */
  outputTokensPerSecond: z.number().finite().positive(),
});

// YAML parses an unquoted 2026-01-01 as a string with the `yaml` package's default (core) schema, but
// accept a Date too so a config built in code works.
const effectiveFromSchema = z
  .union([z.string(), z.date()])
  .transform((v, ctx) => {
    const d = v instanceof Date ? v : new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
    if (Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'expected a date (YYYY-MM-DD or ISO 8601)' });
      return z.NEVER;
    }
    return d.toISOString();
  });

export const priceOverrideSchema = z
  .strictObject({
    /** 'openai' | 'anthropic' | 'google', or any provider name of your own (e.g. a self-hosted vLLM) */
    provider: z.string().min(1),
    model: z.string().min(1),
    /** other ids that should resolve to this price */
    aliases: z.array(z.string().min(1)).optional(),
    input: usdPerMTok.optional(),
    output: usdPerMTok.optional(),
    cachedInput: usdPerMTok.optional(),
    cacheWrite5m: usdPerMTok.optional(),
    cacheWrite1h: usdPerMTok.optional(),
    reasoning: usdPerMTok.optional(),
    /** fraction taken off for batch requests, 0..1 (0.5 = 50% off) */
    batchDiscount: z.number().min(0).max(1).optional(),
    effectiveFrom: effectiveFromSchema.optional(),
    tiers: z.array(tierSchema).optional(),
    gpuHour: gpuHourSchema.optional(),
  })
  .superRefine((o, ctx) => {
    if (o.gpuHour) {
      if (o.input !== undefined || o.output !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['gpuHour'], message: 'give either gpuHour or input/output prices, not both' });
      }
    } else {
      if (o.input === undefined) ctx.addIssue({ code: 'custom', path: ['input'], message: 'required (USD per 1M input tokens) unless gpuHour is given' });
      if (o.output === undefined) ctx.addIssue({ code: 'custom', path: ['output'], message: 'required (USD per 1M output tokens) unless gpuHour is given' });
    }
  });

export const priceOverridesSchema = z.array(priceOverrideSchema).default([]);
export type PriceOverride = z.infer<typeof priceOverrideSchema>;
export type PriceOverrides = z.infer<typeof priceOverridesSchema>;
/** what a config file may contain (before defaults are applied) */
export type PriceOverridesInput = z.input<typeof priceOverridesSchema>;
