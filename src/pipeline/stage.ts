// A lever is a stage: it sees the canonical request, may answer it (cache hit), change it (router,
// optimizer) or wrap the call downstream (retries, fallbacks), and says what it did in the trail.
//
// The rules of `next()` (every lever's stage runs the shared contract suite in test/contracts/):
// 1. A stage calls `next()` at most once per attempt it wants downstream, and may call it again
//    after a failure or a rejected answer (retries, fallbacks, cascade escalation). Each call runs
//    the rest of the pipeline again from the next stage, with the context as it is then.
// 2. A stage that answers by itself (a cache hit) returns without calling `next()`.
// 3. Before calling `next()` a stage may change `request` (then it sets `rewritten`), `target` and
//    `fallbacks`; it never changes them back behind a later stage's answer. A changed request is a
//    new object, never the parsed one edited in place: while `request` is the parsed object, the
//    client's bytes are relayed (with only the model name swapped when the target changed).
// 4. A stage never swaps the request to make a call of its own: the gateway's own calls (a
//    verifier, a judge) go through `ctx.callModel` (embeddings through `LeverDeps.own`), which
//    record them as attempts with a purpose.
// 5. Errors pass through unchanged unless the stage handles them; a stage never swallows an error
//    without an answer to return.
// 6. What a stage tells others goes in typed fields below (route, baselineModel, fallbackOn,
//    cache), never in side channels.

import type { ChatRequest, ChatResponse, Usage, WireFormat } from '../core/canonical.js';
import type { CallTimings, StreamChunk } from '../providers/contract.js';
import type { RequestRecord, TrailEntry, AttemptRecord } from '../ledger/record.js';
import type { AbortLink } from '../providers/shared/abort-link.js';

/** What a key may do: a client calls the model endpoints; an admin may also call /admin/* and /metrics. */
export type Role = 'admin' | 'client';

/** Who is calling, resolved from the virtual API key. */
export interface Caller {
  keyId: string;
  team?: string;
  user?: string;
  /** absent means client */
  role?: Role;
}

/** The upstream a request goes to: a provider instance from config and the model id there. */
export interface Target {
  provider: string;
  model: string;
}

export interface GatewayContext {
  readonly requestId: string;
  /** wire format the client speaks */
  readonly format: WireFormat;
  readonly endpoint: string;
  readonly caller: Caller;
  /** request headers, lower-cased names */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** the canonical request; stages that change it must set `rewritten` */
  request: ChatRequest;
  /** the client's body bytes, relayed as-is on the fast path */
  readonly rawBody: Buffer;
  /** true once any stage changed the request (disables the byte-for-byte fast path) */
  rewritten: boolean;
  /** route name when the requested model is a route */
  route?: string;
  /** the model the counterfactual baseline prices (a route's `baseline`); default: the requested model */
  baselineModel?: string;
  /** error classes on which the executor moves to `fallbacks` (a route's own list) */
  fallbackOn?: ReadonlySet<string>;
  /** what the cache did, for the record */
  cache?: CacheOutcome;
  /**
   * The policy overlay of the flags that apply to this request (src/flags/), set before the levers
   * run: the router honours `model`, `tier` and `maxTier`; the engine skips a lever set to false.
   */
  overlay?: PolicyOverlay;
  /** names of the flags that touched this request (the record's `flag`) */
  flags?: string[];
  /** the experiment arm this request is in, '<experiment>:control' or '<experiment>:variant' (the record's `variant`) */
  variant?: string;
  /** what prompt trimming removed, for the record and the baseline (the baseline is the untrimmed request) */
  trim?: TrimOutcome;
  /** where the request will go; the router sets it, the executor reads it */
  target?: Target;
  /** candidates to try after `target` fails (fallbacks), in order */
  fallbacks?: Target[];
  readonly trail: TrailEntry[];
  /** every upstream attempt, successful or not */
  readonly attempts: AttemptRecord[];
  /** extra response headers for the client (x-tollgate-cache, x-tollgate-route...) */
  readonly responseHeaders: Record<string, string>;
  readonly timings: CallTimings;
  /** aborted when the client disconnects */
  readonly signal: AbortSignal;
  /**
   * The same abort as `signal`, as a cheap flag (no EventTarget): read `aborted` here on hot paths
   * and pass it as CallOptions.abort; `signal` is then only made when something asks for it.
   */
  readonly clientAbort?: AbortLink;
  readonly receivedAt: number;
  /**
   * The gateway's own call to a model it serves (a verifier, a judge): one upstream attempt,
   * recorded in `attempts` with `purpose`, priced, on the request's clock. Throws on failure.
   */
  callModel(model: string, request: ChatRequest, opts: OwnCallOptions): Promise<ChatResponse>;
}

export interface OwnCallOptions {
  /** why the gateway made the call, e.g. 'cascade-verifier' (it is in the ledger's attempts) */
  purpose: string;
  timeoutMs?: number;
}

/** What a flag may change in a request's policy (src/flags/): a route's model or tier, or a lever on/off. */
export interface PolicyOverlay {
  /** send the request to this served model (on a route: one of its tiers' or fallbacks' models) */
  model?: string;
  /** on a route: use this tier */
  tier?: string;
  /** on a route: never above this tier (e.g. disable the expensive one) */
  maxTier?: string;
  /** lever name (as in `pipeline`) → false to skip it for these requests */
  levers?: Record<string, boolean>;
}

export interface TrimOutcome {
  /** input tokens the trim lever removed from the request as sent */
  inputTokensRemoved: number;
  /** dollars those tokens cost on the model that ran, net of what trimming cost (lost cache reads, a summary call) */
  savedUsd: number;
}

export interface CacheOutcome {
  status: 'hit' | 'miss' | 'bypass' | 'semantic_hit';
  savedCostUsd?: number;
  savedMs?: number;
}

/** what a usage costs on a target (the engine's pricing) */
export type CostOf = (target: Target, usage: Usage) => number;

export interface CompleteResult {
  kind: 'complete';
  response: ChatResponse;
  /** upstream bytes and their format, for byte-for-byte relay when the client speaks the same format */
  raw?: { format: WireFormat; body: Buffer };
  /** where it came from: 'upstream' or a cache */
  source: 'upstream' | 'cache';
}

export interface StreamResult {
  kind: 'stream';
  chunks: AsyncIterable<StreamChunk>;
  /** format of the raw bytes in chunks (absent for synthesized streams, e.g. cache hits) */
  rawFormat?: WireFormat;
  source: 'upstream' | 'cache';
}

export type ChatResult = CompleteResult | StreamResult;

export type Next = () => Promise<ChatResult>;

/** Who calls an admin route: always an admin key (the admin router turns every other caller away). */
export interface AdminContext {
  readonly caller: Readonly<Caller> & { readonly role: 'admin' };
  /**
   * The tenant this admin is limited to (its key's team), or undefined for an admin of every tenant.
   * A handler of a `scope: 'tenant'` route must show and change only this tenant's figures.
   */
  readonly tenant: string | undefined;
  /** ids of the configured keys of `tenant` (for stages that keep figures per key); empty when no tenant */
  readonly tenantKeyIds: readonly string[];
}

/**
 * An admin endpoint a stage exposes under the gateway (e.g. POST /admin/cache/purge). Errors are
 * thrown as GatewayError (rendered through the one error table); the result is the success answer.
 */
export interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** exact path, e.g. '/admin/cache/purge' */
  path: string;
  /**
   * 'tenant': the handler scopes what it shows or changes to `admin.tenant`, so tenant admins may
   * call it. 'global' (the default): it covers every tenant, so only an admin with no team may.
   */
  scope?: 'tenant' | 'global';
  handler(body: unknown, query: URLSearchParams, admin: AdminContext): Promise<{ status: number; body: unknown }>;
}

export interface Stage {
  readonly name: string;
  handle(ctx: GatewayContext, next: Next): Promise<ChatResult>;
  /** called once the request's ledger record is final (off the response path) */
  onRecord?(record: RequestRecord, ctx: GatewayContext): void;
  adminRoutes?: AdminRoute[];
  close?(): Promise<void>;
}

/** Runs stages in order; the terminal function calls the upstream. */
export function runPipeline(stages: readonly Stage[], ctx: GatewayContext, terminal: Next): Promise<ChatResult> {
  const dispatch = (i: number): Promise<ChatResult> =>
    i === stages.length ? terminal() : stages[i]!.handle(ctx, () => dispatch(i + 1));
  return dispatch(0);
}
