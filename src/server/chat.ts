// One chat request end to end: authenticate, parse in the caller's wire format, run the lever
// pipeline, relay the answer (byte for byte when formats match), and record it in the ledger.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { ChatRequest, ChatResponse, StreamEvent, Usage, WireFormat } from '../core/canonical.js';
import { GatewayError, UpstreamError } from '../core/errors.js';
import { StreamAccumulator, responseToEvents } from '../core/stream-accumulator.js';
import { estimateUsage } from '../core/tokens.js';
import { MAX_JSON_DEPTH, jsonDeeperThan } from '../core/json-depth.js';
import { codecFor } from '../providers/registry.js';
import type { ProviderAdapter, StreamChunk } from '../providers/contract.js';
import { runPipeline, type ChatResult, type GatewayContext, type Stage, type Target } from '../pipeline/stage.js';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { Authenticate } from './auth.js';
import { lowerCaseHeaders, now, readBody } from './http-util.js';
import { finalizeRecord, type RecordSink } from './record.js';
import { AbortFlag } from '../providers/shared/abort-link.js';

export interface ChatDeps {
  providers: ReadonlyMap<string, ProviderAdapter>;
  registry: ModelRegistry;
  stages: readonly Stage[];
  authenticate: Authenticate;
  costOf(target: Target, usage: Usage): number;
  sink: RecordSink;
  bodyLimitBytes: number;
  timeoutMs: number;
}

export function newRequestId(): string {
  return `tg-${randomUUID()}`;
}

export async function handleChat(req: IncomingMessage, res: ServerResponse, format: WireFormat, endpoint: string, deps: ChatDeps): Promise<void> {
  const codec = codecFor(format);
  const ctx = newContext(req, res, format, endpoint);
  const outcome: Outcome = { httpStatus: 200 };
  try {
    const json = await authenticateAndRead(req, ctx, deps);
    ctx.request = codec.parseChatRequest(json);
    const resolved = deps.registry.resolve(ctx.request.model);
    if (resolved) ctx.target = resolved.target;
    else if (deps.registry.isRoute(ctx.request.model)) ctx.route = ctx.request.model;
    else throw new GatewayError('model_not_found', `The model '${ctx.request.model}' does not exist or is not served by this gateway.`, { param: 'model' });

    const result = await runPipeline(deps.stages, ctx, () => callUpstream(ctx, deps));
    if (ctx.request.stream) await writeStream(ctx, res, result, outcome, deps);
    else await writeComplete(ctx, res, result, outcome, deps);
  } catch (err) {
    outcome.error = err;
    if (clientGone(ctx)) {
      outcome.aborted = true;
    } else {
      const rendered = codec.renderError(err);
      outcome.httpStatus = rendered.status;
      if (!res.headersSent) {
        const payload = JSON.stringify(rendered.body);
        res.writeHead(rendered.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...ctx.responseHeaders });
        res.end(payload);
      } else if (!res.writableEnded) {
        res.end();
      }
    }
  } finally {
    if (!outcome.recorded) finalizeRecord(ctx, outcome, deps);
  }
}

/**
 * A fresh context for one request; its signal aborts when the client goes away before the
 * response is complete (that aborts the upstream call too).
 */
export function newContext(req: IncomingMessage, res: ServerResponse, format: WireFormat, endpoint: string): GatewayContext {
  const receivedAt = now();
  const requestId = newRequestId();
  // a flag, not an AbortController: ctx.signal is made only if something asks (see abort-link.ts)
  const abort = new AbortFlag();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  return {
    requestId,
    format,
    endpoint,
    caller: { keyId: 'anonymous' },
    // node already lower-cases names and joins repeats, except set-cookie (an array): copy only then
    headers: req.headers['set-cookie'] === undefined ? (req.headers as Record<string, string | undefined>) : lowerCaseHeaders(req),
    request: undefined as unknown as ChatRequest,
    rawBody: Buffer.alloc(0),
    rewritten: false,
    trail: [],
    record: {},
    attempts: [],
    responseHeaders: { 'x-tollgate-request-id': requestId },
    timings: {},
    get signal() {
      return abort.signal;
    },
    clientAbort: abort,
    receivedAt,
  };
}

/** Checks the key, reads the body (within the size limit) and parses it as JSON. */
export async function authenticateAndRead(req: IncomingMessage, ctx: GatewayContext, deps: Pick<ChatDeps, 'authenticate' | 'bodyLimitBytes'>): Promise<unknown> {
  const caller = deps.authenticate(req.headers);
  if (!caller) throw new GatewayError('unauthorized', 'Invalid API key: present a Tollgate virtual key as a Bearer token or x-api-key.');
  (ctx as { caller: typeof caller }).caller = caller;
  const body = await readBody(req, deps.bodyLimitBytes);
  (ctx as { rawBody: Buffer }).rawBody = body;
  if (jsonDeeperThan(body)) throw new GatewayError('invalid_request', `The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new GatewayError('invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Records the request before its last bytes go out: once a client holds a complete answer, its
 * ledger record is already in the journal, so a `kill -9` right after cannot lose it.
 */
function recordThen(ctx: GatewayContext, outcome: Outcome, deps: ChatDeps, onDurable: () => void): void {
  outcome.recorded = true;
  finalizeRecord(ctx, outcome, deps, onDurable);
}

export interface Outcome {
  /** the ledger record was written */
  recorded?: boolean;
  httpStatus: number;
  error?: unknown;
  aborted?: boolean;
  /** what the client was served (complete or accumulated from the stream) */
  response?: ChatResponse;
  /** the stream ended without a finish (upstream cut, error event) */
  cut?: boolean;
  costUsd?: number;
  usage?: Usage;
  source?: 'upstream' | 'cache';
}

/** The terminal step of the pipeline: one call to the upstream that ctx.target names. */
async function callUpstream(ctx: GatewayContext, deps: ChatDeps): Promise<ChatResult> {
  const target = ctx.target;
  if (!target) throw new GatewayError('model_not_found', `No upstream model was chosen for '${ctx.request.model}'.`, { param: 'model' });
  const adapter = deps.providers.get(target.provider);
  if (!adapter) throw new GatewayError('internal', `Provider '${target.provider}' is not configured.`);
  const sameFormat = adapter.wireFormat === ctx.format;
  // An OpenAI stream only reports usage when asked: ask for it (the relay drops that chunk again
  // when the client did not ask), so every streamed request is billed from real usage.
  const usageRewrite = ctx.request.stream && !ctx.request.includeUsage && adapter.wireFormat === 'openai';
  const fastPath = sameFormat && !ctx.rewritten && !usageRewrite && target.model === ctx.request.model;
  const timeoutMs = deps.registry.resolve(target.model)?.timeoutMs ?? deps.timeoutMs;
  const startedAt = now();
  try {
    const r = await adapter.chat(ctx.request, {
      model: target.model,
      get signal() {
        return ctx.signal;
      },
      abort: ctx.clientAbort,
      timeoutMs,
      rawBody: fastPath ? ctx.rawBody : undefined,
      // adapters pick what they need (anthropic-version/beta, the provider's forwardHeaders)
      headers: ctx.headers as Record<string, string>,
      timings: ctx.timings,
    });
    if (r.kind === 'complete') {
      ctx.attempts.push({ provider: target.provider, model: target.model, status: r.status, startedAt, endedAt: now(), usage: r.response.usage, costUsd: deps.costOf(target, r.response.usage) });
      return { kind: 'complete', response: r.response, raw: { format: adapter.wireFormat, body: r.raw }, source: 'upstream' };
    }
    // usage and end time are filled in when the stream ends (finalizeRecord)
    ctx.attempts.push({ provider: target.provider, model: target.model, status: r.status, startedAt, endedAt: Number.NaN, costUsd: 0 });
    return { kind: 'stream', chunks: r.chunks, rawFormat: adapter.wireFormat, source: 'upstream' };
  } catch (err) {
    ctx.attempts.push({
      provider: target.provider,
      model: target.model,
      status: err instanceof UpstreamError ? err.status : null,
      errorClass: err instanceof UpstreamError ? err.errorClass : clientGone(ctx) ? 'aborted' : 'internal',
      startedAt,
      endedAt: now(),
      costUsd: 0,
    });
    throw err;
  }
}

export function formatUsd(v: number): string {
  // toFixed(8) without trailing zeros, keeping one after the point ("0.0012", "1.0"); no regexes
  const s = v.toFixed(8);
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (end > 0 && s.charCodeAt(end - 1) === 46 /* . */) end++;
  return end === s.length ? s : s.slice(0, end);
}

async function writeComplete(ctx: GatewayContext, res: ServerResponse, result: ChatResult, outcome: Outcome, deps: ChatDeps): Promise<void> {
  const codec = codecFor(ctx.format);
  let response: ChatResponse;
  let raw: Buffer | undefined;
  if (result.kind === 'complete') {
    response = result.response;
    if (result.raw && result.raw.format === ctx.format) raw = result.raw.body;
  } else {
    // a streamed answer for a non-streaming client (e.g. a stage chose to stream): fold it
    const acc = new StreamAccumulator();
    for await (const chunk of result.chunks) for (const ev of chunk.events) acc.push(ev);
    if (!acc.complete) throw new GatewayError('upstream_error', acc.error?.message ?? 'The upstream stream ended before the answer was complete.');
    response = acc.toResponse();
  }
  outcome.response = response;
  outcome.source = result.source;
  outcome.usage = response.usage;
  outcome.costUsd = sumAttemptCost(ctx, deps);
  const body = raw ?? Buffer.from(JSON.stringify(codec.renderChatResponse(response, { model: response.model || ctx.target?.model || ctx.request.model })));
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length };
  for (const k in ctx.responseHeaders) headers[k] = ctx.responseHeaders[k]!;
  headers['x-tollgate-cost-usd'] = formatUsd(outcome.costUsd ?? 0);
  res.writeHead(200, headers);
  recordThen(ctx, outcome, deps, () => res.end(body));
}

async function writeStream(ctx: GatewayContext, res: ServerResponse, result: ChatResult, outcome: Outcome, deps: ChatDeps): Promise<void> {
  const codec = codecFor(ctx.format);
  const chunks: AsyncIterable<StreamChunk> =
    result.kind === 'stream' ? result.chunks : oneChunk(responseToEvents(result.response));
  const passthrough = result.kind === 'stream' && result.rawFormat === ctx.format;
  const dropUsage = passthrough && ctx.format === 'openai' && !ctx.request.includeUsage;
  const renderer = passthrough
    ? undefined
    : codec.createStreamRenderer({ model: ctx.target?.model ?? ctx.request.model, includeUsage: ctx.request.includeUsage, id: undefined });
  outcome.source = result.source;
  const acc = new StreamAccumulator();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    trailer: 'x-tollgate-cost-usd',
    ...ctx.responseHeaders,
  });
  const write = async (data: string | Buffer): Promise<void> => {
    if (data.length === 0 || res.writableEnded) return;
    if (!res.write(data) && !clientGone(ctx)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  };
  // the upstream's terminal event is held back until the request is recorded (see recordThen)
  let heldBack: Buffer | undefined;
  try {
    for await (const chunk of chunks) {
      for (const ev of chunk.events) {
        acc.push(ev);
        if (ctx.timings.firstTokenAt === undefined && isContentEvent(ev)) ctx.timings.firstTokenAt = now();
      }
      if (renderer) await write(chunk.events.map((ev) => renderer.render(ev)).join(''));
      else {
        const raw = dropUsage ? stripOpenAIUsageEvents(chunk.raw) : chunk.raw;
        if (isTerminal(raw)) heldBack = heldBack ? Buffer.concat([heldBack, raw]) : raw;
        else if (heldBack) {
          heldBack = Buffer.concat([heldBack, raw]);
        } else await write(raw);
      }
      if (clientGone(ctx)) break;
    }
  } catch (err) {
    if (!clientGone(ctx)) {
      // the upstream failed mid-stream: tell the client in its own format, then end
      acc.push({ type: 'error', error: { type: 'api_error', message: err instanceof Error ? err.message : String(err) } });
      if (renderer) await write(renderer.render({ type: 'error', error: { type: 'api_error', message: 'The upstream stream failed.' } }));
      else await write(codecFor(ctx.format).createStreamRenderer({ model: ctx.request.model, includeUsage: false }).render({ type: 'error', error: { type: 'api_error', message: 'The upstream stream failed.' } }));
    }
  }
  ctx.timings.lastTokenAt ??= now();
  outcome.response = acc.toResponse();
  outcome.cut = !acc.complete;
  if (clientGone(ctx)) outcome.aborted = true;
  if (acc.error) outcome.error = new UpstreamError({ provider: ctx.target?.provider ?? '', model: ctx.target?.model ?? '', status: 200, message: acc.error.message, errorClass: 'stream_error', retryable: false, upstreamType: acc.error.type });
  else if (outcome.cut && !outcome.aborted) outcome.error = new UpstreamError({ provider: ctx.target?.provider ?? '', model: ctx.target?.model ?? '', status: 200, message: 'stream ended before completion', errorClass: 'stream_cut', retryable: false });
  // usage: the provider's when it arrived, else an estimate from what was streamed
  let usage = acc.usage;
  const servedByUpstream = result.source === 'upstream';
  // (a stream cut before its final usage: keep what the provider did report, estimate the rest)
  if (servedByUpstream && (!acc.sawUsage || outcome.cut)) usage = estimateUsage(ctx.request, acc.text(), acc.reportedUsage);
  outcome.usage = usage;
  if (servedByUpstream) {
    const served = ctx.attempts.at(-1);
    if (served && Number.isNaN(served.endedAt)) {
      served.endedAt = ctx.timings.upstreamEndAt ?? now();
      served.usage = usage;
      served.costUsd = ctx.target ? deps.costOf(ctx.target, usage) : 0;
      if (outcome.cut) served.errorClass = acc.error ? 'stream_error' : clientGone(ctx) ? 'aborted' : 'stream_cut';
    }
  }
  outcome.costUsd = sumAttemptCost(ctx, deps);
  await new Promise<void>((resolve) => recordThen(ctx, outcome, deps, resolve));
  if (heldBack) await write(heldBack);
  if (renderer && acc.complete && !clientGone(ctx)) {
    await write(renderer.end());
  } else if (renderer && !clientGone(ctx) && !acc.error) {
    await write(renderer.render({ type: 'error', error: { type: 'api_error', message: 'The upstream stream ended before the answer was complete.' } }));
  }
  if (!res.writableEnded) {
    res.addTrailers({ 'x-tollgate-cost-usd': formatUsd(outcome.costUsd) });
    res.end();
  }
}

/** the client went away (read from the cheap flag; ctx.signal would make an AbortSignal) */
function clientGone(ctx: GatewayContext): boolean {
  return (ctx.clientAbort ?? ctx.signal).aborted;
}

function sumAttemptCost(ctx: GatewayContext, _deps: ChatDeps): number {
  let sum = 0;
  for (const a of ctx.attempts) sum += a.costUsd;
  return sum;
}

/** an SSE event that tells the client the answer is complete */
function isTerminal(raw: Buffer): boolean {
  return raw.indexOf('data: [DONE]') !== -1 || raw.indexOf('event: message_stop') !== -1;
}

function isContentEvent(ev: StreamEvent): boolean {
  return (
    (ev.type === 'text_delta' && ev.text.length > 0) ||
    (ev.type === 'thinking_delta' && ev.text.length > 0) ||
    ev.type === 'tool_call_start'
  );
}

async function* oneChunk(events: StreamEvent[]): AsyncIterable<StreamChunk> {
  yield { raw: Buffer.alloc(0), events };
}

/**
 * Removes the usage-only chunk (`"choices":[]` with a usage object) that the gateway asked an OpenAI
 * upstream for on the client's behalf. Works on whole SSE events; other bytes pass untouched.
 */
export function stripOpenAIUsageEvents(raw: Buffer): Buffer {
  if (raw.indexOf('"usage":{') === -1) return raw;
  const text = raw.toString('utf8');
  const events = text.split(/(?<=\n\n)/);
  const kept = events.filter((e) => !(e.includes('"usage":{') && /"choices"\s*:\s*(\[\s*\]|null)/.test(e)));
  return kept.length === events.length ? raw : Buffer.from(kept.join(''), 'utf8');
}
