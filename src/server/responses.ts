// The stateful endpoints of a format whose API keeps answers (OpenAI's Responses API): a create
// that may continue a stored answer, and GET / DELETE of a stored answer and its input items.
// Stored answers live in the gateway's ResponseStore, scoped to the caller's tenant (its team, else
// its key), so a turn reaches any provider and another tenant's id is a 404. What the items mean
// is the codec's (WireCodec.stateful); this is the HTTP and the store.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatRequest } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import { MAX_JSON_DEPTH, jsonDeeperThan } from '../core/json-depth.js';
import { estimateInputTokens } from '../core/tokens.js';
import type { Caller } from '../pipeline/stage.js';
import type { StatefulCodec, StoredConversation, WireCodec } from '../providers/registry.js';
import type { ResponseStore, StoredResponse } from '../stores/responses.js';
import { storedBytes } from '../stores/responses.js';
import type { Authenticate } from './auth.js';
import { handleChat, type ChatDeps } from './chat.js';
import { readBody, sendError, sendJson } from './http-util.js';

export interface ResponsesDeps extends ChatDeps {
  store: ResponseStore;
  ttlMs: number;
  maxResponseBytes: number;
  /** the provider instances that serve this format natively (they may keep state of their own) */
  nativeProviders: readonly string[];
}

/** the tenant a caller's stored answers belong to */
export function scopeOf(caller: Caller): string {
  return caller.team !== undefined ? `team:${caller.team}` : `key:${caller.keyId}`;
}

function conversationOf(e: StoredResponse): StoredConversation {
  return { inputItems: JSON.parse(e.inputItems) as unknown[], response: JSON.parse(e.response) as Record<string, unknown> };
}

function notFound(id: string, param?: string): GatewayError {
  return param
    ? new GatewayError('invalid_request', `Previous response with id '${id}' not found.`, { param })
    : new GatewayError('not_found', `Response with id '${id}' not found.`);
}

/**
 * A turn as a request: the stored answer it continues and the items it references looked up in the
 * caller's scope, and where its bytes may still go as they are (anywhere, unless they refer to state).
 */
async function resolveTurn(json: unknown, scope: string, st: StatefulCodec, store: ResponseStore): Promise<{ request: ChatRequest; items: unknown[]; store: boolean }> {
  const state = st.turnState(json);
  const now = Date.now();
  let previous: StoredConversation | undefined;
  let relayOnlyTo: readonly string[] | undefined;
  const narrow = (to: readonly string[]): void => {
    relayOnlyTo = relayOnlyTo === undefined ? to : relayOnlyTo.filter((p) => to.includes(p));
  };
  if (state.previousResponseId !== undefined) {
    const e = await store.get(scope, state.previousResponseId, now);
    if (!e) throw notFound(state.previousResponseId, 'previous_response_id');
    previous = conversationOf(e);
    // the upstream that made it keeps it too only when it was relayed there as is
    narrow(e.upstreamProvider ? [e.upstreamProvider] : []);
  }
  const refs = new Map<string, unknown>();
  for (const ref of state.itemReferences) {
    if (refs.has(ref)) continue;
    const e = await store.getByItem(scope, ref, now);
    if (!e) continue; // the parse names the missing one
    for (const [k, v] of st.itemsOf(conversationOf(e))) refs.set(k, v);
    narrow(e.upstreamProvider ? [e.upstreamProvider] : []);
  }
  const parsed = st.parseTurn(json, previous, refs);
  if (relayOnlyTo !== undefined) parsed.request.relayOnlyTo = relayOnlyTo;
  return { request: parsed.request, items: parsed.items, store: state.store };
}

/** POST: a turn, which may continue a stored answer and is stored unless `store: false` */
export async function handleResponsesCreate(req: IncomingMessage, res: ServerResponse, codec: WireCodec, endpoint: string, deps: ResponsesDeps): Promise<void> {
  const st = codec.stateful as StatefulCodec;
  let turn: { items: unknown[]; store: boolean; scope: string } | undefined;
  return handleChat(req, res, codec.format, endpoint, deps, {
    id: st.newResponseId(),
    async parse(json, run) {
      const t = await resolveTurn(json, scopeOf(run.ctx.caller), st, deps.store);
      turn = { items: t.items, store: t.store, scope: scopeOf(run.ctx.caller) };
      return t.request;
    },
    answered({ body, relayed }, run) {
      if (!turn?.store || typeof body.id !== 'string') return;
      const stored = st.storedForm(turn.items, body, body.id);
      const inputItems = JSON.stringify(stored.inputItems);
      const response = JSON.stringify(stored.response);
      const bytes = storedBytes(inputItems, response);
      // too large to keep: answered, not stored (a later turn naming it gets a 400)
      if (bytes > deps.maxResponseBytes) return;
      const now = Date.now();
      const target = run.ctx.target;
      const entry: StoredResponse = {
        id: body.id,
        scope: turn.scope,
        createdAt: now,
        expiresAt: now + deps.ttlMs,
        model: typeof body.model === 'string' ? body.model : run.ctx.request.model,
        itemIds: [...st.itemsOf(stored).keys()],
        inputItems,
        response,
        bytes,
      };
      if (relayed && target && deps.nativeProviders.includes(target.provider)) entry.upstreamProvider = target.provider;
      try {
        void Promise.resolve(deps.store.put(entry)).catch(() => undefined);
      } catch {
        // a store failure must not fail an answer already given
      }
    },
  });
}

export interface StoredRouteDeps {
  store: ResponseStore;
  authenticate: Authenticate;
}

/**
 * GET /{id}, DELETE /{id}, GET /{id}/input_items under a stateful codec's endpoint; undefined when
 * `path` is none of them.
 */
export function storedResponseRoute(path: string, method: string, codec: WireCodec): ((req: IncomingMessage, res: ServerResponse, deps: StoredRouteDeps) => Promise<void>) | undefined {
  const base = codec.endpoints.chat + '/';
  if (!codec.stateful || !path.startsWith(base)) return undefined;
  const rest = path.slice(base.length).split('/');
  let id: string;
  try {
    id = decodeURIComponent(rest[0] ?? '');
  } catch {
    return undefined; // a malformed escape names no stored response: the 404 of an unknown path
  }
  if (id === '' || rest.length > 2 || (rest.length === 2 && rest[1] !== 'input_items')) return undefined;
  const st = codec.stateful;
  const items = rest.length === 2;
  if (!(method === 'GET' || (method === 'DELETE' && !items))) return undefined;
  return async (req, res, deps) => {
    try {
      const caller = deps.authenticate(req.headers);
      if (!caller) throw new GatewayError('unauthorized', 'Invalid API key: present a Tollgate virtual key as a Bearer token or x-api-key.');
      const scope = scopeOf(caller);
      if (method === 'DELETE') {
        if (!(await deps.store.delete(scope, id))) throw notFound(id);
        return sendJson(res, 200, st.renderDeleted(id));
      }
      const e = await deps.store.get(scope, id, Date.now());
      if (!e) throw notFound(id);
      const conv = conversationOf(e);
      if (!items) return sendJson(res, 200, conv.response);
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      sendJson(res, 200, st.renderInputItems(conv.inputItems, query));
    } catch (err) {
      sendError(res, codec.format, err);
    }
  };
}

/**
 * POST {endpoint}/input_tokens: the input tokens a turn would send (its stored conversation
 * included), counted locally with the gateway's tokenizer; free, and not a request to record.
 */
export async function handleResponsesInputTokens(req: IncomingMessage, res: ServerResponse, codec: WireCodec, deps: StoredRouteDeps & { bodyLimitBytes: number }): Promise<void> {
  try {
    const caller = deps.authenticate(req.headers);
    if (!caller) throw new GatewayError('unauthorized', 'Invalid API key: present a Tollgate virtual key as a Bearer token or x-api-key.');
    const body = await readBody(req, deps.bodyLimitBytes);
    if (jsonDeeperThan(body)) throw new GatewayError('invalid_request', `The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new GatewayError('invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
    }
    // the model is optional here: counting does not depend on it
    const withModel = typeof json === 'object' && json !== null && !Array.isArray(json) && (json as Record<string, unknown>).model === undefined ? { ...json, model: 'count' } : json;
    const turn = await resolveTurn(withModel, scopeOf(caller), codec.stateful as StatefulCodec, deps.store);
    sendJson(res, 200, { object: 'response.input_tokens', input_tokens: estimateInputTokens(turn.request) });
  } catch (err) {
    sendError(res, codec.format, err);
  }
}
