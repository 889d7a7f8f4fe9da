// GET /v1/tollgate/requests/{id}: a request's ledger record (its cost, tokens, timings, attempts)
// for the key that made it, so clients that cannot read the streamed cost trailer (fetch-based
// SDKs) can read it after the stream. A record is there once it is durable, which is before the
// answer's last byte is sent; another key's request is a 404 (its existence is not told), except
// to an admin key of the same team (or one with no team).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { Engine } from '../engine/index.js';
import type { Caller } from '../pipeline/stage.js';
import { codecForHeaders } from '../providers/registry.js';
import type { Authenticate } from './auth.js';
import { sendError, sendJson } from './http-util.js';

export const REQUEST_LOOKUP_PREFIX = '/v1/tollgate/requests/';

function mayRead(caller: Caller, record: { keyId?: string; team?: string }): boolean {
  if (record.keyId !== undefined && record.keyId === caller.keyId) return true;
  return caller.role === 'admin' && (caller.team === undefined || caller.team === record.team);
}

export function handleRequestLookup(req: IncomingMessage, res: ServerResponse, path: string, deps: { engine: Engine; authenticate: Authenticate; recentRecords: number }): void {
  const format = codecForHeaders(req.headers).format;
  if ((req.method ?? 'GET') !== 'GET') {
    return sendError(res, format, new GatewayError('method_not_allowed', `${req.method} is not allowed on ${path}; use GET.`), { allow: 'GET' });
  }
  const caller = deps.authenticate(req.headers);
  if (!caller) return sendError(res, format, new GatewayError('unauthorized', 'Invalid API key: present a Tollgate virtual key as a Bearer token or x-api-key.'));
  const id = path.slice(REQUEST_LOOKUP_PREFIX.length);
  const record = id === '' ? undefined : deps.engine.recentRecord(id);
  if (!record || !mayRead(caller, record)) {
    return sendError(
      res,
      format,
      new GatewayError(
        'not_found',
        `No finished request '${id}' for this key among the last ${deps.recentRecords} (a request's record appears when its answer has been sent in full; older ones: tollgate ledger).`,
      ),
    );
  }
  sendJson(res, 200, record);
}
