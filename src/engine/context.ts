// A request's context, made without HTTP: the server, the SDK, replay and tests all make it here.

import { randomUUID } from 'node:crypto';
import type { ChatRequest, ChatResponse, WireFormat } from '../core/canonical.js';
import type { TrailEntry, AttemptRecord } from '../ledger/record.js';
import type { CallTimings } from '../providers/contract.js';
import type { Caller, GatewayContext, OwnCallOptions } from '../pipeline/stage.js';
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

/**
 * The context as a class, its `signal` getter and `callModel` on the prototype. An object literal
 * with a getter costs an accessor pair per request, and V8 puts accessor pairs in the old
 * generation: each one kept its young context (and the request, trail and record it reaches)
 * alive through every young-generation GC until a full one, which was most of replay's GC time.
 */
class RequestContext implements GatewayContext {
  readonly requestId: string;
  readonly format: WireFormat;
  readonly endpoint: string;
  readonly caller: Caller = { keyId: 'anonymous' };
  readonly headers: Readonly<Record<string, string | undefined>>;
  request: ChatRequest = UNPARSED;
  readonly rawBody: Buffer = EMPTY;
  rewritten = false;
  readonly trail: TrailEntry[] = [];
  readonly attempts: AttemptRecord[] = [];
  readonly responseHeaders: Record<string, string>;
  readonly timings: CallTimings = {};
  readonly clientAbort: AbortFlag;
  readonly receivedAt: number;
  // the optional fields stages set (route, target, cache, trim, ...) stay absent until they do
  declare route?: string;

  constructor(
    meta: RequestMeta,
    private readonly own: OwnCalls,
  ) {
    const requestId = meta.requestId ?? newRequestId();
    this.requestId = requestId;
    this.format = meta.format;
    this.endpoint = meta.endpoint;
    this.headers = meta.headers;
    this.responseHeaders = { 'x-tollgate-request-id': requestId };
    // a flag, not an AbortController: ctx.signal is made only if something asks (see abort-link.ts)
    this.clientAbort = meta.abort ?? new AbortFlag();
    this.receivedAt = meta.receivedAt ?? now();
  }

  get signal(): AbortSignal {
    return this.clientAbort.signal;
  }

  callModel(model: string, request: ChatRequest, opts: OwnCallOptions): Promise<ChatResponse> {
    return this.own.chat(this, model, request, opts);
  }
}

export function createContext(meta: RequestMeta, own: OwnCalls): GatewayContext {
  return new RequestContext(meta, own);
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
