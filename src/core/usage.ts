// Provider usage objects -> canonical disjoint buckets, and back. Each provider counts differently:
//  - OpenAI: prompt_tokens INCLUDES prompt_tokens_details.cached_tokens (and cache_write_tokens);
//    completion_tokens includes reasoning_tokens.
//  - Anthropic: input_tokens EXCLUDES cache_creation_input_tokens and cache_read_input_tokens.
//  - Gemini: promptTokenCount INCLUDES cachedContentTokenCount; billed output is
//    candidatesTokenCount + thoughtsTokenCount.

import type { Usage } from './canonical.js';

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

export interface OpenAIUsageWire {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number; [k: string]: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: number; [k: string]: unknown } | null;
}

export function usageFromOpenAI(u: OpenAIUsageWire | null | undefined): Usage {
  const prompt = n(u?.prompt_tokens);
  const cached = Math.min(n(u?.prompt_tokens_details?.cached_tokens), prompt);
  const written = Math.min(n(u?.prompt_tokens_details?.cache_write_tokens), prompt - cached);
  const output = n(u?.completion_tokens);
  return {
    input: prompt - cached - written,
    cacheRead: cached,
    // OpenAI does not split write TTLs; its writes are billed like the 5m tier where priced at all
    cacheWrite5m: written,
    cacheWrite1h: 0,
    output,
    reasoning: Math.min(n(u?.completion_tokens_details?.reasoning_tokens), output),
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

export interface AnthropicUsageWire {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number } | null;
  [k: string]: unknown;
}

export function usageFromAnthropic(u: AnthropicUsageWire | null | undefined): Usage {
  const created = n(u?.cache_creation_input_tokens);
  const w1h = n(u?.cache_creation?.ephemeral_1h_input_tokens);
  // When the TTL split is absent, every write is a 5-minute write (the default TTL).
  const w5m = u?.cache_creation ? n(u.cache_creation.ephemeral_5m_input_tokens) : created;
  return {
    input: n(u?.input_tokens),
    cacheRead: n(u?.cache_read_input_tokens),
    cacheWrite5m: w5m,
    cacheWrite1h: w1h,
    output: n(u?.output_tokens),
    reasoning: 0,
  };
}

/**
 * Anthropic streams report usage in message_start and (cumulatively) in message_delta, where some
 * fields may be absent or null: keep only the fields actually present, so later events can
 * override earlier ones field by field.
 */
export function partialUsageFromAnthropic(u: AnthropicUsageWire | null | undefined): Partial<Usage> {
  if (!u) return {};
  const out: Partial<Usage> = {};
  if (typeof u.input_tokens === 'number') out.input = n(u.input_tokens);
  if (typeof u.output_tokens === 'number') out.output = n(u.output_tokens);
  if (typeof u.cache_read_input_tokens === 'number') out.cacheRead = n(u.cache_read_input_tokens);
  if (u.cache_creation) {
    out.cacheWrite5m = n(u.cache_creation.ephemeral_5m_input_tokens);
    out.cacheWrite1h = n(u.cache_creation.ephemeral_1h_input_tokens);
  } else if (typeof u.cache_creation_input_tokens === 'number') {
    out.cacheWrite5m = n(u.cache_creation_input_tokens);
  }
  return out;
}

export function usageToAnthropic(u: Usage): {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
} {
  return {
    input_tokens: u.input,
    output_tokens: u.output,
    cache_creation_input_tokens: u.cacheWrite5m + u.cacheWrite1h,
    cache_read_input_tokens: u.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite5m, ephemeral_1h_input_tokens: u.cacheWrite1h },
  };
}

export interface GeminiUsageWire {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

export function usageFromGemini(u: GeminiUsageWire | null | undefined): Usage {
  const prompt = n(u?.promptTokenCount) + n(u?.toolUsePromptTokenCount);
  const cached = Math.min(n(u?.cachedContentTokenCount), prompt);
  const thoughts = n(u?.thoughtsTokenCount);
  return {
    input: prompt - cached,
    cacheRead: cached,
    cacheWrite5m: 0,
    cacheWrite1h: 0,
    output: n(u?.candidatesTokenCount) + thoughts,
    reasoning: thoughts,
  };
}

/** Merge a partial usage update into a running total (later values win, field by field). */
export function mergeUsage(base: Usage, update: Partial<Usage>): Usage {
  return { ...base, ...Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined)) } as Usage;
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    input: a.input + b.input,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite5m: a.cacheWrite5m + b.cacheWrite5m,
    cacheWrite1h: a.cacheWrite1h + b.cacheWrite1h,
    output: a.output + b.output,
    reasoning: a.reasoning + b.reasoning,
    estimated: a.estimated || b.estimated || undefined,
  };
}
