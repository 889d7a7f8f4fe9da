// Builds the one RequestRecord every request yields (hit or miss, success or failure) and hands
// it to the sink: the ledger, the metrics and the stages' onRecord hooks.

import { ZERO_USAGE } from '../core/canonical.js';
import { AllAttemptsFailedError, GatewayError, UpstreamError } from '../core/errors.js';
import type { GatewayContext } from '../pipeline/stage.js';
import type { RequestRecord } from '../ledger/record.js';
import type { Outcome } from './chat.js';
import { now } from './http-util.js';

export interface RecordSink {
  /** records the request; `onDurable` runs once the record is in the journal (group commit) */
  write(record: RequestRecord, ctx: GatewayContext, onDurable?: () => void): void;
}

export function finalizeRecord(ctx: GatewayContext, outcome: Outcome, deps: { sink: RecordSink }, onDurable?: () => void): void {
  const completedAt = now();
  const t = ctx.timings;
  const latencyMs = completedAt - ctx.receivedAt;
  const upstreamMs = ctx.attempts.reduce((s, a) => s + (Number.isFinite(a.endedAt) ? a.endedAt - a.startedAt : 0), 0);
  // time the executor spent waiting between attempts (backoff) is policy, not gateway overhead
  const waitedMs = ctx.trail.reduce((s, e) => s + (typeof e.data?.waitMs === 'number' ? (e.data.waitMs as number) : 0), 0);
  // attempts with a purpose (a cache embedding or verifier, a cascade's verifier) are the gateway's
  // own calls: paid for (in costUsd), but neither the answer nor a failed try at it
  let served: GatewayContext['attempts'][number] | undefined;
  let answersCostUsd = 0;
  for (const a of ctx.attempts) {
    if (a.purpose !== undefined) continue;
    served = a;
    answersCostUsd += a.costUsd;
  }
  const servedOk = served !== undefined && served.status !== null && served.status < 400 && !served.errorClass;
  const failedAttemptsCostUsd = answersCostUsd - (servedOk ? served!.costUsd : 0);
  const errorInfo = classifyError(outcome, ctx);
  const status: RequestRecord['status'] = outcome.aborted ? 'aborted' : errorInfo ? 'error' : 'ok';
  const req = ctx.request as GatewayContext['request'] | undefined;

  const record: RequestRecord = {
    requestId: ctx.requestId,
    traceId: ctx.headers['traceparent']?.split('-')[1],
    keyId: ctx.caller.keyId,
    team: ctx.caller.team,
    user: ctx.caller.user ?? ctx.headers['x-tollgate-user'] ?? req?.user,
    session: ctx.headers['x-tollgate-session'],
    route: ctx.route,
    endpoint: ctx.endpoint,
    apiFormat: ctx.format,
    requestedModel: req?.model ?? '',
    provider: ctx.target?.provider,
    model: ctx.target?.model,
    stream: req?.stream ?? false,
    receivedAt: ctx.receivedAt,
    upstreamSentAt: t.upstreamSentAt,
    firstByteAt: t.firstByteAt,
    firstTokenAt: req?.stream ? t.firstTokenAt : undefined,
    lastTokenAt: t.lastTokenAt,
    completedAt,
    latencyMs,
    ttftMs: req?.stream && t.firstTokenAt !== undefined ? t.firstTokenAt - ctx.receivedAt : undefined,
    upstreamMs: ctx.attempts.length ? upstreamMs : undefined,
    overheadMs: Math.max(0, latencyMs - upstreamMs - waitedMs),
    usage: outcome.usage ?? { ...ZERO_USAGE },
    costUsd: outcome.costUsd ?? ctx.attempts.reduce((s, a) => s + a.costUsd, 0),
    failedAttemptsCostUsd: failedAttemptsCostUsd > 0 ? failedAttemptsCostUsd : undefined,
    attempts: ctx.attempts.length ? ctx.attempts : undefined,
    trail: ctx.trail,
    status,
    httpStatus: outcome.httpStatus,
    errorClass: errorInfo?.errorClass,
    errorMessage: errorInfo?.message,
    finishReason: outcome.response?.finishReason,
    ...ctx.record,
  };
  // a cache hit made no upstream call for the answer; what it did pay for (a verifier) is in attempts
  if (outcome.source === 'cache') record.costUsd = ctx.attempts.reduce((s, a) => s + a.costUsd, 0);
  deps.sink.write(record, ctx, onDurable);
}

function classifyError(outcome: Outcome, ctx: GatewayContext): { errorClass: string; message: string } | undefined {
  const err = outcome.error;
  if (outcome.aborted) return { errorClass: 'aborted', message: 'client disconnected' };
  if (!err) return outcome.cut ? { errorClass: 'stream_cut', message: 'stream ended before completion' } : undefined;
  if (err instanceof UpstreamError) return { errorClass: err.errorClass, message: `${err.provider}: ${err.status ?? ''} ${err.message}`.slice(0, 500) };
  if (err instanceof AllAttemptsFailedError) return { errorClass: err.last?.errorClass ?? 'server', message: err.message.slice(0, 500) };
  if (err instanceof GatewayError) return { errorClass: gatewayErrorClass(err), message: err.message.slice(0, 500) };
  void ctx;
  return { errorClass: 'internal', message: 'internal error' };
}

function gatewayErrorClass(err: GatewayError): string {
  switch (err.code) {
    case 'unauthorized':
    case 'forbidden':
      return 'auth';
    case 'model_not_found':
    case 'not_found':
      return 'not_found';
    case 'rate_limited':
      return 'rate_limit';
    case 'budget_exceeded':
      return 'quota';
    case 'circuit_open':
      return 'circuit_open';
    case 'upstream_timeout':
      return 'timeout';
    case 'upstream_error':
    case 'upstream_unavailable':
      return 'server';
    case 'internal':
      return 'internal';
    default:
      return 'client';
  }
}
