// One upstream provider instance as written in tollgate.yaml. Keys never live in config: only the
// NAME of the environment variable that holds one; the loader resolves it into `apiKey`.

import { z } from 'zod';

/** the kinds built in (src/providers/index.ts registers them); a plugin may register more */
export const PROVIDER_KINDS = ['openai', 'anthropic', 'openai-compatible', 'azure-openai', 'gemini'] as const;

export const providerConfigSchema = z
  .object({
    /** instance name models refer to, e.g. 'openai' or 'groq' */
    name: z.string().min(1),
    /** a registered kind (registry.ts): the config loader checks it against registeredProviderKinds() */
    kind: z.string().min(1),
    /**
     * Base URL the way each vendor's SDK takes it: OpenAI-style with the version prefix
     * (https://api.openai.com/v1), Anthropic without it (https://api.anthropic.com).
     */
    baseUrl: z.url(),
    /** name of the environment variable holding the API key (never the key itself) */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the NAME of an environment variable, e.g. OPENAI_API_KEY')
      .optional(),
    /** extra headers sent on every upstream call */
    headers: z.record(z.string(), z.string()).optional(),
    /**
     * client request headers passed through to this upstream (lower-case names), e.g.
     * ['x-sim-fault'] for the simulator. Nothing is passed through unless listed here.
     */
    forwardHeaders: z.array(z.string().regex(/^[a-z0-9-]+$/, 'must be a lower-case header name')).optional(),
    /** whole-call timeout, ms */
    timeoutMs: z.number().int().positive().optional(),
    /** connections in the undici pool for this upstream origin */
    connections: z.number().int().positive().optional(),
    /** OTel gen_ai.provider.name; derived from the kind / base URL when absent */
    otelProviderName: z.string().min(1).optional(),
    /** max_tokens sent to upstreams that require it (Anthropic) when the client gave none */
    maxTokensDefault: z.number().int().positive().optional(),
    /** Azure OpenAI's api-version query parameter (kind azure-openai; default 2024-10-21, the GA inference API) */
    apiVersion: z.string().regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, "must be an Azure api-version such as '2024-10-21'").optional(),
  })
  .strict();

export type ProviderConfigInput = z.infer<typeof providerConfigSchema>;

/** A provider config with its key resolved from the environment by the config loader. */
export type ProviderConfig = ProviderConfigInput & {
  /** resolved from `apiKeyEnv`; never logged */
  apiKey?: string;
};

export const DEFAULT_CONNECTIONS = 128;
export const DEFAULT_MAX_TOKENS = 4096;
