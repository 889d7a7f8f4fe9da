// One chat request over HTTP: authenticate, read, parse in the caller's wire format, run it through
// the engine, relay the answer (byte for byte when formats match) and hand the outcome back to the
// engine, which builds the request's one record.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatRequest, ChatResponse, StreamEvent, WireFormat } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import { MAX_JSON_DEPTH, jsonDeeperThan } from '../core/json-depth.js';
import { StreamAccumulator, responseToEvents } from '../core/stream-accumulator.js';
import type { Engine, Outcome, RequestRun } from '../engine/index.js';
import { clientGone, now } from '../engine/index.js';
import type { ChatResult } from '../pipeline/stage.js';
import type { StreamChunk } from '../providers/contract.js';
import { codecFor } from '../providers/registry.js';
import { AbortFlag } from '../providers/shared/abort-link.js';
import { redactSecrets } from '../providers/shared/redact.js';
import { countInputTokens } from '../core/tokens.js';
import type { Authenticate } from './auth.js';
import { drained, lowerCaseHeaders, readBody } from './http-util.js';

export interface ChatDeps {
  engine: Engine;
  authenticate: Authenticate;
  bodyLimitBytes: number;
  timeoutMs: number;
}

/** What a stateful endpoint (the Responses API) adds to a chat request: its own parse, and the answer once whole. */
export interface TurnHooks {
  /** the request from the parsed body, instead of codec.parseChatRequest (it may look up stored state) */
  parse(json: unknown, run: RequestRun): ChatRequest | Promise<ChatRequest>;
  /** the id an answer the gateway renders goes out under (a relayed answer keeps the upstream's) */
  id: string;
  /** a complete answer: the canonical response and the object the client got (after it is recorded) */
  answered(a: { response: ChatResponse; body: Record<string, unknown>; relayed: boolean }, run: RequestRun): void;
}

export async function handleChat(req: IncomingMessage, res: ServerResponse, format: WireFormat, endpoint: string, deps: ChatDeps, turn?: TurnHooks): Promise<void> {
  const codec = codecFor(format);
  const run = startRun(req, res, format, endpoint, deps);
  const outcome: Outcome = { httpStatus: 200 };
  try {
    const json = await authenticateAndRead(req, run, deps);
    const request = turn ? await turn.parse(json, run) : codec.parseChatRequest(json);
    const result = await run.chat(request);
    if (request.stream) await writeStream(run, req, res, result, outcome, turn);
    else await writeComplete(run, res, result, outcome, turn);
  } catch (err) {
    outcome.error = err;
    if (clientGone(run.ctx)) outcome.aborted = true;
    else {
      const rendered = codec.renderError(err);
      outcome.httpStatus = rendered.status;
      if (!res.headersSent) {
        const payload = JSON.stringify(rendered.body);
        res.writeHead(rendered.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...run.ctx.responseHeaders });
        res.end(payload);
      } else if (!res.writableEnded) res.end();
    }
  } finally {
    run.finish(outcome); // a no-op when the answer already recorded it
  }
}

/** A request run whose abort follows the client: it fires when the response closes unfinished. */
export function startRun(req: IncomingMessage, res: ServerResponse, format: WireFormat, endpoint: string, deps: ChatDeps): RequestRun {
  const receivedAt = now();
  const abort = new AbortFlag();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  return deps.engine.start({
    format,
    endpoint,
    // node already lower-cases names and joins repeats, except set-cookie (an array): copy only then
    headers: req.headers['set-cookie'] === undefined ? (req.headers as Record<string, string | undefined>) : lowerCaseHeaders(req),
    abort,
    receivedAt,
    timeoutMs: deps.timeoutMs,
  });
}

/** Checks the key, reads the body (within the size limit) and parses it as JSON. */
export async function authenticateAndRead(req: IncomingMessage, run: RequestRun, deps: Pick<ChatDeps, 'authenticate' | 'bodyLimitBytes'>): Promise<unknown> {
  const caller = deps.authenticate(req.headers);
  if (!caller) throw new GatewayError('unauthorized', 'Invalid API key: present a Tollgate virtual key as a Bearer token or x-api-key.');
  const body = await readBody(req, deps.bodyLimitBytes);
  run.admit(caller, body);
  // a linear scan before JSON.parse: absurd nesting gets a 400, not a stack overflow further on
  if (jsonDeeperThan(body)) throw new GatewayError('invalid_request', `The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new GatewayError('invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
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

async function writeComplete(run: RequestRun, res: ServerResponse, result: ChatResult, outcome: Outcome, turn?: TurnHooks): Promise<void> {
  const ctx = run.ctx;
  const codec = codecFor(ctx.format);
  let raw: Buffer | undefined;
  let response;
  if (result.kind === 'complete') {
    response = result.response;
    // a cached answer to a stateful format is rendered afresh: each answer there has an id of its own
    if (result.raw && result.raw.format === ctx.format && !(turn && result.source === 'cache')) raw = result.raw.body;
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
  const rendered = raw ? undefined : codec.renderChatResponse(response, { model: response.model || ctx.target?.model || ctx.request.model, id: turn?.id, request: ctx.request });
  const body = raw ?? Buffer.from(JSON.stringify(rendered));
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length };
  for (const k in ctx.responseHeaders) headers[k] = ctx.responseHeaders[k]!;
  headers['x-tollgate-cost-usd'] = formatUsd(run.costUsd());
  res.writeHead(200, headers);
  // recorded before the last byte goes out: a client holding a complete answer can rely on the
  // ledger having it, even through a kill -9 right after
  run.finish(outcome, () => res.end(body));
  if (turn) {
    const sent = rendered ?? parsedObject(body);
    if (sent) turn.answered({ response, body: sent, relayed: raw !== undefined }, run);
  }
}

function parsedObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function writeStream(run: RequestRun, req: IncomingMessage, res: ServerResponse, result: ChatResult, outcome: Outcome, turn?: TurnHooks): Promise<void> {
  const ctx = run.ctx;
  const codec = codecFor(ctx.format);
  const chunks: AsyncIterable<StreamChunk> = result.kind === 'stream' ? result.chunks : oneChunk(responseToEvents(result.response));
  const passthrough = result.kind === 'stream' && result.rawFormat === ctx.format;
  const dropUsage = passthrough && codec.streamUsageOnlyWhenAsked && !ctx.request.includeUsage;
  const model = ctx.target?.model ?? ctx.request.model;
  const renderer = passthrough
    ? undefined
    : codec.createStreamRenderer({
        model,
        includeUsage: ctx.request.includeUsage,
        id: turn?.id,
        request: ctx.request,
        // counted before the first event, so clients that keep message_start's figure get the real one
        inputTokens: codec.streamStartReportsInput ? countInputTokens(ctx.request) : undefined,
      });
  // HTTP/1.0 has no chunked encoding, so no trailers: the body ends when the connection closes
  const chunked = !(req.httpVersionMajor === 1 && req.httpVersionMinor === 0);
  const acc = new StreamAccumulator();
  let consumed = false;
  const write = (data: string | Buffer): Promise<void> | undefined => {
    if (data.length === 0 || res.writableEnded) return;
    if (!res.write(data) && !clientGone(ctx)) return drained(res);
  };
  // the upstream's terminal event is held back until the request is recorded
  let heldBack: Buffer | undefined;
  try {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...(chunked ? { connection: 'keep-alive', trailer: 'x-tollgate-cost-usd' } : { connection: 'close' }),
      ...ctx.responseHeaders,
    });
    consumed = true;
    try {
      for await (const chunk of chunks) {
        for (const ev of chunk.events) {
          acc.push(ev);
          if (ctx.timings.firstTokenAt === undefined && isContentEvent(ev)) ctx.timings.firstTokenAt = now();
        }
        if (renderer) await write(chunk.events.map((ev) => renderer.render(ev)).join(''));
        else {
          let raw = dropUsage ? codec.stripInjectedUsage(chunk.raw) : chunk.raw;
          // an upstream error event may echo a secret (a provider key): relay it redacted
          if (chunk.events.some((ev) => ev.type === 'error')) raw = Buffer.from(redactSecrets(raw.toString('utf8')), 'utf8');
          if (heldBack || codec.isTerminalChunk(raw)) heldBack = heldBack ? Buffer.concat([heldBack, raw]) : raw;
          else await write(raw);
        }
        if (clientGone(ctx)) break;
      }
    } catch (err) {
      if (!clientGone(ctx)) {
        // the upstream failed mid-stream: tell the client in its own format, then end
        acc.push({ type: 'error', error: { type: 'api_error', message: err instanceof Error ? err.message : String(err) } });
        const r = renderer ?? codec.createStreamRenderer({ model: ctx.request.model, includeUsage: false });
        await write(r.render({ type: 'error', error: { type: 'api_error', message: 'The upstream stream failed.' } }));
      }
    }
    run.settleStream(acc, result.source, outcome);
    await new Promise<void>((resolve) => run.finish(outcome, resolve));
    if (turn && acc.complete) {
      const response = acc.toResponse();
      // the object the stream's last event carried, rendered again from what the stream said
      const body = codec.renderChatResponse(response, { model: passthrough ? response.model || model : model, id: passthrough ? undefined : turn.id, request: ctx.request });
      turn.answered({ response, body, relayed: passthrough }, run);
    }
    if (heldBack) await write(heldBack);
    if (renderer && acc.complete && !clientGone(ctx)) await write(renderer.end());
    else if (!acc.complete && !clientGone(ctx) && !acc.error) {
      // cut short with no error of its own: say so in the client's format, so that no client takes a
      // truncated answer for a whole one (a relayed stream would otherwise just stop)
      const r = renderer ?? codec.createStreamRenderer({ model: ctx.request.model, includeUsage: false });
      await write(r.render({ type: 'error', error: { type: 'api_error', message: 'The upstream stream ended before the answer was complete.' } }));
    }
    if (!res.writableEnded) {
      if (chunked) res.addTrailers({ 'x-tollgate-cost-usd': formatUsd(run.costUsd()) });
      res.end();
    }
  } finally {
    // never leave an upstream stream half-open: its connection would stay busy until the timeout
    if (!consumed) void closeUnread(chunks);
  }
}

/** A stream nobody read: start it and stop at once, so its generator releases the connection. */
async function closeUnread(chunks: AsyncIterable<StreamChunk>): Promise<void> {
  try {
    for await (const _ of chunks) break;
  } catch {
    // it is being thrown away
  }
}

function isContentEvent(ev: StreamEvent): boolean {
  return (ev.type === 'text_delta' && ev.text.length > 0) || (ev.type === 'thinking_delta' && ev.text.length > 0) || ev.type === 'tool_call_start';
}

async function* oneChunk(events: StreamEvent[]): AsyncIterable<StreamChunk> {
  yield { raw: Buffer.alloc(0), events };
}
