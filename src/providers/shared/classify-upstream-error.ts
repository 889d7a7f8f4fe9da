// Turns a failed upstream call into an UpstreamError: the provider's status and body kept as sent
// (less any secret of ours it echoes: the body is relayed to clients and its message recorded),
// a coarse error class for the ledger and the retry policy, and the upstream's own retry hints.

import { UpstreamError, type ErrorClass } from '../../core/errors.js';
import { isObject, str, tryParseJson } from './json.js';
import { parseRetryAfterMs, parseShouldRetry, type HeaderBag } from './retry-after.js';
import { redactSecrets } from './redact.js';

/** Error classes a retry can never fix. */
const NEVER_RETRY: ReadonlySet<ErrorClass> = new Set(['quota', 'auth', 'client', 'not_found']);

/** Upstream error types that mean "out of money", not "too fast" (do not retry them). */
const QUOTA_TYPES = new Set(['insufficient_quota', 'billing_hard_limit_reached', 'billing_not_active', 'spend_limit_exceeded']);

/** The error type and message an OpenAI- or Anthropic-shaped error body names. */
export function upstreamErrorInfo(body: string): { type?: string; code?: string; message?: string } {
  const json = tryParseJson(body);
  if (!isObject(json)) return {};
  const e = json.error;
  if (isObject(e)) return { type: str(e.type), code: str(e.code), message: str(e.message) };
  if (typeof e === 'string') return { message: e };
  return { message: str(json.message) };
}

export function classifyStatus(status: number, type?: string, code?: string): ErrorClass {
  const t = type ?? '';
  if (QUOTA_TYPES.has(t) || (code !== undefined && QUOTA_TYPES.has(code))) return 'quota';
  if (status === 529 || t === 'overloaded_error') return 'overloaded';
  if (status === 429) return 'rate_limit';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  return 'client';
}

export function upstreamErrorFromResponse(init: {
  provider: string;
  model: string;
  status: number;
  headers: HeaderBag;
  body: string;
}): UpstreamError {
  const body = redactSecrets(init.body);
  const info = upstreamErrorInfo(body);
  const errorClass = classifyStatus(init.status, info.type, info.code);
  const upstreamType = info.code && QUOTA_TYPES.has(info.code) ? info.code : info.type;
  const shouldRetry = parseShouldRetry(init.headers);
  return new UpstreamError({
    provider: init.provider,
    model: init.model,
    status: init.status,
    body,
    message: `${init.provider} answered ${init.status}${info.message ? `: ${info.message}` : ''}`,
    errorClass,
    retryable: !NEVER_RETRY.has(errorClass),
    retryAfterMs: parseRetryAfterMs(init.headers),
    shouldRetry,
    upstreamType,
  });
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'TimeoutError']);

function errorCode(err: unknown): string | undefined {
  if (!isObject(err) && !(err instanceof Error)) return undefined;
  const e = err as { code?: unknown; name?: unknown; cause?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (e.name === 'TimeoutError') return 'TimeoutError';
  return e.cause !== undefined ? errorCode(e.cause) : undefined;
}

/** A call that failed before any HTTP answer (or whose body broke): connection, timeout or abort. */
export function upstreamErrorFromException(err: unknown, init: { provider: string; model: string; timedOut?: boolean; aborted?: boolean }): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const code = errorCode(err);
  let errorClass: ErrorClass;
  if (init.aborted) errorClass = 'aborted';
  else if (init.timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) errorClass = 'timeout';
  else if (code !== undefined && CONNECTION_CODES.has(code)) errorClass = 'connection';
  else errorClass = 'connection';
  const what = errorClass === 'aborted' ? 'was aborted (client went away)' : errorClass === 'timeout' ? 'timed out' : `failed to connect${code ? ` (${code})` : ''}`;
  return new UpstreamError({
    provider: init.provider,
    model: init.model,
    status: null,
    message: `${init.provider} call ${what}`,
    errorClass,
    retryable: errorClass !== 'aborted',
    cause: err,
  });
}
