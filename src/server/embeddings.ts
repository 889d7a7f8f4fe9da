// POST <codec>/embeddings: parsed and rendered by the codec of the path, served by any provider
// with an embeddings() method; recorded in the ledger like every other request, and held to the
// caller's rate limits and budgets like a chat request.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZERO_USAGE } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/canonical.js';
import { clientGone, type Outcome, type RequestRun } from '../engine/index.js';
import type { WireCodec } from '../providers/registry.js';
import { authenticateAndRead, formatUsd, startRun, type ChatDeps } from './chat.js';

export async function handleEmbeddings(req: IncomingMessage, res: ServerResponse, codec: WireCodec, deps: ChatDeps): Promise<void> {
  const run = startRun(req, res, codec.format, codec.endpoints.embeddings ?? '/v1/embeddings', deps);
  const outcome: Outcome = { httpStatus: 200 };
  try {
    const embeddings = codec.embeddings;
    if (!embeddings) throw new GatewayError('not_found', `${codec.format} clients have no embeddings endpoint`);
    const json = await authenticateAndRead(req, run, deps);
    const embReq = embeddings.parseRequest(json);
    const r = await budgeted(run, embReq, deps);
    outcome.usage = r.usage;
    const payload = JSON.stringify(embeddings.renderResponse(r, { model: embReq.model, encodingFormat: embReq.encodingFormat }));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...run.ctx.responseHeaders, 'x-tollgate-cost-usd': formatUsd(run.costUsd()) });
    // recorded before the last byte goes out, as chat answers are: a kill -9 cannot lose it
    run.finish(outcome, () => res.end(payload));
  } catch (err) {
    outcome.error = err;
    outcome.usage ??= { ...ZERO_USAGE };
    if (clientGone(run.ctx)) outcome.aborted = true;
    else {
      const rendered = codec.renderError(err);
      outcome.httpStatus = rendered.status;
      if (!res.headersSent) {
        const payload = JSON.stringify(rendered.body);
        res.writeHead(rendered.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...run.ctx.responseHeaders });
        res.end(payload);
      }
    }
  } finally {
    run.finish(outcome);
  }
}

/**
 * The call, within the caller's rate limits (one request, the input's tokens) and budgets (the
 * input's tokens at the model's input price, reserved against every scope before the call): a
 * refusal is a 429 before anything is sent; the reservation settles at the call's real cost, or
 * goes back when it failed. An unknown model is left to the engine's own error.
 */
async function budgeted(run: RequestRun, request: EmbeddingsRequest, deps: ChatDeps): Promise<EmbeddingsResponse> {
  const { spend, registry } = deps.engine;
  const ctx = run.ctx;
  const target = registry.resolve(request.model)?.target;
  if (!target) return run.embeddings(request);
  spend.admitEmbeddings(ctx, request.input);
  const hold = spend.reserveEmbeddings(ctx, target, request.input);
  const before = ctx.attempts.length;
  try {
    return await run.embeddings(request);
  } finally {
    // the call's attempt carries its cost (a failed one its bill, usually $0); no attempt, no call
    const attempt = ctx.attempts[before];
    if (attempt) spend.attach(hold, attempt);
    else spend.release(hold);
  }
}
