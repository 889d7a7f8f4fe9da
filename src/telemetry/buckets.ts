// Histogram bucket boundaries (seconds or tokens). The gen_ai_* ones are the
// ExplicitBucketBoundaries the OpenTelemetry GenAI semantic conventions advise for each metric
// (docs/gen-ai/gen-ai-metrics.md); keeping them identical lets dashboards built for the
// convention read Tollgate's metrics unchanged.

/** gen_ai.client.operation.duration and gen_ai.server.request.duration */
export const GEN_AI_DURATION_BUCKETS: readonly number[] = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

/** gen_ai.server.time_to_first_token */
export const GEN_AI_TTFT_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

/** gen_ai.server.time_per_output_token */
export const GEN_AI_TPOT_BUCKETS: readonly number[] = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];

/** gen_ai.client.token.usage */
export const GEN_AI_TOKEN_BUCKETS: readonly number[] = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/**
 * Tollgate's own overhead (no convention exists): fine-grained below a millisecond, where the
 * gateway's target lies (added p99 <= 1 ms), coarse above, where something is wrong.
 */
export const GATEWAY_OVERHEAD_BUCKETS: readonly number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
