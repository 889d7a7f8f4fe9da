// The Anthropic adapter: Messages over one undici pool.

import type { ProviderConfig } from '../config.js';
import type { ProviderAdapter } from '../contract.js';
import { createHttpAdapter } from '../shared/http-adapter.js';
import { anthropicHeaders } from './headers.js';
import { splitBaseUrl } from '../shared/upstream-pool.js';
import { parseAnthropicMessagesResponse } from './parse-messages-response.js';
import { renderAnthropicMessagesRequest } from './render-messages-request.js';
import { createAnthropicStreamParser } from './stream-parser.js';
import { parseAnthropicCountTokensResponse, renderAnthropicCountTokensRequest } from './count-tokens.js';

export { ANTHROPIC_VERSION } from './headers.js';

export function createAnthropicAdapter(cfg: ProviderConfig): ProviderAdapter {
  // The SDK's base URL has no /v1 (https://api.anthropic.com); accept one written with it too.
  const chatPath = splitBaseUrl(cfg.baseUrl).basePath.endsWith('/v1') ? '/messages' : '/v1/messages';
  return createHttpAdapter(cfg, {
    kind: 'anthropic',
    wireFormat: 'anthropic',
    otelProviderName: cfg.otelProviderName ?? 'anthropic',
    chatPath,
    headers: anthropicHeaders,
    chatBody: (req, opts) =>
      opts.rawBody ?? Buffer.from(JSON.stringify(renderAnthropicMessagesRequest(req, opts.model, { maxTokensDefault: cfg.maxTokensDefault, dropThinking: opts.foreignSignatures }))),
    parseChatResponse: parseAnthropicMessagesResponse,
    createStreamParser: createAnthropicStreamParser,
    countTokens: {
      path: `${chatPath}/count_tokens`,
      body: (req, opts) => opts.rawBody ?? Buffer.from(JSON.stringify(renderAnthropicCountTokensRequest(req, opts.model))),
      parse: parseAnthropicCountTokensResponse,
    },
  });
}
