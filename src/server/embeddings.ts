// POST /v1/embeddings: OpenAI format in, any provider with an embeddings() method out; recorded
// in the ledger like every other request.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZERO_USAGE, type Usage } from '../core/canonical.js';
import { GatewayError, UpstreamError } from '../core/errors.js';
import { parseOpenAIEmbeddingsRequest, renderOpenAIEmbeddingsResponse } from '../providers/openai/embeddings.js';
import { renderOpenAIError } from '../providers/openai/error.js';
import type { ChatDeps, Outcome } from './chat.js';
import { authenticateAndRead, formatUsd, newContext } from './chat.js';
import { now } from './http-util.js';
import { finalizeRecord } from './record.js';

export async function handleEmbeddings(req: IncomingMessage, res: ServerResponse, deps: ChatDeps): Promise<void> {
  const ctx = newContext(req, res, 'openai', '/v1/embeddings');
  const outcome: Outcome = { httpStatus: 200 };
  try {
    const json = await authenticateAndRead(req, ctx, deps);
    const embReq = parseOpenAIEmbeddingsRequest(json);
    // the ledger's record wants a request; embeddings have no messages
    ctx.request = { model: embReq.model, system: [], messages: [], stream: false, includeUsage: false, extra: {} };
    const resolved = deps.registry.resolve(embReq.model);
    if (!resolved) throw new GatewayError('model_not_found', `The model '${embReq.model}' does not exist or is not served by this gateway.`, { param: 'model' });
    ctx.target = resolved.target;
    const adapter = deps.providers.get(resolved.target.provider);
    if (!adapter?.embeddings) throw new GatewayError('unsupported', `Provider '${resolved.target.provider}' does not serve embeddings.`, { param: 'model' });
    const startedAt = now();
    let usage: Usage;
    try {
      const r = await adapter.embeddings(embReq, { model: resolved.target.model, signal: ctx.signal, timeoutMs: resolved.timeoutMs ?? deps.timeoutMs, timings: ctx.timings });
      usage = r.usage;
      const cost = deps.costOf(resolved.target, usage);
      ctx.attempts.push({ provider: resolved.target.provider, model: resolved.target.model, status: 200, startedAt, endedAt: now(), usage, costUsd: cost });
      outcome.usage = usage;
      outcome.costUsd = cost;
      const payload = JSON.stringify(renderOpenAIEmbeddingsResponse(r, { model: embReq.model, encodingFormat: embReq.encodingFormat }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...ctx.responseHeaders, 'x-tollgate-cost-usd': formatUsd(cost) });
      res.end(payload);
    } catch (err) {
      ctx.attempts.push({ provider: resolved.target.provider, model: resolved.target.model, status: err instanceof UpstreamError ? err.status : null, errorClass: err instanceof UpstreamError ? err.errorClass : 'internal', startedAt, endedAt: now(), costUsd: 0 });
      throw err;
    }
  } catch (err) {
    outcome.error = err;
    outcome.usage ??= { ...ZERO_USAGE };
    if (ctx.signal.aborted) outcome.aborted = true;
    else {
      const rendered = renderOpenAIError(err);
      outcome.httpStatus = rendered.status;
      const payload = JSON.stringify(rendered.body);
      if (!res.headersSent) {
        res.writeHead(rendered.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...ctx.responseHeaders });
        res.end(payload);
      }
    }
  } finally {
    finalizeRecord(ctx, outcome, deps);
  }
}
