// Anthropic usage JSON <-> canonical Usage. input_tokens EXCLUDES cache_creation_input_tokens and
// cache_read_input_tokens; cache writes are split by TTL in cache_creation.ephemeral_{5m,1h}.

import type { Usage } from '../../core/canonical.js';
import { tokenCount as n } from '../../core/usage.js';

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
