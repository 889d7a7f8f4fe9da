// The `telemetry` config section: OpenTelemetry export over OTLP/HTTP. Off unless an endpoint is
// set here or in the standard OTEL_EXPORTER_OTLP_ENDPOINT environment variable (config wins).

import { z } from 'zod';

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), { message: 'must be an http:// or https:// URL (OTLP/HTTP)' });

export const telemetryConfigSchema = z
  .object({
    /**
     * the collector's OTLP/HTTP base URL, e.g. http://localhost:4318: traces go to /v1/traces and
     * metrics to /v1/metrics under it (as with OTEL_EXPORTER_OTLP_ENDPOINT)
     */
    endpoint: httpUrl.optional(),
    /** headers on every export (a collector's API key); default: OTEL_EXPORTER_OTLP_HEADERS */
    headers: z.record(z.string(), z.string()).optional(),
    /** service.name of the resource; default: OTEL_SERVICE_NAME, else 'tollgate' */
    serviceName: z.string().min(1).optional(),
    /** share of request traces kept (a caller's sampled traceparent is always followed) */
    samplingRatio: z.number().min(0).max(1).default(1),
    traces: z.boolean().default(true),
    metrics: z.boolean().default(true),
    /** how often metrics are exported, ms */
    exportIntervalMs: z.number().int().min(100).default(60_000),
    /** how long one export may take, ms */
    exportTimeoutMs: z.number().int().positive().default(30_000),
    /** finished spans kept waiting for export; beyond it spans are dropped (and counted) */
    maxQueueSize: z.number().int().positive().default(2048),
    /** spans per export request */
    maxExportBatchSize: z.number().int().positive().default(512),
    /** longest a finished span waits before its batch is sent, ms */
    scheduledDelayMs: z.number().int().min(0).default(5000),
  })
  .strict()
  .refine((t) => t.maxExportBatchSize <= t.maxQueueSize, { message: 'maxExportBatchSize must not exceed maxQueueSize', path: ['maxExportBatchSize'] })
  .prefault({});

export type TelemetryConfig = z.infer<typeof telemetryConfigSchema>;
