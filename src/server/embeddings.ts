// POST <codec>/embeddings: parsed and rendered by the codec of the path, served by any provider
// with an embeddings() method; recorded in the ledger like every other request.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZERO_USAGE } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import { clientGone, type Outcome } from '../engine/index.js';
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
    const r = await run.embeddings(embReq);
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
