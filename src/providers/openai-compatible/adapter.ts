// Any OpenAI-compatible server (Gemini's OpenAI endpoint, vLLM, Ollama, Together, Groq...): the
// OpenAI adapter at another base URL, with the vendor's differences taken from data.

import type { ProviderConfig } from '../config.js';
import type { ProviderAdapter } from '../contract.js';
import { openAIVendorSpec } from '../openai/adapter.js';
import { createHttpAdapter } from '../shared/http-adapter.js';
import { compatibleVendorFor } from './vendors.js';

export function createOpenAICompatibleAdapter(cfg: ProviderConfig): ProviderAdapter {
  const vendor = compatibleVendorFor(cfg.baseUrl);
  return createHttpAdapter(cfg, openAIVendorSpec(cfg, { kind: 'openai-compatible', ...vendor, responses: vendor.responses ?? false }));
}
