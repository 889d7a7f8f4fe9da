// OpenAI usage JSON <-> canonical Usage. prompt_tokens INCLUDES prompt_tokens_details.cached_tokens
// (and cache_write_tokens); completion_tokens includes reasoning_tokens. Shared by every
// OpenAI-compatible vendor (vLLM, Gemini's OpenAI endpoint, ...).

import type { Usage } from '../../core/canonical.js';
import { tokenCount as n } from '../../core/usage.js';

export interface OpenAIUsageWire {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number; [k: string]: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: number; [k: string]: unknown } | null;
}

export function usageFromOpenAI(u: OpenAIUsageWire | null | undefined): Usage {
  return openAIUsage(u?.prompt_tokens, u?.prompt_tokens_details?.cached_tokens, u?.prompt_tokens_details?.cache_write_tokens, u?.completion_tokens, u?.completion_tokens_details?.reasoning_tokens);
}

/**
 * OpenAI's counts (either API's names) into disjoint buckets: its prompt total includes cached and
 * written tokens, its output total includes reasoning.
 */
export function openAIUsage(promptTokens: unknown, cachedTokens: unknown, writtenTokens: unknown, outputTokens: unknown, reasoningTokens: unknown): Usage {
  const prompt = n(promptTokens);
  const cached = Math.min(n(cachedTokens), prompt);
  const written = Math.min(n(writtenTokens), prompt - cached);
  const output = n(outputTokens);
  return {
    input: prompt - cached - written,
    cacheRead: cached,
    // OpenAI does not split write TTLs; its writes are billed like the 5m tier where priced at all
    cacheWrite5m: written,
    cacheWrite1h: 0,
    output,
    reasoning: Math.min(n(reasoningTokens), output),
  };
}

export function usageToOpenAI(u: Usage): Required<Pick<OpenAIUsageWire, 'prompt_tokens' | 'completion_tokens' | 'total_tokens'>> & {
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens?: number };
  completion_tokens_details: { reasoning_tokens: number };
} {
  const prompt = u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h;
  const written = u.cacheWrite5m + u.cacheWrite1h;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: written > 0 ? { cached_tokens: u.cacheRead, cache_write_tokens: written } : { cached_tokens: u.cacheRead },
    completion_tokens_details: { reasoning_tokens: u.reasoning },
  };
}
