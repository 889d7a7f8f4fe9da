// The Anthropic wire format as the server speaks it to a client: Messages (no embeddings endpoint).

import type { ModelInfo } from '../contract.js';
import { retryAfterHeaders, type RateLimitHeaderInfo, type WireCodec } from '../codec.js';
import { hasSseField } from '../shared/sse-line.js';
import { renderAnthropicError } from './error.js';
import { parseAnthropicMessagesRequest } from './parse-messages-request.js';
import { parseAnthropicMessagesResponse } from './parse-messages-response.js';
import { renderAnthropicMessagesResponse } from './render-messages-response.js';
import { createAnthropicStreamParser } from './stream-parser.js';
import { createAnthropicStreamRenderer } from './stream-renderer.js';
import { ANTHROPIC_VERSION_HEADER } from './headers.js';
import { COUNT_TOKENS_PATH, parseAnthropicCountTokensRequest, renderAnthropicCountTokensResponse } from './count-tokens.js';

/** the created_at a model gets when its creation time is unknown (the list must carry one) */
const UNKNOWN_CREATED_AT = '2025-01-01T00:00:00Z';

export function isAnthropicTerminalChunk(raw: Buffer): boolean {
  return hasSseField(raw, 'event', 'message_stop');
}

function createdAt(epochSeconds: number | undefined): string {
  if (epochSeconds === undefined || !Number.isFinite(epochSeconds)) return UNKNOWN_CREATED_AT;
  // RFC 3339 to the second, as the Models API writes it
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Anthropic's rate-limit headers: limit, remaining, and the RFC 3339 instant the allowance is full again */
// spelled out, not built from `${kind}`: these headers go on every answer under a rate limit
export function anthropicRateLimitHeaders(info: RateLimitHeaderInfo, now: number): Record<string, string> {
  const h: Record<string, string> = retryAfterHeaders(info.retryAfterMs);
  const rq = info.requests;
  if (rq) {
    h['anthropic-ratelimit-requests-limit'] = String(rq.limit);
    h['anthropic-ratelimit-requests-remaining'] = String(rq.remaining);
    h['anthropic-ratelimit-requests-reset'] = resetAt(now, rq.resetMs);
  }
  const tk = info.tokens;
  if (tk) {
    h['anthropic-ratelimit-tokens-limit'] = String(tk.limit);
    h['anthropic-ratelimit-tokens-remaining'] = String(tk.remaining);
    h['anthropic-ratelimit-tokens-reset'] = resetAt(now, tk.resetMs);
  }
  return h;
}

/** RFC 3339 to the second, rounded up: when the limit is full again */
const resetAt = (now: number, resetMs: number): string => new Date(now + Math.max(0, Math.ceil(resetMs / 1000) * 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const anthropicCodec: WireCodec = {
  format: 'anthropic',
  endpoints: { chat: '/v1/messages' },
  parseChatRequest: parseAnthropicMessagesRequest,
  renderChatResponse: renderAnthropicMessagesResponse,
  // Anthropic streams always carry usage: includeUsage does not apply
  createStreamRenderer: (opts) => createAnthropicStreamRenderer({ model: opts.model, id: opts.id, inputTokens: opts.inputTokens }),
  streamStartReportsInput: true,
  renderError: renderAnthropicError,
  parseChatResponse: parseAnthropicMessagesResponse,
  createStreamParser: createAnthropicStreamParser,
  isTerminalChunk: isAnthropicTerminalChunk,
  // the gateway never asks an Anthropic upstream for anything a client did not
  stripInjectedUsage: (raw) => raw,
  streamUsageOnlyWhenAsked: false,
  renderModelList(models) {
    const data = models.map(modelEntry);
    return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  },
  // every Anthropic SDK request carries anthropic-version (the API rejects one without it)
  claimsHeaders: (headers) => headers[ANTHROPIC_VERSION_HEADER] !== undefined,
  renderModel: modelEntry,
  countTokens: { endpoint: COUNT_TOKENS_PATH, parseRequest: parseAnthropicCountTokensRequest, renderResponse: renderAnthropicCountTokensResponse },
  rateLimitHeaders: anthropicRateLimitHeaders,
};

function modelEntry(m: ModelInfo): Record<string, unknown> {
  return { type: 'model', id: m.id, display_name: m.displayName ?? m.id, created_at: createdAt(m.created) };
}
