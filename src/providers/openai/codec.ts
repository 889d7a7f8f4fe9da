// The OpenAI wire format as the server speaks it to a client: Chat Completions and Embeddings.

import { retryAfterHeaders, type RateLimitHeaderInfo, type WireCodec } from '../codec.js';
import type { ModelInfo } from '../contract.js';
import { hasSseField } from '../shared/sse-line.js';
import { parseOpenAIEmbeddingsRequest, renderOpenAIEmbeddingsResponse } from './embeddings.js';
import { renderOpenAIError } from './error.js';
import { parseOpenAIChatRequest } from './parse-chat-request.js';
import { parseOpenAIChatResponse } from './parse-chat-response.js';
import { renderOpenAIChatResponse } from './render-chat-response.js';
import { createOpenAIStreamParser } from './stream-parser.js';
import { createOpenAIStreamRenderer } from './stream-renderer.js';

export function isOpenAITerminalChunk(raw: Buffer): boolean {
  return hasSseField(raw, 'data', '[DONE]');
}

const USAGE_ONLY_CHOICES = /"choices"\s*:\s*(\[\s*\]|null)/;

/**
 * Removes the usage-only chunk (`"choices":[]`, or `null` from vLLM, with a usage object) that the
 * gateway asked an OpenAI-format upstream for on the client's behalf. Works on whole SSE events
 * (what the stream parsers hand out); every other byte passes untouched.
 */
export function stripOpenAIInjectedUsage(raw: Buffer): Buffer {
  if (raw.indexOf('"usage":{') === -1) return raw;
  const events = raw.toString('utf8').split(/(?<=\r\n\r\n|\n\n|\r\r)/);
  const kept = events.filter((e) => !(e.includes('"usage":{') && USAGE_ONLY_CHOICES.test(e)));
  return kept.length === events.length ? raw : Buffer.from(kept.join(''), 'utf8');
}

/** OpenAI's reset durations: "20ms", "1s", "1.5s", "6m0s" */
export function openAIDuration(ms: number): string {
  const v = Math.max(0, Math.ceil(ms));
  if (v < 1000) return `${v}ms`;
  const totalS = v / 1000;
  const m = Math.floor(totalS / 60);
  const s = Math.round((totalS - m * 60) * 1000) / 1000;
  return m > 0 ? `${m}m${s}s` : `${s}s`;
}

// spelled out, not built from `${kind}`: these headers go on every answer under a rate limit, and
// names built per call were most of the rate-limit decision's time
export function openAIRateLimitHeaders(info: RateLimitHeaderInfo): Record<string, string> {
  const h: Record<string, string> = retryAfterHeaders(info.retryAfterMs);
  const rq = info.requests;
  if (rq) {
    h['x-ratelimit-limit-requests'] = String(rq.limit);
    h['x-ratelimit-remaining-requests'] = String(rq.remaining);
    h['x-ratelimit-reset-requests'] = openAIDuration(rq.resetMs);
  }
  const tk = info.tokens;
  if (tk) {
    h['x-ratelimit-limit-tokens'] = String(tk.limit);
    h['x-ratelimit-remaining-tokens'] = String(tk.remaining);
    h['x-ratelimit-reset-tokens'] = openAIDuration(tk.resetMs);
  }
  return h;
}

export const openAICodec: WireCodec = {
  format: 'openai',
  endpoints: { chat: '/v1/chat/completions', embeddings: '/v1/embeddings' },
  parseChatRequest: parseOpenAIChatRequest,
  renderChatResponse: renderOpenAIChatResponse,
  createStreamRenderer: createOpenAIStreamRenderer,
  streamStartReportsInput: false,
  renderError: renderOpenAIError,
  parseChatResponse: parseOpenAIChatResponse,
  createStreamParser: createOpenAIStreamParser,
  isTerminalChunk: isOpenAITerminalChunk,
  stripInjectedUsage: stripOpenAIInjectedUsage,
  streamUsageOnlyWhenAsked: true,
  renderModelList(models) {
    return { object: 'list', data: models.map(modelEntry) };
  },
  renderModel: modelEntry,
  // OpenAI is the format a request without any format marker gets (the registry's default)
  claimsHeaders: () => false,
  embeddings: { parseRequest: parseOpenAIEmbeddingsRequest, renderResponse: renderOpenAIEmbeddingsResponse },
  rateLimitHeaders: openAIRateLimitHeaders,
};

function modelEntry(m: ModelInfo): Record<string, unknown> {
  return { id: m.id, object: 'model', created: m.created ?? Math.floor(Date.now() / 1000), owned_by: m.ownedBy ?? 'tollgate' };
}
