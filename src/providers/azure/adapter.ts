// Azure OpenAI: the OpenAI wire at a deployment URL. The resource's base URL
// (https://{resource}.openai.azure.com), the deployment in the path (a model's `model` is the
// deployment name), the API version as a query parameter, the key in an `api-key` header. Bodies,
// usage and streams are OpenAI's, plus content-filter annotations (prompt_filter_results on a
// first chunk with no choices, content_filter_results per choice), which the OpenAI parsers skip.
// Errors are OpenAI-shaped with string codes ("429", "content_filter"), classified by status.

import type { ProviderConfig } from '../config.js';
import type { ProviderAdapter } from '../contract.js';
import { openAIVendorSpec } from '../openai/adapter.js';
import { createHttpAdapter } from '../shared/http-adapter.js';

/** the GA data-plane inference version (learn.microsoft.com/azure/ai-services/openai/reference) */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

export function createAzureOpenAIAdapter(cfg: ProviderConfig): ProviderAdapter {
  const version = encodeURIComponent(cfg.apiVersion ?? AZURE_DEFAULT_API_VERSION);
  const deployment = (model: string, op: string) => `/openai/deployments/${encodeURIComponent(model)}/${op}?api-version=${version}`;
  const spec = openAIVendorSpec(cfg, { kind: 'azure-openai', otelProviderName: 'azure.ai.openai' });
  return createHttpAdapter(cfg, {
    ...spec,
    chatPath: (model) => deployment(model, 'chat/completions'),
    embeddingsPath: (model) => deployment(model, 'embeddings'),
    headers: (apiKey): Record<string, string> => (apiKey ? { 'api-key': apiKey } : {}),
  });
}
