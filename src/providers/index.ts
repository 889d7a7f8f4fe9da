// The built-in provider kinds and wire codecs, registered on import, and the providers' public API.

import { anthropicCodec } from './anthropic/codec.js';
import { createAnthropicAdapter } from './anthropic/adapter.js';
import { renderAnthropicError } from './anthropic/error.js';
import { parseAnthropicMessagesRequest } from './anthropic/parse-messages-request.js';
import { parseAnthropicMessagesResponse } from './anthropic/parse-messages-response.js';
import { renderAnthropicMessagesResponse } from './anthropic/render-messages-response.js';
import { createAnthropicStreamParser } from './anthropic/stream-parser.js';
import { createAnthropicStreamRenderer } from './anthropic/stream-renderer.js';
import { openAICodec } from './openai/codec.js';
import { createOpenAIAdapter } from './openai/adapter.js';
import { renderOpenAIChatRequest } from './openai/render-chat-request.js';
import { renderOpenAIError } from './openai/error.js';
import { parseOpenAIChatRequest } from './openai/parse-chat-request.js';
import { parseOpenAIChatResponse } from './openai/parse-chat-response.js';
import { renderOpenAIChatResponse } from './openai/render-chat-response.js';
import { createOpenAIStreamParser } from './openai/stream-parser.js';
import { createOpenAIStreamRenderer } from './openai/stream-renderer.js';
import { createOpenAICompatibleAdapter } from './openai-compatible/adapter.js';
import { createAzureOpenAIAdapter } from './azure/adapter.js';
import { createGeminiAdapter } from './gemini/adapter.js';
import { responsesCodec } from './openai-responses/codec.js';
import { registerProviderKind, registerWireCodec } from './registry.js';

registerProviderKind('openai', createOpenAIAdapter);
registerProviderKind('anthropic', createAnthropicAdapter);
registerProviderKind('openai-compatible', createOpenAICompatibleAdapter);
registerProviderKind('azure-openai', createAzureOpenAIAdapter);
registerProviderKind('gemini', createGeminiAdapter);

registerWireCodec(openAICodec, { isDefault: true });
registerWireCodec(anthropicCodec);
registerWireCodec(responsesCodec);

export * from './registry.js';
export { providerConfigSchema, PROVIDER_KINDS, type ProviderConfig } from './config.js';
export type * from './contract.js';
export type * from './codec.js';
export { openAICodec } from './openai/codec.js';
export { anthropicCodec } from './anthropic/codec.js';
export { responsesCodec } from './openai-responses/codec.js';
export { usageFromOpenAI, usageToOpenAI, type OpenAIUsageWire } from './openai/usage.js';
export { usageFromAnthropic, partialUsageFromAnthropic, usageToAnthropic, type AnthropicUsageWire } from './anthropic/usage.js';
export { usageFromGemini, type GeminiUsageWire } from './gemini/usage.js';
export { createHttpAdapter, type VendorSpec } from './shared/http-adapter.js';
export { createOpenAIAdapter, openAIVendorSpec } from './openai/adapter.js';
export { createAnthropicAdapter, ANTHROPIC_VERSION } from './anthropic/adapter.js';
export { createOpenAICompatibleAdapter } from './openai-compatible/adapter.js';
export { COMPATIBLE_VENDORS, compatibleVendorFor } from './openai-compatible/vendors.js';
export { parseOpenAIChatRequest, renderOpenAIChatRequest, parseOpenAIChatResponse, renderOpenAIChatResponse };
export { createOpenAIStreamParser, createOpenAIStreamRenderer, renderOpenAIError };
export {
  parseOpenAIEmbeddingsRequest,
  renderOpenAIEmbeddingsRequest,
  parseOpenAIEmbeddingsResponse,
  renderOpenAIEmbeddingsResponse,
} from './openai/embeddings.js';
export { parseAnthropicMessagesRequest, parseAnthropicMessagesResponse, renderAnthropicMessagesResponse };
export { renderAnthropicMessagesRequest } from './anthropic/render-messages-request.js';
export { createAnthropicStreamParser, createAnthropicStreamRenderer, renderAnthropicError };
export { upstreamErrorFromResponse, upstreamErrorFromException, classifyStatus } from './shared/classify-upstream-error.js';
export { parseRetryAfterMs } from './shared/retry-after.js';
export { redactHeaders } from './shared/redact.js';
