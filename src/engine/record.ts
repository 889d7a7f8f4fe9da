// Builds the one RequestRecord every request yields (hit or miss, success or failure): the only
// place a record is assembled and its cost summed.

import { ZERO_USAGE } from '../core/canonical.js';
import { AllAttemptsFailedError, GatewayError, UpstreamError } from '../core/errors.js';
import type { AttemptRecord, RequestRecord } from '../ledger/record.js';
import type { GatewayContext } from '../pipeline/stage.js';
import { now } from './clock.js';
import type { Outcome } from './outcome.js';
import type { Pricing } from './pricing.js';
import { cacheWritePremiumUsd, savedByLever } from './savings.js';

/** what the record says the request cost: every attempt, the gateway's own calls included */
export function costOfAttempts(attempts: readonly AttemptRecord[]): number {
  let sum = 0;
  for (const a of attempts) sum += a.costUsd;
  return sum;
}

export function buildRecord(ctx: GatewayContext, outcome: Outcome, pricing: Pricing): RequestRecord {
  const completedAt = now();
  const t = ctx.timings;
  const latencyMs = completedAt - ctx.receivedAt;
  let upstreamMs = 0;
  // attempts with a purpose (a cache embedding or verifier, a cascade's verifier) are the gateway's
  // own calls: paid for (in costUsd), but neither the answer nor a failed try at it
  let served: AttemptRecord | undefined;
  let answersCostUsd = 0;
  let costUsd = 0;
  let estimated = false;
  for (const a of ctx.attempts) {
    if (Number.isFinite(a.endedAt)) upstreamMs += a.endedAt - a.startedAt;
    costUsd += a.costUsd;
    if (a.usage?.estimated) estimated = true;
    if (a.purpose !== undefined) continue;
    served = a;
    answersCostUsd += a.costUsd;
  }
  // time the executor spent waiting between attempts (backoff) is policy, not gateway overhead
  let waitedMs = 0;
  for (const e of ctx.trail) if (typeof e.data?.waitMs === 'number') waitedMs += e.data.waitMs as number;
  const servedOk = served !== undefined && served.status !== null && served.status < 400 && !served.errorClass;
  const servedCostUsd = servedOk ? served!.costUsd : 0;
  const failedAttemptsCostUsd = answersCostUsd - servedCostUsd;
  const errorInfo = classifyError(outcome);
  const status: RequestRecord['status'] = outcome.aborted ? 'aborted' : errorInfo ? 'error' : 'ok';
  const req = ctx.request as GatewayContext['request'] | undefined;
  const usage = outcome.usage ?? { ...ZERO_USAGE };
  const cacheHit = ctx.cache?.status === 'hit' || ctx.cache?.status === 'semantic_hit';
  const requestedModel = req?.model ?? '';
  const baseline = pricing.baseline({
    cacheHit,
    savedCostUsd: ctx.cache?.savedCostUsd,
    baselineModel: ctx.baselineModel,
    requestedModel,
    provider: ctx.target?.provider,
    model: ctx.target?.model,
    usage,
    // the answer alone: failed tries and the gateway's own calls are not what the caller would
    // have paid without it
    answerCostUsd: servedCostUsd,
    trimmedInputTokens: servedOk ? ctx.trim?.inputTokensRemoved : undefined,
  });

  const ranPrice = served ? pricing.priceOf(served) : ctx.target ? pricing.priceOf(ctx.target) : undefined;
  const saved = savedByLever({
    usage: outcome.usage,
    answerCostUsd: servedCostUsd,
    answered: servedOk || cacheHit,
    ranPrice,
    baselinePrice: pricing.priceOfName(baseline.baselineModel),
    cache: ctx.cache,
    trimmedInputTokens: ctx.trim?.inputTokensRemoved,
    failedAttemptsCostUsd: Math.max(0, failedAttemptsCostUsd),
    ownCallsCostUsd: costUsd - answersCostUsd,
  });
  let hasSaved = false;
  for (const _ in saved) {
    hasSaved = true;
    break;
  }
  const premium = servedOk && served!.usage ? cacheWritePremiumUsd(served!.usage, ranPrice) : 0;
  const cache = ctx.cache;

  // one literal, every field in its place (absent ones undefined, which JSON leaves out as it did
  // when they were added after): no spreads, no shape changes after it is made
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
    flag: ctx.flags?.length ? ctx.flags.join(',') : undefined,
    variant: ctx.variant ? ctx.variant : undefined,
    requestedModel,
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
    usage,
    // a cache hit made no upstream call for the answer; what it did pay for (a verifier) is here
    costUsd,
    failedAttemptsCostUsd: failedAttemptsCostUsd > 0 ? failedAttemptsCostUsd : undefined,
    attempts: ctx.attempts.length ? ctx.attempts : undefined,
    baselineCostUsd: baseline.baselineCostUsd,
    baselineModel: baseline.baselineModel,
    trail: ctx.trail,
    status,
    httpStatus: outcome.httpStatus,
    errorClass: errorInfo?.errorClass,
    errorMessage: errorInfo?.message,
    finishReason: outcome.response?.finishReason,
    savedByLever: hasSaved ? saved : undefined,
    cacheWritePremiumUsd: premium !== 0 ? premium : undefined,
    costEstimated: estimated && !usage.estimated ? true : undefined,
    cacheStatus: cache?.status,
    savedCostUsd: cache?.savedCostUsd,
    savedMs: cache?.savedMs,
  };
  return record;
}

function classifyError(outcome: Outcome): { errorClass: string; message: string } | undefined {
  const err = outcome.error;
  if (outcome.aborted) return { errorClass: 'aborted', message: 'client disconnected' };
  if (!err) return outcome.cut ? { errorClass: 'stream_cut', message: 'stream ended before completion' } : undefined;
  if (err instanceof UpstreamError) return { errorClass: err.errorClass, message: `${err.provider}: ${err.status ?? ''} ${err.message}`.slice(0, 500) };
  if (err instanceof AllAttemptsFailedError) return { errorClass: err.last?.errorClass ?? 'server', message: err.message.slice(0, 500) };
  if (err instanceof GatewayError) return { errorClass: gatewayErrorClass(err), message: err.message.slice(0, 500) };
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
