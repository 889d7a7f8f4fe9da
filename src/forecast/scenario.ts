// A cost scenario: the assumptions the calculator prices. One schema for the CLI's flags, a YAML
// scenario file and POST /admin/calc, so the three can never disagree on what a field means.
//
//   requestsPerDay: 100000
//   days: 30
//   growthPerMonth: 0.1          # 10% more traffic each month (the projection)
//   tokens: { system: 3000, tools: 0, context: 2500, history: 400, user: 100, output: 300 }
//   mix: [{ model: claude-3-5-haiku, share: 0.7 }, { model: claude-sonnet-4, share: 0.3 }]
//   cache: { exactHitRate: 0.05, semanticHitRate: 0.25, promptCacheHitRate: 0.9 }
//   batchShare: 0.1              # what nobody waits on goes through the Batch API
//   trim: { system: 0.73, context: 0.7 }   # fraction of each component removed
//   retryRate: 0.02              # extra attempts per request, each billed in full
//   prices: [{ provider: openai, model: gpt-4o, input: 2.5, output: 10 }]
//   selfHost: { name: llama-70b, gpuType: H100, gpus: 4, usdPerGpuHour: 4, utilisation: 0.6,
//               tokensPerSecond: 20000, staffUsdPerMonth: 30000, hasMlStaff: false }

import { z } from 'zod';
import { priceOverrideSchema } from '../core/prices/config.js';

const count = z.number().finite().nonnegative();
const fraction = z.number().finite().min(0).max(1);

export const TOKEN_COMPONENTS = ['system', 'tools', 'context', 'history', 'user'] as const;
export type TokenComponent = (typeof TOKEN_COMPONENTS)[number];

/** the components a provider's prompt cache can hold: the stable prefix, before anything per-request */
export const CACHEABLE_COMPONENTS: readonly TokenComponent[] = ['system', 'tools'];

const tokensSchema = z.strictObject({
  system: count.default(0),
  tools: count.default(0),
  context: count.default(0),
  history: count.default(0),
  user: count.default(0),
  output: count,
});

const trimSchema = z.strictObject({
  system: fraction.default(0),
  tools: fraction.default(0),
  context: fraction.default(0),
  history: fraction.default(0),
  user: fraction.default(0),
});

export const selfHostSchema = z.strictObject({
  /** the model's name in the report, e.g. llama-3.1-70b */
  name: z.string().min(1).default('self-hosted'),
  gpuType: z.string().min(1).default('GPU'),
  gpus: z.number().int().positive(),
  usdPerGpuHour: z.number().finite().positive(),
  /** share of the hours the deployment does useful work at its sustained throughput, 0..1 */
  utilisation: z.number().finite().gt(0).max(1).default(0.6),
  /** sustained throughput of the whole deployment at full load, tokens (in + out) per second */
  tokensPerSecond: z.number().finite().positive(),
  /** ML engineers, on-call, upgrades: the line the paper analysis leaves out */
  staffUsdPerMonth: count.default(0),
  /** the chapter's second condition: ML engineering staff already on the team */
  hasMlStaff: z.boolean().default(false),
  /** GPU hours in a month; default 24 x days */
  hoursPerMonth: z.number().finite().positive().optional(),
});

export const scenarioSchema = z
  .strictObject({
    requestsPerDay: count,
    days: z.number().int().positive().max(366).default(30),
    /** traffic growth per month, as a fraction (0.1 = +10% a month) */
    growthPerMonth: z.number().finite().min(-1).max(100).default(0),
    tokens: tokensSchema,
    mix: z
      .array(z.strictObject({ model: z.string().min(1), share: z.number().finite().positive() }))
      .min(1, 'name at least one model')
      .max(64),
    cache: z
      .strictObject({
        exactHitRate: fraction.default(0),
        semanticHitRate: fraction.default(0),
        /** share of served requests whose cacheable prefix (system + tools) is read from the provider's cache; the rest write it */
        promptCacheHitRate: fraction.default(0),
        promptCacheTtl: z.enum(['5m', '1h']).default('5m'),
      })
      .prefault({}),
    batchShare: fraction.default(0),
    trim: trimSchema.prefault({}),
    retryRate: z.number().finite().min(0).max(10).default(0),
    /** price overrides, the same shape as `prices:` in tollgate.yaml; they win over the catalog */
    prices: z.array(priceOverrideSchema).max(256).default([]),
    /** the instant whose prices apply (ISO date); default now */
    at: z.string().optional(),
    /** the model of the waterfall's first bar; default the mix's most expensive model */
    baselineModel: z.string().min(1).optional(),
    selfHost: selfHostSchema.optional(),
    /** the sensitivity table moves each assumption by ± this percentage */
    sensitivityPct: z.number().finite().gt(0).max(100).default(20),
  })
  .superRefine((s, ctx) => {
    if (s.cache.exactHitRate + s.cache.semanticHitRate > 1) {
      ctx.addIssue({ code: 'custom', path: ['cache'], message: 'exactHitRate + semanticHitRate cannot exceed 1' });
    }
    if (s.at !== undefined && Number.isNaN(Date.parse(s.at))) ctx.addIssue({ code: 'custom', path: ['at'], message: 'expected a date (YYYY-MM-DD or ISO 8601)' });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type SelfHost = z.infer<typeof selfHostSchema>;

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** Validates a scenario; every mistake in one message, with the field's path. */
export function parseScenario(raw: unknown): Scenario {
  const r = scenarioSchema.safeParse(raw);
  if (r.success) {
    const total = r.data.mix.reduce((a, m) => a + m.share, 0);
    // shares are normalised so "70/25/5" and "0.7/0.25/0.05" say the same thing
    return { ...r.data, mix: r.data.mix.map((m) => ({ ...m, share: m.share / total })) };
  }
  const lines = r.error.issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(scenario)'}: ${i.code === 'unrecognized_keys' ? `unknown field ${i.keys.join(', ')}` : i.message}`);
  throw new ScenarioError(`invalid scenario:\n${lines.join('\n')}`);
}

export function inputTokens(t: Scenario['tokens']): number {
  return TOKEN_COMPONENTS.reduce((a, c) => a + t[c], 0);
}
