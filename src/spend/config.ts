// Config of budgets and rate limits (`budgets:`, `rateLimits:` and `spend:` in tollgate.yaml). The
// names are the contract: budgets[] { scope, id, period, limitUsd, thresholds, action },
// rateLimits[] { scope, id, rpm, tpm }.
import { z } from 'zod';

export const BUDGET_SCOPES = ['key', 'team', 'user', 'route'] as const;
export const BUDGET_PERIODS = ['day', 'month'] as const;
export const BUDGET_ACTIONS = ['reject', 'downgrade', 'notify'] as const;
export const RATE_LIMIT_SCOPES = ['key', 'team'] as const;
export const DEFAULT_THRESHOLDS: readonly number[] = [0.5, 0.8, 0.95, 1];

export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
export type BudgetAction = (typeof BUDGET_ACTIONS)[number];

/** an IANA zone name Intl knows (e.g. Europe/Paris); checked here so a typo exits 2 at start */
export const timeZoneSchema = z.string().min(1).refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'unknown time zone (use an IANA name such as UTC or Europe/Paris)' },
);

export const budgetSchema = z
  .object({
    /** what the budget counts: one key, a team, a user, or a route (a routed model name) */
    scope: z.enum(BUDGET_SCOPES),
    /** the key id, team, user or route name */
    id: z.string().min(1).max(256),
    /** a calendar day or month, in `timeZone` */
    period: z.enum(BUDGET_PERIODS),
    /** dollars per period */
    limitUsd: z.number().positive().finite(),
    /** fractions of limitUsd at which a notification goes out (once per threshold per period) */
    thresholds: z.array(z.number().gt(0).max(1)).min(1).optional(),
    /**
     * reject: refuse (429) whatever would pass the limit. downgrade: from `downgradeAt` on, send
     * requests to the cheaper model (and still refuse at the limit). notify: a soft cap that only
     * notifies, never refuses (spend can pass the limit).
     */
    action: z.enum(BUDGET_ACTIONS).default('reject'),
    /** downgrade: the fraction of limitUsd from which requests go to the cheaper model */
    downgradeAt: z.number().gt(0).max(1).default(0.8),
    /** downgrade: the cheaper model (a `models:` name); default for a route: its first tier's first model */
    downgradeTo: z.string().min(1).optional(),
    /** the zone calendar days and months are counted in; default `spend.timeZone` */
    timeZone: timeZoneSchema.optional(),
  })
  .strict();

export const rateLimitSchema = z
  .object({
    scope: z.enum(RATE_LIMIT_SCOPES),
    id: z.string().min(1).max(256),
    /** requests per minute (a token bucket holding a minute's worth) */
    rpm: z.number().int().positive().optional(),
    /** tokens per minute: input tokens reserved before the call, settled with the real input + output after */
    tpm: z.number().int().positive().optional(),
  })
  .strict()
  .refine((r) => r.rpm !== undefined || r.tpm !== undefined, { message: 'a rate limit needs rpm, tpm or both' });

export const spendSettingsSchema = z
  .object({
    /** default zone of calendar-aligned budget periods */
    timeZone: timeZoneSchema.default('UTC'),
    /** the worst-case output of a request without max_tokens, for models with no `maxOutputTokens` */
    defaultMaxOutputTokens: z.number().int().positive().default(16_384),
    /**
     * input tokens are counted with o200k (exact for OpenAI's models); other vendors' tokenizers are
     * not public, so their count is multiplied by this for the worst case
     */
    otherTokenizerMargin: z.number().min(1).max(4).default(1.25),
    /** how often spend is written to <dataDir>/counters.db (off the request path) */
    flushMs: z.number().int().positive().default(250),
    /** threshold notifications: a JSON POST to this URL */
    webhook: z
      .object({
        url: z.url(),
        /** environment variable holding the HMAC-SHA256 secret: x-tollgate-signature: sha256=<hex> */
        secretEnv: z.string().min(1).optional(),
        timeoutMs: z.number().int().positive().default(5_000),
      })
      .strict()
      .optional(),
  })
  .strict()
  .prefault({});

export const budgetsConfigSchema = z.array(budgetSchema).default([]);
export const rateLimitsConfigSchema = z.array(rateLimitSchema).default([]);

export type BudgetConfig = z.infer<typeof budgetSchema>;
export type RateLimitConfig = z.infer<typeof rateLimitSchema>;
export type SpendSettings = z.infer<typeof spendSettingsSchema>;
