// Config schema of the cache lever (`cache:` in tollgate.yaml). Owned by the cache lever.
// Every threshold, TTL and limit of the exact cache, the semantic cache and Anthropic prompt-cache
// injection lives here with its default; objects are strict so a typo stops start-up by name.
import { z } from 'zod';

const ttl = z.enum(['5m', '1h']);

export const guardsSchema = z
  .object({
    /** "how do I enable X" vs "how do I not enable X" */
    negation: z.boolean().default(true),
    /** enable/disable, increase/decrease, ... */
    antonyms: z.boolean().default(true),
    /** different numbers, dates, months, weekdays */
    numbers: z.boolean().default(true),
    /** different capitalised names, quoted strings, code identifiers */
    entities: z.boolean().default(true),
  })
  .strict()
  .prefault({});

export const embedderSchema = z.discriminatedUnion('kind', [
  /** hashed n-grams x a learned projection shipped in data/cache (offline, no weights to fetch) */
  z
    .object({
      kind: z.literal('builtin'),
      file: z.string().optional(),
      /** second-stage pair scorer file, or false for the plain cosine (default: the shipped one, unless `file` is set) */
      pairScorer: z.union([z.string(), z.literal(false)]).optional(),
    })
    .strict(),
  /** any OpenAI-compatible /v1/embeddings model reached through the gateway's own providers */
  z.object({ kind: z.literal('openai-compatible'), model: z.string().min(1) }).strict(),
  /** a local ONNX sentence-embedding model directory (tokenizer.json + onnx/model.onnx), via @huggingface/transformers */
  z.object({ kind: z.literal('onnx'), dir: z.string().min(1), pooling: z.enum(['mean', 'cls']).default('mean') }).strict(),
]);

export const semanticSchema = z
  .object({
    enabled: z.boolean().default(false),
    embedder: embedderSchema.default({ kind: 'builtin' }),
    /** similarity at or above which a candidate may hit (per route overridable): the cosine, or for the built-in
     * embedder its pair scorer's score (0..1); 0.87 keeps the built-in embedder under 1% false hits on unseen QQP
     * pairs (chosen on the val components by a 95% upper bound, checked on the test ones: 0.98%) */
    threshold: z.number().min(-1).max(1).default(0.87),
    /**
     * the live false-hit rate the semantic cache may have (per route overridable): when the judge's
     * shadow checks of sampled hits (judge.cacheShadowRate) put the rate's interval above it, the
     * threshold rises by tightenStep and the trail says `tightened`
     */
    maxFalseHitRate: z.number().min(0).max(1).default(0.01),
    /** how far one tightening raises the threshold (never past 1) */
    tightenStep: z.number().gt(0).max(1).default(0.01),
    guards: guardsSchema,
    /**
     * Similarities in [verifyFrom, threshold) are sent to the optional verifier dep (a cheap
     * model asked whether both requests want the same answer); without a verifier they miss.
     */
    verifyFrom: z.number().min(-1).max(1).optional(),
    /** the model (a name from `models:`) asked to verify borderline similarities; its cost is in the ledger */
    verifierModel: z.string().min(1).optional(),
    /** below this many entries a partition is scanned exactly; above it an HNSW index is built */
    hnswMinEntries: z.number().int().positive().default(2048),
    hnsw: z
      .object({ m: z.number().int().min(4).max(64).default(16), efConstruction: z.number().int().positive().default(200), efSearch: z.number().int().positive().default(128) })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const promptCacheSchema = z
  .object({
    /** inject Anthropic cache_control breakpoints (per route overridable) */
    enabled: z.boolean().default(false),
    /** TTL of breakpoints on the conversation history */
    ttl: ttl.default('5m'),
    /** TTL of breakpoints on tools and the system prompt (1h entries are always placed before 5m ones) */
    staticTtl: ttl.optional(),
    /** Anthropic allows at most 4 breakpoints per request */
    maxBreakpoints: z.number().int().min(1).max(4).default(4),
    /** minimum cacheable prefix, tokens, by model-name pattern; first match wins */
    minTokens: z
      .array(z.object({ match: z.string().min(1), tokens: z.number().int().positive() }).strict())
      .default([
        { match: 'opus-4-[56]|opus-4\\.[56]|haiku-4', tokens: 4096 },
        { match: 'haiku-3|3-5-haiku|3-haiku', tokens: 2048 },
        { match: 'claude', tokens: 1024 },
      ]),
    /** which target models get breakpoints at all (regex on the upstream model id) */
    models: z.string().default('claude'),
    /** characters per token for the prefix-length estimate (no tokenizer on the hot path) */
    charsPerToken: z.number().positive().default(4),
    /** cacheable-prefix metric: a prefix counts as repeated when seen within this window */
    prefixWindowSeconds: z.number().int().positive().default(300),
    /** prefixes remembered per route for the metric (oldest forgotten first) */
    prefixMemory: z.number().int().positive().default(10_000),
    /** warn when variable content (dates, ids, emails, names) has at least this many chars of static prompt after it */
    warnStaticCharsAfter: z.number().int().nonnegative().default(200),
  })
  .strict()
  .prefault({});

export const routeCacheSchema = z
  .object({
    /** opt this route (or model name) in or out, regardless of the temperature policy */
    enabled: z.boolean().optional(),
    ttlSeconds: z.number().int().positive().optional(),
    /** a hit older than this is counted stale (stale ratio); defaults to ttlSeconds */
    freshnessSeconds: z.number().int().positive().optional(),
    /** bump when the route's prompt or model changes: entries of other versions stop hitting */
    policyVersion: z.string().optional(),
    semantic: z.object({ enabled: z.boolean().optional(), threshold: z.number().min(-1).max(1).optional(), maxFalseHitRate: z.number().min(0).max(1).optional() }).strict().optional(),
    promptCache: z.object({ enabled: z.boolean().optional(), ttl: ttl.optional(), staticTtl: ttl.optional() }).strict().optional(),
  })
  .strict();

export const cacheConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** whose entries a request may see: team (falls back to key), key, or everyone */
    scope: z.enum(['team', 'key', 'global']).default('team'),
    ttlSeconds: z.number().int().positive().default(3600),
    /** entries kept in memory and on disk; the least recently used are evicted first */
    maxEntries: z.number().int().positive().default(100_000),
    /** memory bound of the entries (accounted bytes: answers, keys, vectors, renderings); least recently used evicted first */
    maxBytes: z.number().int().positive().default(256 * 1024 * 1024),
    /** which requests may be served from or written to the cache when their route does not opt in */
    eligible: z
      .object({
        /** highest temperature still cached; an absent temperature counts as the provider default 1 */
        maxTemperature: z.number().min(0).nullable().default(0),
        /** streaming requests may use the cache (hits are served as synthesized streams) */
        streaming: z.boolean().default(true),
        /** requests carrying tools may use the cache */
        tools: z.boolean().default(true),
        // (requests asking for several choices, n > 1, are never cached: the canonical response holds one)
      })
      .strict()
      .prefault({}),
    /** disk writes are batched and flushed at most this often, off the request path */
    flushIntervalMs: z.number().int().positive().default(200),
    semantic: semanticSchema,
    promptCache: promptCacheSchema,
    /** per route (or model name) overrides */
    routes: z.record(z.string(), routeCacheSchema).default({}),
  })
  .strict()
  .prefault({});

export type CacheConfig = z.infer<typeof cacheConfigSchema>;
export type CacheConfigInput = z.input<typeof cacheConfigSchema>;
export type RouteCacheConfig = z.infer<typeof routeCacheSchema>;
export type SemanticConfig = z.infer<typeof semanticSchema>;
export type PromptCacheConfig = z.infer<typeof promptCacheSchema>;
export type GuardsConfig = z.infer<typeof guardsSchema>;
export type EmbedderConfig = z.infer<typeof embedderSchema>;
