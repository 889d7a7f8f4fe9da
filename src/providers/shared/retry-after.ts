// How long the upstream asked us to wait, from `retry-after-ms` (OpenAI) or `retry-after`
// (seconds or an HTTP date, RFC 9110 §10.2.3).

export type HeaderBag = Record<string, string | string[] | undefined>;

export function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function parseRetryAfterMs(headers: HeaderBag, nowMs: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '') {
    const v = Number(ms);
    if (Number.isFinite(v) && v >= 0) return v;
  }
  const ra = header(headers, 'retry-after')?.trim();
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return Number(ra) * 1000;
  const at = Date.parse(ra);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** `x-should-retry: true|false` (sent by OpenAI and Anthropic): the upstream's own verdict. */
export function parseShouldRetry(headers: HeaderBag): boolean | undefined {
  const v = header(headers, 'x-should-retry')?.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}
