// The OpenAI adapter: Chat Completions and Embeddings over one undici pool. Also the shared base of
// every OpenAI-compatible vendor (see ../openai-compatible/).

import type { ChatRequest } from '../../core/canonical.js';
import type { ProviderConfig } from '../config.js';
import type { CallOptions, ProviderAdapter } from '../contract.js';
import { createHttpAdapter, type VendorSpec } from '../shared/http-adapter.js';
import { isObject, tryParseJson } from '../shared/json.js';
import { parseOpenAIEmbeddingsResponse, renderOpenAIEmbeddingsRequest } from './embeddings.js';
import { parseOpenAIChatResponse } from './parse-chat-response.js';
import { renderOpenAIChatRequest, type RenderOpenAIRequestOptions } from './render-chat-request.js';
import { createOpenAIStreamParser } from './stream-parser.js';
import { parseResponsesResponse } from '../openai-responses/parse-response.js';
import { createResponsesStreamParser } from '../openai-responses/stream-parser.js';

export interface OpenAIVendorOptions {
  kind?: string;
  otelProviderName?: string;
  maxTokensField?: RenderOpenAIRequestOptions['maxTokensField'];
  /** the upstream serves the Responses API at /responses (OpenAI does; most compatible servers do not) */
  responses?: boolean;
}

/**
 * The request body for an OpenAI-format upstream. Streams always ask for the usage chunk, so usage
 * is always known; the server drops that chunk when the client did not ask for it. On the fast
 * path the client's bytes go out untouched unless that flag must be added.
 */
export function openAIChatBody(req: ChatRequest, opts: CallOptions, render: RenderOpenAIRequestOptions): Buffer {
  if (opts.rawBody) {
    if (!req.stream || req.includeUsage) return opts.rawBody;
    const json = tryParseJson(opts.rawBody.toString('utf8'));
    if (isObject(json)) {
      const so = isObject(json.stream_options) ? json.stream_options : {};
      json.stream_options = { ...so, include_usage: true };
      return Buffer.from(JSON.stringify(json));
    }
  }
  return Buffer.from(JSON.stringify(renderOpenAIChatRequest(req, opts.model, { ...render, forceIncludeUsage: true })));
}

export function openAIVendorSpec(cfg: ProviderConfig, vendor: OpenAIVendorOptions = {}): VendorSpec {
  const render: RenderOpenAIRequestOptions = { maxTokensField: vendor.maxTokensField ?? 'max_completion_tokens' };
  return {
    kind: vendor.kind ?? 'openai',
    wireFormat: 'openai',
    streamUsageOnlyWhenAsked: true,
    otelProviderName: cfg.otelProviderName ?? vendor.otelProviderName ?? 'openai',
    chatPath: '/chat/completions',
    embeddingsPath: '/embeddings',
    headers: (apiKey): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    chatBody: (req, opts) => openAIChatBody(req, opts, render),
    parseChatResponse: parseOpenAIChatResponse,
    createStreamParser: createOpenAIStreamParser,
    embeddingsBody: (req, model) => Buffer.from(JSON.stringify(renderOpenAIEmbeddingsRequest(req, model))),
    parseEmbeddingsResponse: parseOpenAIEmbeddingsResponse,
    ...(vendor.responses === false
      ? {}
      : { alsoSpeaks: { 'openai-responses': { chatPath: '/responses', parseChatResponse: parseResponsesResponse, createStreamParser: createResponsesStreamParser } } }),
  };
}

export function createOpenAIAdapter(cfg: ProviderConfig): ProviderAdapter {
  return createHttpAdapter(cfg, openAIVendorSpec(cfg));
}
