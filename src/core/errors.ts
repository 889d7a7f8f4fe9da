// Every error the gateway itself raises, declared once: a stable code, an HTTP status, the
// OpenAI error type and the Anthropic error type it renders as, and whether a retry may help.

export interface ErrorSpec {
  status: number;
  openaiType: string;
  anthropicType: string;
  retryable: boolean;
}

export const ERRORS = {
  invalid_json: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', retryable: false },
  invalid_request: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', retryable: false },
  body_too_large: { status: 413, openaiType: 'invalid_request_error', anthropicType: 'request_too_large', retryable: false },
  unauthorized: { status: 401, openaiType: 'invalid_request_error', anthropicType: 'authentication_error', retryable: false },
  forbidden: { status: 403, openaiType: 'invalid_request_error', anthropicType: 'permission_error', retryable: false },
  model_not_found: { status: 404, openaiType: 'invalid_request_error', anthropicType: 'not_found_error', retryable: false },
  not_found: { status: 404, openaiType: 'invalid_request_error', anthropicType: 'not_found_error', retryable: false },
  method_not_allowed: { status: 405, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', retryable: false },
  request_timeout: { status: 408, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', retryable: false },
  headers_too_large: { status: 431, openaiType: 'invalid_request_error', anthropicType: 'request_too_large', retryable: false },
  unsupported: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', retryable: false },
  only_if_cached_miss: { status: 504, openaiType: 'cache_miss', anthropicType: 'api_error', retryable: false },
  rate_limited: { status: 429, openaiType: 'rate_limit_error', anthropicType: 'rate_limit_error', retryable: true },
  budget_exceeded: { status: 429, openaiType: 'insufficient_quota', anthropicType: 'rate_limit_error', retryable: false },
  upstream_error: { status: 502, openaiType: 'api_error', anthropicType: 'api_error', retryable: true },
  upstream_timeout: { status: 504, openaiType: 'timeout', anthropicType: 'api_error', retryable: true },
  upstream_unavailable: { status: 503, openaiType: 'api_error', anthropicType: 'overloaded_error', retryable: true },
  circuit_open: { status: 503, openaiType: 'api_error', anthropicType: 'overloaded_error', retryable: true },
  internal: { status: 500, openaiType: 'api_error', anthropicType: 'api_error', retryable: false },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error raised by the gateway itself, rendered in the caller's wire format by server/. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** the request field at fault, e.g. 'messages[0].content' (OpenAI's error.param) */
  readonly param?: string;
  /**
   * machine-readable facts a client can act on, rendered inside the error object of every format
   * (a budget's scope, id and reset time; a rate limit's wait), snake_case as the wire formats are
   */
  readonly details?: Readonly<Record<string, unknown>>;
  constructor(code: ErrorCode, message: string, opts: { param?: string; status?: number; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = opts.status ?? ERRORS[code].status;
    this.param = opts.param;
    if (opts.details) this.details = opts.details;
  }
  get retryable(): boolean {
    return ERRORS[this.code].retryable;
  }
}

/** Error classes for the ledger and for retry decisions; coarse on purpose (low cardinality). */
export type ErrorClass =
  | 'rate_limit'
  | 'quota'
  | 'overloaded'
  | 'server'
  | 'timeout'
  | 'connection'
  | 'stream_cut'
  | 'stream_error'
  | 'client'
  | 'auth'
  | 'not_found'
  | 'aborted'
  | 'circuit_open'
  | 'internal';

/** An upstream call that failed: keeps the provider, status and body as the provider sent them. */
export class UpstreamError extends Error {
  readonly provider: string;
  readonly model: string;
  readonly status: number | null;
  readonly body: string;
  readonly errorClass: ErrorClass;
  readonly retryable: boolean;
  /** from retry-after-ms / retry-after headers, when the upstream sent them */
  readonly retryAfterMs?: number;
  /** x-should-retry header, when sent: overrides our own judgement */
  readonly shouldRetry?: boolean;
  /** the upstream's error type as it named it (e.g. 'overloaded_error', 'insufficient_quota') */
  readonly upstreamType?: string;
  constructor(init: {
    provider: string;
    model: string;
    status: number | null;
    body?: string;
    message: string;
    errorClass: ErrorClass;
    retryable: boolean;
    retryAfterMs?: number;
    shouldRetry?: boolean;
    upstreamType?: string;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.name = 'UpstreamError';
    this.provider = init.provider;
    this.model = init.model;
    this.status = init.status;
    this.body = init.body ?? '';
    this.errorClass = init.errorClass;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
    this.shouldRetry = init.shouldRetry;
    this.upstreamType = init.upstreamType;
  }
}

/** Every attempt failed (retries and fallbacks): keeps each attempt's error. */
export class AllAttemptsFailedError extends Error {
  readonly attempts: UpstreamError[];
  constructor(attempts: UpstreamError[]) {
    super(`all ${attempts.length} upstream attempts failed; last: ${attempts.at(-1)?.message ?? 'unknown'}`);
    this.name = 'AllAttemptsFailedError';
    this.attempts = attempts;
  }
  get last(): UpstreamError | undefined {
    return this.attempts.at(-1);
  }
}
