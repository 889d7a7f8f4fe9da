// POST /v1/messages/count_tokens (and any format's token-counting endpoint): the upstream's own
// count where it has one (Anthropic), else the local tokenizer's (core/tokens.ts). Free and not a
// model call, so it leaves no ledger record; it needs a key like every model endpoint.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import { MAX_JSON_DEPTH, jsonDeeperThan } from '../core/json-depth.js';
import { countInputTokens } from '../core/tokens.js';
import type { Engine } from '../engine/index.js';
import type { WireCodec } from '../providers/registry.js';
import { AbortFlag } from '../providers/shared/abort-link.js';
import type { Authenticate } from './auth.js';
import { readBody } from './http-util.js';

export interface CountTokensDeps {
  engine: Engine;
  authenticate: Authenticate;
  bodyLimitBytes: number;
  timeoutMs: number;
}

export async function handleCountTokens(req: IncomingMessage, res: ServerResponse, codec: WireCodec, deps: CountTokensDeps): Promise<void> {
  const counting = codec.countTokens!;
  const abort = new AbortFlag();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  try {
    if (!deps.authenticate(req.headers)) throw new GatewayError('unauthorized', 'Invalid API key: present a Tollgate virtual key as a Bearer token or x-api-key.');
    const body = await readBody(req, deps.bodyLimitBytes);
    if (jsonDeeperThan(body)) throw new GatewayError('invalid_request', `The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new GatewayError('invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
    }
    const request = counting.parseRequest(json);
    const { registry, providers } = deps.engine;
    const resolved = registry.resolve(request.model);
    if (!resolved && !registry.isRoute(request.model)) {
      throw new GatewayError('model_not_found', `The model '${request.model}' does not exist or is not served by this gateway.`, { param: 'model' });
    }
    const adapter = resolved ? providers.get(resolved.target.provider) : undefined;
    let inputTokens: number;
    if (resolved && adapter?.countTokens) {
      const target = resolved.target;
      // the client's bytes when they are in the upstream's format and name the upstream's model
      const rawBody = adapter.wireFormat === codec.format && target.model === request.model ? body : undefined;
      inputTokens = await adapter.countTokens(request, {
        model: target.model,
        get signal() {
          return abort.signal;
        },
        abort,
        timeoutMs: resolved.timeoutMs ?? deps.timeoutMs,
        rawBody,
        headers: req.headers as Record<string, string>,
        timings: {},
      });
    } else {
      // a route (its model is chosen per request) or an upstream with no counting endpoint
      inputTokens = countInputTokens(request);
    }
    const payload = JSON.stringify(counting.renderResponse(inputTokens));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  } catch (err) {
    if (abort.aborted) return;
    const rendered = codec.renderError(err);
    const payload = JSON.stringify(rendered.body);
    if (!res.headersSent) res.writeHead(rendered.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  }
}
