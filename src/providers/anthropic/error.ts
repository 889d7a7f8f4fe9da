// Any error -> the Anthropic error object `{type: "error", error: {type, message}}` and its status.
// Upstream errors keep the upstream's status; when the upstream spoke Anthropic its body goes out as is.

import { AllAttemptsFailedError, ERRORS, GatewayError, UpstreamError } from '../../core/errors.js';
import { isObject, str, tryParseJson } from '../shared/json.js';
import type { RenderedError } from '../codec.js';

export function anthropicTypeForStatus(status: number): string {
  if (status === 400) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'api_error';
}

function body(type: string, message: string): { type: 'error'; error: Record<string, unknown> } {
  return { type: 'error', error: { type, message } };
}

function fromUpstream(err: UpstreamError): RenderedError {
  const status = err.status ?? (err.errorClass === 'timeout' ? ERRORS.upstream_timeout.status : ERRORS.upstream_error.status);
  const json = tryParseJson(err.body);
  if (isObject(json) && json.type === 'error' && isObject(json.error)) return { status, body: json };
  if (isObject(json) && isObject(json.error)) {
    // OpenAI-shaped upstream: keep its message, name the type the way Anthropic would for the status
    const type = err.errorClass === 'quota' ? 'rate_limit_error' : anthropicTypeForStatus(status);
    return { status, body: body(type, str(json.error.message) ?? err.message) };
  }
  const type = err.errorClass === 'overloaded' ? 'overloaded_error' : err.status === null ? 'api_error' : anthropicTypeForStatus(status);
  return { status, body: body(type, err.message) };
}

export function renderAnthropicError(err: unknown): RenderedError {
  if (err instanceof GatewayError) {
    const rendered = body(ERRORS[err.code].anthropicType, err.message);
    // the gateway's own reason beside Anthropic's type, with its machine-readable facts
    if (err.details) Object.assign(rendered.error, { code: err.code, ...err.details });
    return { status: err.status, body: rendered };
  }
  if (err instanceof UpstreamError) return fromUpstream(err);
  if (err instanceof AllAttemptsFailedError) {
    const last = err.last;
    if (last) return fromUpstream(last);
    return { status: 502, body: body('api_error', err.message) };
  }
  return { status: 500, body: body('api_error', 'The gateway hit an internal error.') };
}
