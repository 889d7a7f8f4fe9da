// OpenAI-compatible vendors as data (Portkey's good idea): what differs between them is a name for
// telemetry and which output-limit field they understand, not code. Matched on the base URL's host.

export interface CompatibleVendor {
  /** host suffix of the vendor's endpoint */
  host: string;
  /** OTel gen_ai.provider.name (semantic-convention well-known values where one exists) */
  otelProviderName: string;
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** serves the Responses API at <base>/responses, so Responses clients are relayed byte for byte */
  responses?: boolean;
}

export const COMPATIBLE_VENDORS: readonly CompatibleVendor[] = [
  { host: 'generativelanguage.googleapis.com', otelProviderName: 'gcp.gemini', maxTokensField: 'max_completion_tokens' },
  { host: 'aiplatform.googleapis.com', otelProviderName: 'gcp.vertex_ai', maxTokensField: 'max_completion_tokens' },
  { host: 'api.groq.com', otelProviderName: 'groq', maxTokensField: 'max_completion_tokens', responses: true },
  { host: 'api.deepseek.com', otelProviderName: 'deepseek', maxTokensField: 'max_tokens' },
  { host: 'api.mistral.ai', otelProviderName: 'mistral_ai', maxTokensField: 'max_tokens' },
  { host: 'api.x.ai', otelProviderName: 'x_ai', maxTokensField: 'max_completion_tokens', responses: true },
  { host: 'api.perplexity.ai', otelProviderName: 'perplexity', maxTokensField: 'max_tokens' },
  { host: 'api.together.xyz', otelProviderName: 'together', maxTokensField: 'max_tokens' },
  { host: 'openai.azure.com', otelProviderName: 'azure.ai.openai', maxTokensField: 'max_completion_tokens' },
];

/** Unknown servers (vLLM, Ollama, llama.cpp...) understand max_tokens; OpenAI's own name stays the default telemetry label. */
export const GENERIC_COMPATIBLE: Omit<CompatibleVendor, 'host'> = { otelProviderName: 'openai', maxTokensField: 'max_tokens' };

export function compatibleVendorFor(baseUrl: string): Omit<CompatibleVendor, 'host'> {
  const host = new URL(baseUrl).hostname.toLowerCase();
  return COMPATIBLE_VENDORS.find((v) => host === v.host || host.endsWith(`.${v.host}`)) ?? GENERIC_COMPATIBLE;
}
