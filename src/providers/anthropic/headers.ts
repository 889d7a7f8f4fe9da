// Anthropic's protocol headers: the API version every call must name, and the opt-in beta flags a
// client may send. Both are the client's to choose, so the adapter forwards them as given.

export const ANTHROPIC_VERSION = '2023-06-01';
export const ANTHROPIC_VERSION_HEADER = 'anthropic-version';
export const ANTHROPIC_BETA_HEADER = 'anthropic-beta';

/** the protocol and auth headers of one Anthropic call; `forwarded` are the client's lower-cased headers */
export function anthropicHeaders(apiKey: string | undefined, forwarded: Readonly<Record<string, string | undefined>> | undefined): Record<string, string> {
  const h: Record<string, string> = { [ANTHROPIC_VERSION_HEADER]: forwarded?.[ANTHROPIC_VERSION_HEADER] ?? ANTHROPIC_VERSION };
  if (apiKey) h['x-api-key'] = apiKey;
  const beta = forwarded?.[ANTHROPIC_BETA_HEADER];
  if (beta) h[ANTHROPIC_BETA_HEADER] = beta;
  return h;
}
