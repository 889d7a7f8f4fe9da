// Responses API usage JSON <-> canonical Usage. Like Chat Completions, input_tokens INCLUDES
// input_tokens_details.cached_tokens (and cache writes), and output_tokens includes
// output_tokens_details.reasoning_tokens; only the field names differ.

import type { Usage } from '../../core/canonical.js';
import { openAIUsage } from '../openai/usage.js';

export interface ResponsesUsageWire {
  input_tokens?: number;
  input_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number; [k: string]: unknown } | null;
  output_tokens?: number;
  output_tokens_details?: { reasoning_tokens?: number; [k: string]: unknown } | null;
  total_tokens?: number;
}

export function usageFromResponses(u: ResponsesUsageWire | null | undefined): Usage {
  return openAIUsage(u?.input_tokens, u?.input_tokens_details?.cached_tokens, u?.input_tokens_details?.cache_write_tokens, u?.output_tokens, u?.output_tokens_details?.reasoning_tokens);
}

export function usageToResponses(u: Usage): Required<Pick<ResponsesUsageWire, 'input_tokens' | 'output_tokens' | 'total_tokens'>> & {
  input_tokens_details: { cached_tokens: number };
  output_tokens_details: { reasoning_tokens: number };
} {
  // cache writes (Anthropic) are input the model read; the client's total must include them
  const input = u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheRead },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: input + u.output,
  };
}
