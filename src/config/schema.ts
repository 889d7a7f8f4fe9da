// The whole tollgate.yaml, validated once at start-up (strict: unknown keys stop start-up with the
// offending path), then frozen. Each lever owns the schema of its own section.

import { z } from 'zod';
import { providerConfigSchema } from '../providers/config.js';
import { priceOverridesSchema } from '../core/prices/config.js';
import { cacheConfigSchema } from '../levers/cache/config.js';
import { trimConfigSchema } from '../levers/trim/config.js';
import { routesConfigSchema, retryConfigSchema } from '../levers/router/config.js';
import { alertsConfigSchema } from '../alerts/config.js';
import { judgeConfigSchema } from '../quality/config.js';
import { telemetryConfigSchema } from '../telemetry/otel-config.js';
import { budgetsConfigSchema, rateLimitsConfigSchema, spendSettingsSchema } from '../spend/config.js';

const virtualKeySchema = z
  .object({
    /** a stable id for the ledger (never the key itself) */
    id: z.string().min(1),
    /** hex SHA-256 of the key; `tollgate keys hash <key>` prints it. Keys are never stored in clear. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters (SHA-256 of the key)'),
    /** a tenant admin sees and purges only its team's figures; an admin key with no team sees all */
    team: z.string().optional(),
    user: z.string().optional(),
    /** client: the model endpoints only; admin: also /admin/* and /metrics */
    role: z.enum(['admin', 'client']).default('client'),
  })
  .strict();

export const modelEntrySchema = z
  .object({
    /** the name clients ask for */
    name: z.string().min(1),
    /** a provider `name` from `providers:` */
    provider: z.string().min(1),
    /** the model id upstream; defaults to `name` */
    model: z.string().min(1).optional(),
    /** where to look the price up in the catalog; defaults to the provider's kind and the model id */
    price: z.object({ provider: z.string(), model: z.string() }).strict().optional(),
    /** per-model timeout for the whole upstream call, ms */
    timeoutMs: z.number().int().positive().optional(),
    /** the most output tokens the model can write: a budget's worst case for a request without max_tokens */
    maxOutputTokens: z.number().int().positive().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8787),
        /** largest request body accepted, bytes */
        bodyLimitBytes: z.number().int().positive().default(10 * 1024 * 1024),
        /** largest body the admin API accepts, bytes (its bodies are small filters) */
        adminBodyLimitBytes: z.number().int().positive().default(1024 * 1024),
        /** default upstream timeout, ms (per-model `timeoutMs` overrides) */
        requestTimeoutMs: z.number().int().positive().default(600_000),
        /** per-endpoint upstream timeouts, ms, e.g. { "/v1/embeddings": 30000 } */
        routeTimeouts: z.record(z.string(), z.number().int().positive()).default({}),
        /** time a client has to send the request line and headers, ms (then 408 and close) */
        headersTimeoutMs: z.number().int().positive().default(20_000),
        /** time a client has to send the whole request, headers and body, ms (then 408 and close) */
        bodyTimeoutMs: z.number().int().positive().default(60_000),
        /**
         * how long a kept-alive connection may sit idle between requests, ms; above the 60 s idle
         * timeout of common load balancers, so that they, not we, close first
         */
        keepAliveTimeoutMs: z.number().int().positive().default(65_000),
        /** open connections in total; connections beyond it are closed at once */
        maxConnections: z.number().int().positive().default(2048),
        /**
         * open connections per remote address (0 = no cap); off by default because behind a
         * reverse proxy every client has the proxy's address
         */
        maxConnectionsPerClient: z.number().int().nonnegative().default(0),
        /** connections with no request in flight kept open; beyond it the longest idle ones are closed */
        maxIdleConnections: z.number().int().positive().default(256),
        /** true: /metrics answers without a key; false: it needs an admin key with no team */
        publicMetrics: z.boolean().default(false),
        /**
         * records kept in memory for GET /v1/tollgate/requests/{id} (the newest; 0 turns the
         * endpoint's memory off); older requests are read with `tollgate ledger`
         */
        recentRecords: z.number().int().nonnegative().default(10_000),
      })
      .strict()
      .refine((s) => s.headersTimeoutMs <= s.bodyTimeoutMs, { message: 'headersTimeoutMs must not exceed bodyTimeoutMs (the whole request includes its headers)', path: ['headersTimeoutMs'] })
      // prefault: an absent section is parsed like {}, so the defaults above are stated once
      .prefault({}),
    /** where the ledger and caches live; TOLLGATE_DATA_DIR overrides */
    dataDir: z.string().default('./.tollgate'),
    auth: z
      .object({
        /**
         * keys: only the virtual keys below. demo: the keys below are still recognised (with their
         * role), and any other key, or none, is the demo client.
         */
        mode: z.enum(['demo', 'keys']).default('keys'),
        keys: z.array(virtualKeySchema).default([]),
      })
      .strict()
      .superRefine((auth, ctx) => {
        // one key, one identity: a hash listed twice would make its role and team ambiguous
        const seenHash = new Map<string, number>();
        const seenId = new Map<string, number>();
        auth.keys.forEach((k, i) => {
          const h = seenHash.get(k.sha256);
          if (h !== undefined) ctx.addIssue({ code: 'custom', path: ['keys', i, 'sha256'], message: `the same key as keys[${h}]` });
          else seenHash.set(k.sha256, i);
          const d = seenId.get(k.id);
          if (d !== undefined) ctx.addIssue({ code: 'custom', path: ['keys', i, 'id'], message: `duplicate key id "${k.id}" (keys[${d}])` });
          else seenId.set(k.id, i);
        });
      })
      .prefault({}),
    /** stored answers of the Responses API (`store`, `previous_response_id`, GET/DELETE /v1/responses/{id}) */
    responses: z
      .object({
        /** how long a stored response is kept, days (OpenAI keeps them 30 days) */
        ttlDays: z.number().positive().default(30),
        /** a larger response (its conversation's items and the answer, JSON) is answered but not stored, bytes */
        maxResponseBytes: z.number().int().positive().default(4 * 1024 * 1024),
        /** the cap on all stored responses together; the oldest go first, bytes */
        maxTotalBytes: z.number().int().positive().default(1024 * 1024 * 1024),
        /** how often expired responses are removed, ms */
        sweepIntervalMs: z.number().int().positive().default(10 * 60_000),
      })
      .strict()
      .refine((r) => r.maxResponseBytes <= r.maxTotalBytes, { message: 'maxResponseBytes must not exceed maxTotalBytes', path: ['maxResponseBytes'] })
      .prefault({}),
    providers: z.array(providerConfigSchema).min(1, 'at least one provider is needed'),
    models: z.array(modelEntrySchema).default([]),
    prices: priceOverridesSchema,
    cache: cacheConfigSchema,
    /** prompt trimming: history windows and budgets, summaries, retrieved-context top-k, by break-even */
    trim: trimConfigSchema,
    routes: routesConfigSchema,
    retry: retryConfigSchema,
    /** alert rules over the rollups, and where their notices go (src/alerts/) */
    alerts: alertsConfigSchema,
    /** the judge: graded samples of live answers and shadow evaluation of routes (src/quality/) */
    judge: judgeConfigSchema,
    /** OpenTelemetry export (OTLP/HTTP); OTEL_EXPORTER_OTLP_ENDPOINT turns it on too */
    telemetry: telemetryConfigSchema,
    /** dollar budgets per key, team, user and route, per calendar day or month */
    budgets: budgetsConfigSchema,
    /** requests and tokens per minute per key and team */
    rateLimits: rateLimitsConfigSchema,
    /** how budgets count: time zone, worst-case estimates, persistence, the notification webhook */
    spend: spendSettingsSchema,
    /**
     * Opt-in: keep each request's prompt (redacted: secrets and PII, see src/forecast/replay/redact.ts)
     * in <dataDir>/payloads.jsonl, so that `tollgate replay` can run recorded traffic with its prompts.
     */
    payloadStore: z
      .object({
        enabled: z.boolean().default(false),
        /** the file stops growing here; later payloads are counted as skipped */
        maxBytes: z.number().int().positive().default(256 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    /** the order of the levers in the request pipeline */
    // names are checked against the lever registry by the references pass
    pipeline: z.array(z.string().min(1)).default(['cache', 'router', 'trim', 'prompt-cache', 'execute']),
  })
  .strict();

export type TollgateConfig = z.infer<typeof configSchema>;
export type ModelEntry = z.infer<typeof modelEntrySchema>;
