// The gateway's own calls to models it serves (a verifier, an embedder, a judge): the only way a
// lever calls a model for itself. Each is one attempt of the request that needed it, with its
// purpose and cost, on the request's clock, so the ledger shows what the gateway spent.

import type { ChatRequest, ChatResponse } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import type { AttemptRecord } from '../ledger/record.js';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { GatewayContext, OwnCallOptions } from '../pipeline/stage.js';
import type { ProviderAdapter } from '../providers/contract.js';
import { attemptRecord, failureClass, failureStatus } from './attempts.js';
import { UpstreamCallOptions } from './call-options.js';
import { now } from './clock.js';
import { clientGone } from './context.js';
import type { Pricing } from './pricing.js';
import type { SpendControl } from '../spend/spend.js';

/** an own call that takes longer than this is abandoned (a model's own timeoutMs wins) */
const DEFAULT_OWN_CALL_TIMEOUT_MS = 10_000;
const DEFAULT_EMBED_TIMEOUT_MS = 30_000;

export interface OwnCalls {
  chat(ctx: GatewayContext, model: string, request: ChatRequest, opts: OwnCallOptions): Promise<ChatResponse>;
  /**
   * embeddings for a lever (the semantic cache); each call is reported through `onAttempt`. With
   * the request it serves (`ctx`), it is reserved against the request's budgets and taken from its
   * token buckets before the call, and settled at its real cost (released on failure).
   */
  embed(model: string, texts: string[], opts: { purpose: string; onAttempt?: (a: AttemptRecord) => void; ctx?: GatewayContext }): Promise<number[][]>;
}

export function createOwnCalls(deps: { registry: ModelRegistry; providers: ReadonlyMap<string, ProviderAdapter>; pricing: Pricing; spend?: SpendControl }): OwnCalls {
  const resolve = (model: string) => {
    const resolved = deps.registry.resolve(model);
    const adapter = resolved && deps.providers.get(resolved.target.provider);
    if (!resolved || !adapter) throw new GatewayError('model_not_found', `model '${model}' is not served by this gateway`);
    return { resolved, adapter };
  };
  return {
    async chat(ctx, model, request, opts) {
      const { resolved, adapter } = resolve(model);
      const target = resolved.target;
      const sent = { ...request, model, stream: false };
      // the gateway's own calls count against the budgets of the request they serve
      const hold = deps.spend?.reserve(ctx, target, sent, { own: true });
      const startedAt = now();
      try {
        const r = await adapter.chat(sent, new UpstreamCallOptions(ctx, target.model, opts.timeoutMs ?? resolved.timeoutMs ?? DEFAULT_OWN_CALL_TIMEOUT_MS, {}));
        if (r.kind !== 'complete') throw new GatewayError('internal', `${opts.purpose}: ${model} answered with a stream`);
        const usage = r.response.usage;
        const attempt = attemptRecord(target, startedAt, { purpose: opts.purpose, status: r.status, usage, costUsd: deps.pricing.costOf(target, usage) });
        ctx.attempts.push(attempt);
        deps.spend?.attach(hold, attempt);
        return r.response;
      } catch (err) {
        const attempt = attemptRecord(target, startedAt, { purpose: opts.purpose, status: failureStatus(err), errorClass: failureClass(err, clientGone(ctx)) });
        if (!(err instanceof GatewayError)) ctx.attempts.push(attempt);
        deps.spend?.attach(hold, attempt);
        throw err;
      }
    },
    async embed(model, texts, opts) {
      const resolved = deps.registry.resolve(model);
      const adapter = resolved && deps.providers.get(resolved.target.provider);
      if (!resolved || !adapter?.embeddings) throw new GatewayError('model_not_found', `embeddings model '${model}' is not served by this gateway`);
      const target = resolved.target;
      // the gateway's own calls count against the budgets of the request they serve
      const ctx = opts.ctx;
      const hold = ctx && deps.spend?.reserveEmbeddings(ctx, target, texts, { own: true });
      if (ctx) deps.spend?.takeOwnEmbeddingTokens(ctx, texts);
      const startedAt = now();
      try {
        const r = await adapter.embeddings({ model, input: texts, single: false }, { model: target.model, signal: AbortSignal.timeout(resolved.timeoutMs ?? DEFAULT_EMBED_TIMEOUT_MS), timings: {} });
        const attempt = attemptRecord(target, startedAt, { purpose: opts.purpose, status: 200, usage: r.usage, costUsd: deps.pricing.costOf(target, r.usage) });
        deps.spend?.attach(hold, attempt);
        opts.onAttempt?.(attempt);
        return r.data;
      } catch (err) {
        const attempt = attemptRecord(target, startedAt, { purpose: opts.purpose, status: failureStatus(err), errorClass: failureClass(err, false) });
        deps.spend?.attach(hold, attempt);
        opts.onAttempt?.(attempt);
        throw err;
      }
    },
  };
}
