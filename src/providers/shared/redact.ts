// Secrets never reach a log line, a client or a record: header bags pass through redactHeaders before
// anything prints them, and text that came from an upstream (an error body that echoes the key, as
// OpenAI-compatible servers do: "Incorrect API key provided: sk-...") passes through redactSecrets
// before it is relayed or stored (issue 13 finding 6).

const SECRET_HEADERS = new Set(['authorization', 'x-api-key', 'api-key', 'proxy-authorization', 'x-goog-api-key']);

export const REDACTED = '[redacted]';

export function redactHeaders(h: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k] = SECRET_HEADERS.has(k.toLowerCase()) && v !== undefined ? REDACTED : v;
  return out;
}

/**
 * Key-shaped tokens, whoever's they are: OpenAI (sk-, sk-proj-, masked "sk-proj-****abcd"),
 * Anthropic (sk-ant-), Google (AIza...), Tollgate virtual keys (tg_...), and whatever follows
 * "Bearer" or an "api key"/"x-api-key" label.
 */
const KEY_SHAPED = new RegExp(
  [
    String.raw`\bsk-[A-Za-z0-9*_\-]{6,}`,
    String.raw`\bAIza[0-9A-Za-z_\-]{20,}`,
    String.raw`\btg_[A-Za-z0-9_\-]{8,}`,
    String.raw`\bBearer\s+[^\s"',;]{6,}`,
  ].join('|'),
  'g',
);

/** configured secrets shorter than this are not matched literally (they would mangle ordinary words) */
const MIN_LITERAL = 8;
/** the gateway's own secrets (provider keys, configured auth headers), longest first */
let literals: string[] = [];

/**
 * Registers secrets the gateway holds (a provider's API key, its configured header values) so that
 * redactSecrets removes them wherever they appear, key-shaped or not. Process-wide on purpose: an
 * upstream may echo any of them, and every relay and store path redacts with the same list.
 */
export function registerSecrets(values: Iterable<string | undefined>): void {
  const set = new Set(literals);
  for (const v of values) {
    if (!v) continue;
    const bearer = /^Bearer\s+(.+)$/i.exec(v.trim());
    for (const s of bearer ? [v, bearer[1]!] : [v]) if (s.length >= MIN_LITERAL) set.add(s);
  }
  literals = [...set].sort((a, b) => b.length - a.length);
}

/** `text` with every registered secret and every key-shaped token replaced by [redacted]. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const s of literals) if (out.includes(s)) out = out.split(s).join(REDACTED);
  KEY_SHAPED.lastIndex = 0;
  return KEY_SHAPED.test(out) ? out.replace(KEY_SHAPED, REDACTED) : out;
}
