// The `alerts:` config section: channels (where notices go) and rules (what is watched). Names are
// the issue's contract: alerts.channels[] (name, type, url, secret), alerts.rules[] (name, metric,
// threshold, window, scope, channels), alerts.intervalSeconds.

import { z } from 'zod';

export const ALERT_METRICS = [
  'spend_usd',
  'cost_per_request_usd',
  'cost_per_session_usd',
  'tokens',
  'cache_hit_rate',
  'expensive_model_share',
  'error_rate',
  'p95_latency_ms',
] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

/** `5m`, `1h`, `1d` (at most 31 days: the rollups answer any range, the evaluator reads one per rule) */
export const WINDOW = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** how far back the per-session and per-user tallies go */
export const TALLY_RETENTION_MS = 86_400_000;

export function windowMs(w: string): number {
  const m = WINDOW.exec(w);
  if (!m) throw new Error(`window "${w}" is not like 5m, 1h or 1d`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const windowSchema = z
  .string()
  .regex(WINDOW, 'a window is a number and m, h or d (5m, 1h, 1d)')
  .refine((w) => !WINDOW.test(w) || (windowMs(w) >= 60_000 && windowMs(w) <= 31 * 86_400_000), 'a window is between 1m and 31d');

export const channelSchema = z
  .object({
    name: z.string().min(1).max(64),
    type: z.enum(['webhook', 'slack']),
    url: z.string().url(),
    /** HMAC-SHA256 key: notices carry x-tollgate-signature: sha256=<hex of the body> */
    secret: z.string().min(1).optional(),
    timeoutMs: z.number().int().positive().default(5_000),
  })
  .strict();

export const scopeSchema = z
  .object({
    route: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    team: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    /** a user's own spend (spend_usd only): the evaluator keeps a bounded per-user tally */
    user: z.string().min(1).optional(),
  })
  .strict();

/** what a firing rule does besides notifying: set a flag (and unset it when the rule resolves) */
export const actionSchema = z
  .object({
    setFlag: z
      .object({
        name: z.string().min(1),
        value: z.union([z.boolean(), z.string(), z.number()]).default(true),
        target: z.string().min(1).optional(),
        overlay: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    /** unset the flag when the rule resolves (default true) */
    revertOnResolve: z.boolean().default(true),
  })
  .strict();

export const ruleSchema = z
  .object({
    name: z.string().min(1).max(128),
    metric: z.enum(ALERT_METRICS),
    /** fires when the value is above it (below it for cache_hit_rate); for `spike`, how many MADs above the median */
    threshold: z.number().finite(),
    window: windowSchema.default('5m'),
    scope: scopeSchema.optional(),
    /** channel names; default every channel */
    channels: z.array(z.string().min(1)).optional(),
    /** 'above' (default) or 'below' (default for cache_hit_rate) */
    direction: z.enum(['above', 'below']).optional(),
    /**
     * tokens: compare the window with the trailing `trailing` windows before it, robustly (median
     * and MAD): fires when (value - median) / (1.4826 MAD) > threshold
     */
    spike: z.object({ trailing: z.number().int().min(4).max(96).default(12) }).strict().optional(),
    /**
     * spend_usd: a burn-rate rule. threshold is the month's budget; the value is the month's
     * projected spend at the window's pace, and the notice says on which day the budget runs out
     */
    burnRate: z.boolean().optional(),
    /** expensive_model_share: the models that count as expensive */
    models: z.array(z.string().min(1)).optional(),
    /** rates and percentiles over fewer requests than this say nothing: the rule stays as it is */
    minRequests: z.number().int().nonnegative().default(10),
    action: actionSchema.optional(),
  })
  .strict()
  .refine((r) => r.metric !== 'expensive_model_share' || (r.models?.length ?? 0) > 0, { message: 'expensive_model_share needs `models` (the expensive ones)', path: ['models'] })
  .refine((r) => !r.spike || r.metric === 'tokens' || r.metric === 'spend_usd', { message: 'spike detection is for tokens and spend_usd', path: ['spike'] })
  .refine((r) => !r.burnRate || r.metric === 'spend_usd', { message: 'burnRate is for spend_usd', path: ['burnRate'] })
  .refine((r) => r.scope?.user === undefined || r.metric === 'spend_usd' || r.metric === 'cost_per_session_usd', { message: 'a user scope is for spend_usd and cost_per_session_usd', path: ['scope', 'user'] })
  .refine((r) => !(r.metric === 'cost_per_session_usd' || r.scope?.user !== undefined) || !WINDOW.test(r.window) || windowMs(r.window) <= TALLY_RETENTION_MS, {
    message: 'per-session and per-user rules look back at most 24h (their tallies are kept in memory, bounded)',
    path: ['window'],
  });

export const alertsConfigSchema = z
  .object({
    intervalSeconds: z.number().int().min(1).max(3600).default(60),
    /** the dashboard's public address, for links in notices (default: the gateway's own) */
    dashboardUrl: z.string().url().optional(),
    channels: z.array(channelSchema).default([]),
    rules: z.array(ruleSchema).default([]),
    /**
     * a notice when a lever tightens itself on live quality evidence (the router's classifier, the
     * semantic cache's threshold; see judge:), to these channels (default every channel)
     */
    tightening: z.object({ enabled: z.boolean().default(true), channels: z.array(z.string().min(1)).optional() }).strict().prefault({}),
  })
  .strict()
  .superRefine((a, ctx) => {
    const names = new Set(a.channels.map((c) => c.name));
    if (names.size !== a.channels.length) ctx.addIssue({ code: 'custom', path: ['channels'], message: 'channel names must be unique' });
    for (const c of a.tightening.channels ?? []) if (!names.has(c)) ctx.addIssue({ code: 'custom', path: ['tightening', 'channels'], message: `unknown channel "${c}" (channels: ${[...names].join(', ') || 'none'})` });
    const rules = new Set<string>();
    a.rules.forEach((r, i) => {
      if (rules.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name "${r.name}"` });
      rules.add(r.name);
      for (const c of r.channels ?? []) if (!names.has(c)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'channels'], message: `unknown channel "${c}" (channels: ${[...names].join(', ') || 'none'})` });
    });
  })
  .prefault({});

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;
export type AlertRule = z.infer<typeof ruleSchema>;
export type AlertChannel = z.infer<typeof channelSchema>;
