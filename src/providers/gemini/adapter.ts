// The Gemini API's native adapter (kind `gemini`): POST {baseUrl}/models/{model}:generateContent,
// and :streamGenerateContent?alt=sse for streams, with the key in x-goog-api-key. The base URL is
// the API version's root, https://generativelanguage.googleapis.com/v1beta. Its usage
// (usageMetadata: cached content, thoughts) is priced right by ./usage.ts.

import type { ProviderConfig } from '../config.js';
import type { ProviderAdapter } from '../contract.js';
import { createHttpAdapter } from '../shared/http-adapter.js';
import { createGeminiStreamParser, parseGeminiResponse, renderGeminiRequest } from './wire.js';

export function createGeminiAdapter(cfg: ProviderConfig): ProviderAdapter {
  return createHttpAdapter(cfg, {
    kind: 'gemini',
    wireFormat: 'gemini',
    otelProviderName: cfg.otelProviderName ?? 'gcp.gemini',
    chatPath: (model, stream) => `/models/${encodeURIComponent(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
    headers: (apiKey): Record<string, string> => (apiKey ? { 'x-goog-api-key': apiKey } : {}),
    // the client's bytes are never Gemini's (no client speaks it here): always rendered
    chatBody: (req) => Buffer.from(JSON.stringify(renderGeminiRequest(req))),
    parseChatResponse: parseGeminiResponse,
    createStreamParser: createGeminiStreamParser,
  });
}
