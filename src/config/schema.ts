// The whole tollgate.yaml, validated once at start-up (strict: unknown keys stop start-up with the
// offending path), then frozen. Each lever owns the schema of its own section.

import { z } from 'zod';
import { providerConfigSchema } from '../providers/config.js';
import { priceOverridesSchema } from '../core/prices/config.js';
import { cacheConfigSchema } from '../levers/cache/config.js';
import { routesConfigSchema, retryConfigSchema } from '../levers/router/config.js';

const virtualKeySchema = z
  .object({
    /** a stable id for the ledger (never the key itself) */
    id: z.string().min(1),
    /** hex SHA-256 of the key; `tollgate keys hash <key>` prints it. Keys are never stored in clear. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters (SHA-256 of the key)'),
    team: z.string().optional(),
    user: z.string().optional(),
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
        /** default upstream timeout, ms (per-model `timeoutMs` overrides) */
        requestTimeoutMs: z.number().int().positive().default(600_000),
        /** per-endpoint upstream timeouts, ms, e.g. { "/v1/embeddings": 30000 } */
        routeTimeouts: z.record(z.string(), z.number().int().positive()).default({}),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8787, bodyLimitBytes: 10 * 1024 * 1024, requestTimeoutMs: 600_000, routeTimeouts: {} }),
    /** where the ledger and caches live; TOLLGATE_DATA_DIR overrides */
    dataDir: z.string().default('./.tollgate'),
    auth: z
      .object({
        /** demo: any key (or none) is accepted as the demo caller; keys: only the virtual keys below */
        mode: z.enum(['demo', 'keys']).default('keys'),
        keys: z.array(virtualKeySchema).default([]),
      })
      .strict()
      .default({ mode: 'keys', keys: [] }),
    providers: z.array(providerConfigSchema).min(1, 'at least one provider is needed'),
    models: z.array(modelEntrySchema).default([]),
    prices: priceOverridesSchema,
    cache: cacheConfigSchema,
    routes: routesConfigSchema,
    retry: retryConfigSchema,
    /** the order of the levers in the request pipeline */
    pipeline: z.array(z.enum(['cache', 'router', 'prompt-cache', 'execute'])).default(['cache', 'router', 'prompt-cache', 'execute']),
  })
  .strict();

export type TollgateConfig = z.infer<typeof configSchema>;
export type ModelEntry = z.infer<typeof modelEntrySchema>;
