// The end of a relayed stream: what it cost. A stream the provider finished is billed from its own
// usage; one cut short (upstream failure, client gone) from what the provider did report plus an
// estimate of the rest, marked estimated.

import { UpstreamError } from '../core/errors.js';
import type { StreamAccumulator } from '../core/stream-accumulator.js';
import { estimateUsage } from '../core/tokens.js';
import type { GatewayContext } from '../pipeline/stage.js';
import { now } from './clock.js';
import { clientGone } from './context.js';
import type { Outcome } from './outcome.js';
import type { Pricing } from './pricing.js';

export function settleStream(ctx: GatewayContext, acc: StreamAccumulator, source: 'upstream' | 'cache', outcome: Outcome, pricing: Pricing): void {
  ctx.timings.lastTokenAt ??= now();
  outcome.response = acc.toResponse();
  outcome.source = source;
  outcome.cut = !acc.complete;
  if (clientGone(ctx)) outcome.aborted = true;
  const provider = ctx.target?.provider ?? '';
  const model = ctx.target?.model ?? '';
  if (acc.error) outcome.error = new UpstreamError({ provider, model, status: 200, message: acc.error.message, errorClass: 'stream_error', retryable: false, upstreamType: acc.error.type });
  else if (outcome.cut && !outcome.aborted) outcome.error = new UpstreamError({ provider, model, status: 200, message: 'stream ended before completion', errorClass: 'stream_cut', retryable: false });
  let usage = acc.usage;
  const servedByUpstream = source === 'upstream';
  // a stream cut before its final usage: keep what the provider did report, estimate the rest
  if (servedByUpstream && (!acc.sawUsage || outcome.cut)) usage = estimateUsage(ctx.request, acc.text(), acc.reportedUsage);
  outcome.usage = usage;
  if (!servedByUpstream) return;
  const served = ctx.attempts.at(-1);
  if (served && Number.isNaN(served.endedAt)) {
    served.endedAt = ctx.timings.upstreamEndAt ?? now();
    served.usage = usage;
    served.costUsd = ctx.target ? pricing.costOf(ctx.target, usage) : 0;
    if (outcome.cut) served.errorClass = acc.error ? 'stream_error' : clientGone(ctx) ? 'aborted' : 'stream_cut';
  }
}
