// Any error -> the OpenAI error object `{error: {message, type, param, code}}` and its status.
// Upstream errors keep the upstream's status; when the upstream spoke OpenAI its body goes out as is.

import { AllAttemptsFailedError, ERRORS, GatewayError, UpstreamError } from '../../core/errors.js';
import type { RenderedError } from '../codec.js';
import { isObject, str, tryParseJson } from '../shared/json.js';

/** Anthropic error type -> the closest OpenAI error type. */
const FROM_ANTHROPIC: Record<string, string> = {
  invalid_request_error: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  not_found_error: 'not_found_error',
  request_too_large: 'invalid_request_error',
  rate_limit_error: 'rate_limit_error',
  api_error: 'api_error',
  overloaded_error: 'api_error',
};

function statusOf(err: UpstreamError): number {
  if (err.status !== null) return err.status;
  if (err.errorClass === 'timeout') return ERRORS.upstream_timeout.status;
  return ERRORS.upstream_error.status;
}

function fromUpstream(err: UpstreamError): RenderedError {
  const status = statusOf(err);
  const json = tryParseJson(err.body);
  if (isObject(json) && isObject(json.error) && json.type !== 'error' && typeof json.error.message === 'string') {
    return { status, body: json }; // OpenAI-shaped already: as the provider sent it
  }
  if (isObject(json) && json.type === 'error' && isObject(json.error)) {
    const t = str(json.error.type) ?? 'api_error';
    return { status, body: { error: { message: str(json.error.message) ?? err.message, type: FROM_ANTHROPIC[t] ?? 'api_error', param: null, code: t } } };
  }
  const type = err.errorClass === 'timeout' ? 'timeout' : err.errorClass === 'rate_limit' ? 'rate_limit_error' : 'api_error';
  return { status, body: { error: { message: err.message, type, param: null, code: err.upstreamType ?? null } } };
}

export function renderOpenAIError(err: unknown): RenderedError {
  if (err instanceof GatewayError) {
    return { status: err.status, body: { error: { message: err.message, type: ERRORS[err.code].openaiType, param: err.param ?? null, code: err.code, ...err.details } } };
  }
  if (err instanceof UpstreamError) return fromUpstream(err);
  if (err instanceof AllAttemptsFailedError) {
    const last = err.last;
    if (last) return fromUpstream(last);
    return { status: 502, body: { error: { message: err.message, type: 'api_error', param: null, code: 'upstream_error' } } };
  }
  // anything else is our bug: say so without leaking internals
  return { status: 500, body: { error: { message: 'The gateway hit an internal error.', type: 'api_error', param: null, code: 'internal' } } };
}
