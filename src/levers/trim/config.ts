// Config schema of the trim lever (`trim:` in tollgate.yaml). Owned by the trim lever. Every limit
// the stage uses is here with its default; a route's section overrides the top-level one field by
// field. Nothing is trimmed unless a route (or the top level) is enabled and names a limit.
import { z } from 'zod';

const historySchema = z
  .object({
    /** keep the last N turns (the current one counts: 1 keeps only the latest user turn) */
    keepLastTurns: z.number().int().min(1).optional(),
    /** fit the whole request's input (system, tools, history, current turn) within this many tokens */
    maxInputTokens: z.number().int().positive().optional(),
    /**
     * when the budget forces a new cut, cut down to this share of maxInputTokens, so the next turns
     * fit under the same cut and its prefix stays cached (instead of one new cut every turn)
     */
    cutToRatio: z.number().gt(0).max(1).optional(),
    /** the first N turns always stay (often the task statement) */
    pinFirstTurns: z.number().int().nonnegative().optional(),
    /** messages with one of these `name`s always stay (OpenAI's message name field) */
    pinNames: z.array(z.string().min(1)).optional(),
  })
  .strict();

const summarySchema = z
  .object({
    /** replace dropped turns with a summary made by `model` */
    enabled: z.boolean().optional(),
    /** a model from `models:` (a cheap one); its calls are attempts with purpose `summary` */
    model: z.string().min(1).optional(),
    /** the summary's output limit, tokens (also what the break-even expects it to cost) */
    maxTokens: z.number().int().positive().optional(),
  })
  .strict();

const contextSchema = z
  .object({
    /** keep the k retrieved chunks most relevant (BM25) to the user's latest question */
    topK: z.number().int().min(1).optional(),
    /** and at most this many tokens of them */
    maxTokens: z.number().int().positive().optional(),
  })
  .strict();

const breakEvenSchema = z
  .object({
    /** trim only when it saves at least this many dollars on the request (after lost cache reads and the summary) */
    minSavingsUsd: z.number().nonnegative().optional(),
  })
  .strict();

export const routeTrimSchema = z
  .object({
    enabled: z.boolean().optional(),
    history: historySchema.optional(),
    summary: summarySchema.optional(),
    context: contextSchema.optional(),
    breakEven: breakEvenSchema.optional(),
  })
  .strict();

export const trimConfigSchema = z
  .object({
    /** trim every route and model unless its own section says otherwise */
    enabled: z.boolean().default(false),
    history: historySchema.prefault({}),
    summary: summarySchema.prefault({}),
    context: contextSchema.prefault({}),
    breakEven: breakEvenSchema.prefault({}),
    /**
     * The provider prompt-cache estimate behind the break-even: prefixes sent upstream are
     * remembered per route (hash and time, never the text) for `cacheTtlSeconds` (the providers'
     * 5-minute TTL; a route whose breakpoints are 1h uses 3600), at most `prefixMemory` of them in
     * all (the least recently sent forgotten first).
     */
    providerCache: z
      .object({
        cacheTtlSeconds: z.number().int().positive().default(300),
        /** shortest prefix a provider caches (OpenAI and Claude Sonnet: 1024 tokens) */
        minCacheableTokens: z.number().int().positive().default(1024),
        prefixMemory: z.number().int().positive().default(50_000),
      })
      .strict()
      .prefault({}),
    /** summaries kept (least recently used evicted first), by conversation prefix */
    summaryCacheEntries: z.number().int().positive().default(1000),
    /** per route (or model name) overrides */
    routes: z.record(z.string(), routeTrimSchema).default({}),
  })
  .strict()
  .prefault({});

export type TrimConfig = z.infer<typeof trimConfigSchema>;
export type TrimConfigInput = z.input<typeof trimConfigSchema>;
export type RouteTrimConfig = z.infer<typeof routeTrimSchema>;

/** What one route trims, after merging its section over the top level (defaults filled). */
export interface TrimSettings {
  enabled: boolean;
  keepLastTurns?: number;
  maxInputTokens?: number;
  cutToRatio: number;
  pinFirstTurns: number;
  pinNames: readonly string[];
  summary?: { model: string; maxTokens: number };
  contextTopK?: number;
  contextMaxTokens?: number;
  minSavingsUsd: number;
}

export const DEFAULT_CUT_TO_RATIO = 0.75;
export const DEFAULT_SUMMARY_TOKENS = 256;

export function settingsFor(cfg: TrimConfig, name: string): TrimSettings {
  const r = cfg.routes[name] ?? {};
  const h = { ...cfg.history, ...r.history };
  const s = { ...cfg.summary, ...r.summary };
  const c = { ...cfg.context, ...r.context };
  const b = { ...cfg.breakEven, ...r.breakEven };
  return {
    enabled: r.enabled ?? cfg.enabled,
    keepLastTurns: h.keepLastTurns,
    maxInputTokens: h.maxInputTokens,
    cutToRatio: h.cutToRatio ?? DEFAULT_CUT_TO_RATIO,
    pinFirstTurns: h.pinFirstTurns ?? 0,
    pinNames: h.pinNames ?? ['pinned'],
    summary: s.enabled && s.model ? { model: s.model, maxTokens: s.maxTokens ?? DEFAULT_SUMMARY_TOKENS } : undefined,
    contextTopK: c.topK,
    contextMaxTokens: c.maxTokens,
    minSavingsUsd: b.minSavingsUsd ?? 0,
  };
}

/** true when the settings ask for any trimming at all */
export function trims(s: TrimSettings): boolean {
  return s.enabled && (s.keepLastTurns !== undefined || s.maxInputTokens !== undefined || s.contextTopK !== undefined || s.contextMaxTokens !== undefined);
}
