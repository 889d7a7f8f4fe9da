// A request's context, made without HTTP: the server, the SDK, replay and tests all make it here.

import { randomUUID } from 'node:crypto';
import type { ChatRequest, WireFormat } from '../core/canonical.js';
import type { Caller, GatewayContext } from '../pipeline/stage.js';
import { AbortFlag, type AbortLink } from '../providers/shared/abort-link.js';
import { now } from './clock.js';
import type { OwnCalls } from './own-calls.js';

export interface RequestMeta {
  format: WireFormat;
  endpoint: string;
  /** request headers, lower-cased names */
  headers: Readonly<Record<string, string | undefined>>;
  /** aborted when the client goes away; default: a fresh flag nobody aborts */
  abort?: AbortFlag;
  receivedAt?: number;
  requestId?: string;
}

export function newRequestId(): string {
  return `tg-${randomUUID()}`;
}

/** the placeholder until the request is parsed (records of requests that never parsed keep it) */
const UNPARSED = undefined as unknown as ChatRequest;

export function createContext(meta: RequestMeta, own: OwnCalls): GatewayContext {
  const requestId = meta.requestId ?? newRequestId();
  // a flag, not an AbortController: ctx.signal is made only if something asks (see abort-link.ts)
  const abort = meta.abort ?? new AbortFlag();
  const ctx: GatewayContext = {
    requestId,
    format: meta.format,
    endpoint: meta.endpoint,
    caller: { keyId: 'anonymous' },
    headers: meta.headers,
    request: UNPARSED,
    rawBody: EMPTY,
    rewritten: false,
    trail: [],
    attempts: [],
    responseHeaders: { 'x-tollgate-request-id': requestId },
    timings: {},
    get signal() {
      return abort.signal;
    },
    clientAbort: abort,
    receivedAt: meta.receivedAt ?? now(),
    callModel: (model, request, opts) => own.chat(ctx, model, request, opts),
  };
  return ctx;
}

const EMPTY = Buffer.alloc(0);

/** fills in what authentication and reading the body found */
export function admit(ctx: GatewayContext, caller: Caller, rawBody: Buffer): void {
  (ctx as { caller: Caller }).caller = caller;
  (ctx as { rawBody: Buffer }).rawBody = rawBody;
}

/** the client went away (read from the cheap flag; ctx.signal would make an AbortSignal) */
export function clientGone(ctx: GatewayContext): boolean {
  return ((ctx.clientAbort as AbortLink | undefined) ?? ctx.signal).aborted;
}
