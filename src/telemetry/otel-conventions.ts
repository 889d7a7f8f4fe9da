// The OpenTelemetry GenAI semantic-convention names Tollgate emits, copied rather than imported:
// they live in @opentelemetry/semantic-conventions' `/incubating` entry, whose README says not to
// import it at runtime (its minor versions may break). Source: the last in-tree GenAI docs of
// open-telemetry/semantic-conventions (see ../shared/reference/wire-and-telemetry-facts.md §1);
// every GenAI name is still "Development".

import { GEN_AI_DURATION_BUCKETS, GEN_AI_TOKEN_BUCKETS, GEN_AI_TPOT_BUCKETS, GEN_AI_TTFT_BUCKETS } from './buckets.js';

export const ATTR = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  /** deprecated since v1.37 (renamed gen_ai.provider.name); sent too, for backends that still read it */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  requestStream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  responseTimeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  conversationId: 'gen_ai.conversation.id',
  /** all input tokens, cached ones included */
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  usageCacheCreationInputTokens: 'gen_ai.usage.cache_creation.input_tokens',
  usageReasoningOutputTokens: 'gen_ai.usage.reasoning.output_tokens',
  tokenType: 'gen_ai.token.type',
  errorType: 'error.type',
  httpStatus: 'http.response.status_code',
} as const;

export interface HistogramSpec {
  name: string;
  unit: string;
  description: string;
  buckets: readonly number[];
}

/** the GenAI metrics, with the units and ExplicitBucketBoundaries advice the conventions give */
export const GEN_AI_METRICS = {
  tokenUsage: { name: 'gen_ai.client.token.usage', unit: '{token}', description: 'Tokens per upstream call by type, as the provider billed them (input includes cached input).', buckets: GEN_AI_TOKEN_BUCKETS },
  operationDuration: { name: 'gen_ai.client.operation.duration', unit: 's', description: 'Duration of each upstream call the gateway made.', buckets: GEN_AI_DURATION_BUCKETS },
  serverRequestDuration: { name: 'gen_ai.server.request.duration', unit: 's', description: 'End-to-end time of a request through the gateway.', buckets: GEN_AI_DURATION_BUCKETS },
  serverTimeToFirstToken: { name: 'gen_ai.server.time_to_first_token', unit: 's', description: 'Time from receipt to the first content token, streaming requests only.', buckets: GEN_AI_TTFT_BUCKETS },
  serverTimePerOutputToken: { name: 'gen_ai.server.time_per_output_token', unit: 's', description: '(duration - TTFT) / (output tokens - 1), streaming requests with more than one output token.', buckets: GEN_AI_TPOT_BUCKETS },
} as const satisfies Record<string, HistogramSpec>;
