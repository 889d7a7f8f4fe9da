// POST /v1/messages/count_tokens: the request (a Messages body without max_tokens) and the answer
// ({"input_tokens": n}), both ways: as the server speaks it to a client and as the adapter sends
// it to Anthropic.

import type { ChatRequest } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import { isObject, num } from '../shared/json.js';
import { parseAnthropicMessagesRequest } from './parse-messages-request.js';
import { renderAnthropicMessagesRequest } from './render-messages-request.js';

export const COUNT_TOKENS_PATH = '/v1/messages/count_tokens';

/** the fields count_tokens takes; a Messages body's others (max_tokens, stream, sampling) are dropped */
const COUNTED = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers']);

export function parseAnthropicCountTokensRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw new GatewayError('invalid_request', 'The request body must be a JSON object.', { param: 'body' });
  // the Messages parser checks everything count_tokens shares with it; max_tokens is not one of them
  const req = parseAnthropicMessagesRequest({ ...body, max_tokens: 1, stream: false });
  delete req.maxTokens;
  for (const k of Object.keys(req.extra)) if (!COUNTED.has(k)) delete req.extra[k];
  return req;
}

export function renderAnthropicCountTokensRequest(req: ChatRequest, model: string): Record<string, unknown> {
  const full = renderAnthropicMessagesRequest({ ...req, stream: false }, model);
  const out: Record<string, unknown> = {};
  for (const k of COUNTED) if (full[k] !== undefined) out[k] = full[k];
  return out;
}

export function renderAnthropicCountTokensResponse(inputTokens: number): Record<string, unknown> {
  return { input_tokens: inputTokens };
}

export function parseAnthropicCountTokensResponse(json: unknown): number {
  const n = isObject(json) ? num(json.input_tokens) : undefined;
  if (n === undefined || n < 0) throw new GatewayError('upstream_error', 'The upstream answered count_tokens without input_tokens.');
  return n;
}
