// Config schema of the router and executor levers (`routes:` and `retry:` in tollgate.yaml).
// Every threshold and limit the two stages use is here, with its default; the policy language is
// documented with examples in ./README.md.
import { z } from 'zod';

/** Error classes (src/core/errors.ts ErrorClass), accepted in config lists. */
const errorClassSchema = z.enum([
  'rate_limit',
  'quota',
  'overloaded',
  'server',
  'timeout',
  'connection',
  'stream_cut',
  'stream_error',
  'client',
  'auth',
  'not_found',
  'aborted',
  'circuit_open',
  'internal',
]);
export type ConfigErrorClass = z.infer<typeof errorClassSchema>;

// ---------------------------------------------------------------------------------------------
// Conditions (`when:`): every key present must hold (AND); `any`/`all`/`not` compose.

const stringOrList = z.union([z.string(), z.array(z.string()).min(1)]);

const valueMatchSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
  z
    .object({
      equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
      in: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
      regex: z.string().optional(),
      exists: z.boolean().optional(),
      gt: z.number().optional(),
      lt: z.number().optional(),
    })
    .strict(),
]);
export type ValueMatch = z.infer<typeof valueMatchSchema>;

const jsonPathConditionSchema = z
  .object({
    /** `$.a.b[0].c`, `$.messages[-1].role`, `$.tools[*].name` (a small JSONPath subset) */
    path: z.string().regex(/^\$/, 'must start with $'),
    /** `canonical`: the canonical request (camelCase fields); `raw`: the client's JSON body as sent */
    source: z.enum(['canonical', 'raw']).default('canonical'),
    equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    in: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
    regex: z.string().optional(),
    exists: z.boolean().optional(),
    gt: z.number().optional(),
    lt: z.number().optional(),
  })
  .strict();

export interface Condition {
  input_tokens_gt?: number;
  input_tokens_lt?: number;
  message_count_gt?: number;
  regex?: string | string[];
  keywords?: string[];
  text_scope?: 'last_user' | 'all';
  header?: Record<string, ValueMatch>;
  metadata?: Record<string, ValueMatch>;
  json_path?: z.infer<typeof jsonPathConditionSchema> | z.infer<typeof jsonPathConditionSchema>[];
  tools?: boolean;
  response_format?: 'text' | 'json_object' | 'json_schema' | 'any_json';
  stream?: boolean;
  user_tier?: string | string[];
  any?: Condition[];
  all?: Condition[];
  not?: Condition;
}

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z
    .object({
      input_tokens_gt: z.number().int().nonnegative().optional(),
      input_tokens_lt: z.number().int().positive().optional(),
      message_count_gt: z.number().int().nonnegative().optional(),
      /** regular expressions (JS syntax; `(?i)` prefix = case-insensitive) over the prompt text */
      regex: stringOrList.optional(),
      /** case-insensitive whole-word (or phrase) matches over the prompt text: any one matches */
      keywords: z.array(z.string().min(1)).min(1).optional(),
      /** which text `regex`/`keywords` look at: the last user message (default) or every message and the system prompt */
      text_scope: z.enum(['last_user', 'all']).optional(),
      /** request headers (names lower-cased), e.g. { x-tollgate-task: summarize } */
      header: z.record(z.string(), valueMatchSchema).optional(),
      /** request metadata (OpenAI `metadata`, Anthropic `metadata`) */
      metadata: z.record(z.string(), valueMatchSchema).optional(),
      json_path: z.union([jsonPathConditionSchema, z.array(jsonPathConditionSchema).min(1)]).optional(),
      /** the request declares tools */
      tools: z.boolean().optional(),
      response_format: z.enum(['text', 'json_object', 'json_schema', 'any_json']).optional(),
      stream: z.boolean().optional(),
      /** shorthand for header x-tollgate-user-tier */
      user_tier: stringOrList.optional(),
      any: z.array(conditionSchema).min(1).optional(),
      all: z.array(conditionSchema).min(1).optional(),
      not: conditionSchema.optional(),
    })
    .strict(),
);

// ---------------------------------------------------------------------------------------------
// Routes

const candidateSchema = z.union([
  z.string().min(1),
  z
    .object({
      /** a model name from `models:` */
      model: z.string().min(1),
      /** share for `balance: weighted` */
      weight: z.number().positive().default(1),
    })
    .strict(),
]);

const tierSchema = z
  .object({
    name: z.string().min(1),
    models: z.array(candidateSchema).min(1),
  })
  .strict();

const ruleSchema = z
  .object({
    /** shown in the trail and x-tollgate-route; defaults to rule#<index> */
    name: z.string().min(1).optional(),
    when: conditionSchema,
    /** send to this tier ... */
    tier: z.string().min(1).optional(),
    /** ... or straight to this model */
    model: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => (r.tier === undefined) !== (r.model === undefined), { message: 'a rule needs exactly one of tier or model' });

const classifierSchema = z
  .object({
    /** weight file written by `tollgate router train` (relative paths: to the working directory, then the data dir) */
    weights: z.string().min(1),
    /** route to the strong tier when the score is >= threshold */
    threshold: z.number().min(0).max(1).optional(),
    /** or pick the operating point from the weight file's validation table */
    target: z
      .union([
        z.object({ quality_ge: z.number().gt(0).max(1) }).strict(),
        z.object({ strong_share_le: z.number().min(0).max(1) }).strict(),
      ])
      .optional(),
    /** tier names; default: the first and the last tier */
    weak_tier: z.string().optional(),
    strong_tier: z.string().optional(),
    /** header whose value is fed to the classifier as the task tag (if it was trained with one) */
    task_header: z.string().default('x-tollgate-task'),
  })
  .strict()
  .refine((c) => (c.threshold === undefined) !== (c.target === undefined), { message: 'give exactly one of threshold or target' });

const cascadeCheckSchema = z.enum(['refusal', 'empty', 'truncated', 'json_schema', 'verifier']);

const cascadeSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** which checks escalate to the next tier */
    checks: z.array(cascadeCheckSchema).min(1).default(['refusal', 'empty', 'truncated', 'json_schema']),
    /** refusal patterns (JS regex, case-insensitive) matched against the start of the answer */
    refusal_patterns: z
      .array(z.string())
      .default([
        "^\\s*(I'm sorry|I am sorry|Sorry, (but )?I|I apologi[sz]e|I can(no|')t (help|assist|comply|provide)|I'm (not able|unable) to|I am (not able|unable) to|As an AI)",
      ]),
    /** escalate when an upstream error survived the executor (the next tier may be healthy) */
    escalate_on_error: z.boolean().default(true),
    /** an LLM verifier: asked whether the answer is acceptable; its reply must match pass_pattern */
    verifier: z
      .object({
        model: z.string().min(1),
        prompt: z
          .string()
          .default(
            'You check answers. Reply with exactly YES if the answer below fully and correctly answers the question, otherwise NO.\n\nQuestion:\n{question}\n\nAnswer:\n{answer}',
          ),
        pass_pattern: z.string().default('^\\s*yes'),
        max_tokens: z.number().int().positive().default(4),
      })
      .strict()
      .optional(),
  })
  .strict();

const sloSchema = z
  .object({
    ttft_p95_ms: z.number().positive().optional(),
    e2e_p95_ms: z.number().positive().optional(),
    /** sliding window of the live latency samples */
    window_s: z.number().positive().default(60),
    /** fewer samples than this: the model is assumed to meet the SLO */
    min_samples: z.number().int().positive().default(20),
    /** share of requests still sent to a preferred model that breaches, so its recovery is seen */
    probe_share: z.number().min(0).max(1).default(0.05),
  })
  .strict()
  .refine((s) => s.ttft_p95_ms !== undefined || s.e2e_p95_ms !== undefined, { message: 'give ttft_p95_ms and/or e2e_p95_ms' });

const balanceSchema = z.union([
  z.enum(['first', 'weighted', 'least_latency']),
  z
    .object({
      strategy: z.enum(['first', 'weighted', 'least_latency']),
      /** percentile of end-to-end latency least_latency compares */
      percentile: z.number().min(1).max(99).default(50),
    })
    .strict(),
]);

const routeSchema = z
  .object({
    description: z.string().optional(),
    /** candidate models, cheapest tier first */
    tiers: z.array(tierSchema).min(1),
    /** first matching rule wins; none matching: the classifier, else default_tier */
    rules: z.array(ruleSchema).default([]),
    /** tier used when no rule matches and there is no classifier; default: the first tier */
    default_tier: z.string().optional(),
    classifier: classifierSchema.optional(),
    cascade: cascadeSchema.optional(),
    balance: balanceSchema.default('first'),
    slo: sloSchema.optional(),
    /** models tried after the chosen model's tier-mates fail (ctx.fallbacks) */
    fallbacks: z.array(z.string().min(1)).default([]),
    /** error classes that move on to a fallback */
    fallback_on: z
      .array(errorClassSchema)
      .default(['rate_limit', 'quota', 'overloaded', 'server', 'timeout', 'connection', 'circuit_open']),
    /** also fall back to the models of the next tiers (upwards) */
    fallback_across_tiers: z.boolean().default(true),
    /** counterfactual model for the ledger's baseline cost; default: the asked-for model when real, else the last tier's first model */
    baseline: z.string().optional(),
  })
  .strict();

export const routesConfigSchema = z.record(z.string().min(1), routeSchema).default({});
export type RoutesConfig = z.infer<typeof routesConfigSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type RouteRule = z.infer<typeof ruleSchema>;
export type ClassifierConfig = z.infer<typeof classifierSchema>;
export type CascadeConfig = z.infer<typeof cascadeSchema>;
export type SloConfig = z.infer<typeof sloSchema>;

// ---------------------------------------------------------------------------------------------
// Retries, budget, breaker

export const retryConfigSchema = z
  .object({
    /** retries of one upstream per request (fallbacks are counted separately) */
    max_retries: z.number().int().min(0).default(2),
    /** full-jitter backoff: sleep = random(0, min(max_delay_ms, base_delay_ms * 2^attempt)) */
    base_delay_ms: z.number().nonnegative().default(200),
    max_delay_ms: z.number().nonnegative().default(8_000),
    /** a retry-after longer than this is not waited for: the executor moves to a fallback instead */
    max_retry_after_ms: z.number().nonnegative().default(20_000),
    /** never retried, whatever x-should-retry says */
    never_retry: z.array(errorClassSchema).default(['quota', 'auth', 'client', 'not_found', 'aborted']),
    budget: z
      .object({
        /** retries allowed as a share of first attempts over the window */
        ratio: z.number().min(0).max(10).default(0.2),
        /** plus this many retries per second regardless of traffic */
        min_per_second: z.number().min(0).default(1),
        window_s: z.number().positive().default(10),
      })
      .strict()
      .default({ ratio: 0.2, min_per_second: 1, window_s: 10 }),
    breaker: z
      .object({
        enabled: z.boolean().default(true),
        /** open when failures / calls over the window reach this ... */
        error_rate: z.number().gt(0).max(1).default(0.5),
        /** ... with at least this many calls in the window */
        min_requests: z.number().int().positive().default(20),
        window_s: z.number().positive().default(10),
        /** how long it stays open before letting probes through */
        open_ms: z.number().positive().default(30_000),
        /** concurrent probe calls allowed while half-open */
        half_open_probes: z.number().int().positive().default(1),
        /** consecutive probe successes that close it */
        close_after: z.number().int().positive().default(2),
        /** distinct callers (team, else key) whose failures it takes to open it for everyone; one
         *  caller's failures open only that caller's own breaker */
        min_failing_callers: z.number().int().positive().default(2),
        /** failure classes a caller's own request can provoke (an upstream 500 on a bad body; a
         *  502/503/504 always counts for everyone): these open the shared breaker only from
         *  min_failing_callers distinct callers */
        caller_scoped_classes: z.array(errorClassSchema).default(['server', 'stream_error']),
        /** error classes that count as upstream failures (client errors do not) */
        failure_classes: z
          .array(errorClassSchema)
          .default(['rate_limit', 'overloaded', 'server', 'timeout', 'connection', 'stream_cut', 'stream_error']),
      })
      .strict()
      .default({
        enabled: true,
        error_rate: 0.5,
        min_requests: 20,
        window_s: 10,
        open_ms: 30_000,
        half_open_probes: 1,
        close_after: 2,
        min_failing_callers: 2,
        caller_scoped_classes: ['server', 'stream_error'],
        failure_classes: ['rate_limit', 'overloaded', 'server', 'timeout', 'connection', 'stream_cut', 'stream_error'],
      }),
    /** error classes that move to ctx.fallbacks when no route set its own list */
    fallback_on: z
      .array(errorClassSchema)
      .default(['rate_limit', 'quota', 'overloaded', 'server', 'timeout', 'connection', 'circuit_open']),
  })
  .strict()
  .default({
    max_retries: 2,
    base_delay_ms: 200,
    max_delay_ms: 8_000,
    max_retry_after_ms: 20_000,
    never_retry: ['quota', 'auth', 'client', 'not_found', 'aborted'],
    budget: { ratio: 0.2, min_per_second: 1, window_s: 10 },
    breaker: {
      enabled: true,
      error_rate: 0.5,
      min_requests: 20,
      window_s: 10,
      open_ms: 30_000,
      half_open_probes: 1,
      close_after: 2,
      min_failing_callers: 2,
      caller_scoped_classes: ['server', 'stream_error'],
      failure_classes: ['rate_limit', 'overloaded', 'server', 'timeout', 'connection', 'stream_cut', 'stream_error'],
    },
    fallback_on: ['rate_limit', 'quota', 'overloaded', 'server', 'timeout', 'connection', 'circuit_open'],
  });
export type RetryConfig = z.infer<typeof retryConfigSchema>;
