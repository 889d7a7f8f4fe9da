// The terminal step of the pipeline: one call to the upstream that ctx.target names, and its
// attempt in the ledger. The fast path relays the client's own bytes when nothing changed them.

import { hasSignedThinking, type ChatRequest } from '../core/canonical.js';
import { GatewayError, UpstreamError } from '../core/errors.js';
import { estimateUsage } from '../core/tokens.js';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { ChatResult, GatewayContext } from '../pipeline/stage.js';
import type { ProviderAdapter } from '../providers/contract.js';
import { attemptRecord, failureClass, failureStatus } from './attempts.js';
import { UpstreamCallOptions } from './call-options.js';
import { now } from './clock.js';
import { clientGone } from './context.js';
import type { Pricing } from './pricing.js';
import type { SpendControl } from '../spend/spend.js';

export interface UpstreamDeps {
  /** the request as parsed from the client's bytes: while ctx.request is this object, the bytes say it */
  parsed?: ChatRequest;
  providers: ReadonlyMap<string, ProviderAdapter>;
  registry: ModelRegistry;
  pricing: Pricing;
  /** the endpoint's timeout when the model sets none */
  timeoutMs: number;
  /** budgets: the attempt's worst case is reserved before it goes out, settled after */
  spend?: SpendControl;
}

export async function callUpstream(ctx: GatewayContext, deps: UpstreamDeps): Promise<ChatResult> {
  if (!ctx.target) throw new GatewayError('model_not_found', `No upstream model was chosen for '${ctx.request.model}'.`, { param: 'model' });
  // the budgets of the model that will run (after routing, for every fallback): may downgrade ctx.target, or refuse
  const hold = deps.spend?.reserve(ctx, ctx.target, ctx.request);
  const target = ctx.target;
  const adapter = deps.providers.get(target.provider);
  if (!adapter) throw new GatewayError('internal', `Provider '${target.provider}' is not configured.`);
  const ownFormat = adapter.wireFormat === ctx.format;
  // another format the upstream serves natively (OpenAI's Responses API): relayed, never rendered
  const alsoSpoken = !ownFormat && adapter.alsoSpeaks?.includes(ctx.format) === true;
  // A stream that reports usage only when asked: ask for it (the relay drops that chunk again when
  // the client did not ask), so every streamed request is billed from real usage.
  const usageRewrite = ownFormat && ctx.request.stream && !ctx.request.includeUsage && adapter.streamUsageOnlyWhenAsked === true;
  // bytes that refer to state kept upstream (a previous response) mean the same only there
  const relayOnlyTo = ctx.request.relayOnlyTo;
  // The client's bytes go upstream when they still say what the request is: same format, no stage
  // replaced the request, no usage to ask for. A route or fallback that only changed the model gets
  // the bytes with the model name swapped, not a re-rendered body. (A caller with no body bytes,
  // such as the SDK, always gets the request rendered.)
  // Thinking signatures are valid only at the provider that made them: a retry to the same provider
  // sends them as they are, a fallback to another one sends the history without them.
  const firstProvider = ctx.attempts.find((a) => a.purpose === undefined)?.provider;
  const foreignSignatures = firstProvider !== undefined && firstProvider !== target.provider && hasSignedThinking(ctx.request);
  const bodyUnchanged =
    (ownFormat || alsoSpoken) &&
    !usageRewrite &&
    !foreignSignatures &&
    ctx.rawBody.length > 0 &&
    deps.parsed !== undefined &&
    ctx.request === deps.parsed &&
    (relayOnlyTo === undefined || relayOnlyTo.includes(target.provider));
  const rawBody = !bodyUnchanged ? undefined : target.model === ctx.request.model ? ctx.rawBody : withModel(ctx.rawBody, ctx.request.model, target.model);
  // what the answer's bytes are in: the client's format when relayed in one the upstream also speaks
  const answerFormat = rawBody && alsoSpoken ? ctx.format : adapter.wireFormat;
  const timeoutMs = deps.registry.resolve(target.model)?.timeoutMs ?? deps.timeoutMs;
  const startedAt = now();
  const sentBefore = ctx.timings.upstreamSentAt;
  try {
    const callOpts = new UpstreamCallOptions(ctx, target.model, timeoutMs, ctx.timings);
    callOpts.rawBody = rawBody;
    if (answerFormat !== adapter.wireFormat) callOpts.wireFormat = answerFormat;
    callOpts.foreignSignatures = foreignSignatures;
    // adapters pick what they need (version/beta headers, the provider's forwardHeaders)
    callOpts.headers = ctx.headers as Record<string, string>;
    const r = await adapter.chat(ctx.request, callOpts);
    if (r.kind === 'complete') {
      const usage = r.response.usage;
      const attempt = attemptRecord(target, startedAt, { status: r.status, usage, costUsd: deps.pricing.costOf(target, usage) });
      ctx.attempts.push(attempt);
      deps.spend?.attach(hold, attempt);
      return { kind: 'complete', response: r.response, raw: { format: answerFormat, body: r.raw }, source: 'upstream' };
    }
    // usage and end time are settled when the stream ends (settleStream)
    const attempt = attemptRecord(target, startedAt, { status: r.status, endedAt: Number.NaN });
    ctx.attempts.push(attempt);
    deps.spend?.attach(hold, attempt);
    return { kind: 'stream', chunks: r.chunks, rawFormat: answerFormat, source: 'upstream' };
  } catch (err) {
    const errorClass = failureClass(err, clientGone(ctx));
    const a = attemptRecord(target, startedAt, { status: failureStatus(err), errorClass });
    // A call that reached the provider and then timed out or was cut is billed by the provider for
    // its input (and whatever it generated, which a whole-body call never shows us): estimate the
    // input, mark it estimated, rather than record work the provider charges for at $0.
    const reachedUpstream = ctx.timings.upstreamSentAt !== undefined && ctx.timings.upstreamSentAt !== sentBefore;
    const headArrived = ctx.timings.firstByteAt !== undefined && ctx.timings.firstByteAt >= startedAt;
    if (reachedUpstream && isBilledFailure(err, headArrived)) {
      const usage = estimateUsage(ctx.request, '', { output: 0 });
      a.usage = usage;
      a.costUsd = deps.pricing.costOf(target, usage);
    }
    ctx.attempts.push(a);
    deps.spend?.attach(hold, a);
    throw err;
  }
}

/** failures after the provider took the request: it ran (and bills) the prompt */
function isBilledFailure(err: unknown, headArrived: boolean): boolean {
  if (!(err instanceof UpstreamError)) return false;
  if (err.errorClass === 'timeout' || err.errorClass === 'stream_cut') return true;
  // the answer's head came and its body was cut: the provider had run the prompt
  return headArrived && err.status === null && err.errorClass === 'connection';
}

/**
 * The body with its model name replaced, when the top-level `"model":"<name>"` appears exactly once
 * in the compact form clients send; undefined otherwise (the caller renders the request instead).
 */
export function withModel(raw: Buffer, from: string, to: string): Buffer | undefined {
  const needle = Buffer.from(`"model":${JSON.stringify(from)}`);
  const at = raw.indexOf(needle);
  if (at === -1 || raw.indexOf(needle, at + needle.length) !== -1) return undefined;
  return Buffer.concat([raw.subarray(0, at), Buffer.from(`"model":${JSON.stringify(to)}`), raw.subarray(at + needle.length)]);
}
