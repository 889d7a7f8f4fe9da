// The provider contract: what every ProviderAdapter must do, written once and run against each
// adapter (and each vendor variant that differs) in providers.test.ts. The upstream is a real
// node:http server on 127.0.0.1 replaying recorded wire fixtures (test/fixtures/providers/, see the
// README there for where each came from); the adapter is the real one, over its real undici pool.
//
// No assertion depends on how fast anything runs: a timeout is a small configured timeout and a
// wait for the error it must produce, an abort is waited for on the server's side of the socket.

import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest, FinishReason, Usage, WireFormat } from '../../src/core/canonical.js';
import { UpstreamError, type ErrorClass } from '../../src/core/errors.js';
import { codecFor, wireCodecs } from '../../src/providers/index.js';
import type { CallOptions, ProviderAdapter, StreamChunk, UpstreamResult } from '../../src/providers/contract.js';
import type { ProviderConfig } from '../../src/providers/config.js';
import { parseOpenAIChatRequest } from '../../src/providers/openai/parse-chat-request.js';
import { AbortFlag } from '../../src/providers/shared/abort-link.js';
import { allEvents, fixture, fold, startServer, type TestServer } from '../providers/helpers.js';

/** the key every subject is configured with; it must never show in an error */
export const CONTRACT_KEY = 'sk-contract-secret-0123456789';
/** the upstream model id every call names */
const MODEL = 'upstream-model';

export interface ToolCallExpectation {
  name: string;
  /** the parsed arguments */
  args: Record<string, unknown>;
}

export interface AnswerFixture {
  /** fixture file name */
  file: string;
  text?: string;
  toolCalls?: ToolCallExpectation[];
  finish: FinishReason;
  /** the canonical usage, worked out by hand from the fixture's numbers and the vendor's rules */
  usage: Usage;
}

export interface ErrorFixture {
  file: string;
  status: number;
  errorClass: ErrorClass;
  /** the error type the upstream named, when its body names one */
  upstreamType?: string;
}

export interface ProviderSubject {
  /** e.g. 'openai' or 'openai-compatible (vLLM)' */
  label: string;
  /** the adapter for an upstream at `origin` (http://127.0.0.1:port), configured with CONTRACT_KEY */
  create(origin: string, over?: Partial<ProviderConfig>): ProviderAdapter;
  /** the request path the adapter must call */
  chatPath: string;
  /** the header that must carry the key, with its expected value */
  auth: [name: string, value: string];
  /** the body field the output limit must travel in */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  streamUsageOnlyWhenAsked: boolean;
  /** the tool definitions as the upstream received them: [name, JSON Schema] */
  toolsInBody(body: Record<string, unknown>): [string, unknown][];
  text: { json: AnswerFixture; sse: AnswerFixture };
  tools: { json: AnswerFixture; sse: AnswerFixture };
  /** a stream that fails after HTTP 200 with an error event */
  midstreamError: { file: string; type: string };
  rateLimit: ErrorFixture;
  /** Anthropic's 529 overloaded_error; an OpenAI-style upstream's 503 */
  overload: ErrorFixture;
}

const weatherSchema = { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] };

function request(stream: boolean, over: Record<string, unknown> = {}): ChatRequest {
  return parseOpenAIChatRequest({ model: 'client-model', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], stream, ...over });
}
function toolRequest(stream: boolean): ChatRequest {
  return request(stream, { tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: weatherSchema } }] });
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

function json(file: string, status = 200, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(fixture(file));
  };
}

/** the fixture in small pieces, each written on its own turn of the event loop (arbitrary splits) */
function sse(file: string, opts: { pieceSize?: number; upTo?: number } = {}): Handler {
  return async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const bytes = fixture(file).subarray(0, opts.upTo);
    const step = opts.pieceSize ?? 23;
    for (let i = 0; i < bytes.length; i += step) {
      res.write(bytes.subarray(i, i + step));
      await new Promise((r) => setImmediate(r));
    }
    if (opts.upTo === undefined) res.end();
    else res.socket?.destroy(); // the upstream drops the connection mid-answer
  };
}

/**
 * Where the fixture's events before its finish end, found with the format's own parser: a cut there
 * leaves an answer without a finish.
 */
function cutPoint(file: string, format: WireFormat): number {
  const events = fixture(file).toString('utf8').split(/(?<=\r\n\r\n|\n\n)/);
  let bytes = 0;
  for (const e of events) {
    const p = codecFor(format).createStreamParser();
    if (allEvents([...p.push(Buffer.from(e)), ...p.end()]).some((ev) => ev.type === 'finish')) break;
    bytes += Buffer.byteLength(e);
  }
  expect(bytes).toBeGreaterThan(0);
  return bytes;
}

function opts(over: Partial<CallOptions> = {}): CallOptions {
  return { model: MODEL, signal: new AbortController().signal, timings: {}, ...over };
}

async function drain(r: UpstreamResult): Promise<StreamChunk[]> {
  if (r.kind !== 'stream') throw new Error(`expected a stream, got ${r.kind}`);
  const out: StreamChunk[] = [];
  for await (const c of r.chunks) out.push(c);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UpstreamError);
    return err as UpstreamError;
  }
  throw new Error('expected the call to fail');
}

function toolCallsOf(content: { type: string }[]): ToolCallExpectation[] {
  return content.filter((p): p is { type: 'tool_call'; name: string; arguments: string } => p.type === 'tool_call').map((p) => ({ name: p.name, args: JSON.parse(p.arguments) as Record<string, unknown> }));
}

function textOf(content: { type: string }[]): string {
  return content.filter((p): p is { type: 'text'; text: string } => p.type === 'text').map((p) => p.text).join('');
}

/** no error, in any form a client or a log could see, may carry the key */
function expectNoSecret(err: UpstreamError): void {
  const seen = [err.message, err.body, String(err.cause ?? ''), ...wireCodecs().map((c) => JSON.stringify(c.renderError(err).body))].join('\n');
  expect(seen).not.toContain(CONTRACT_KEY);
}

/** a port nothing listens on: bound, noted, released */
async function refusedOrigin(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

export function providerContract(subject: ProviderSubject): void {
  describe(`provider contract: ${subject.label}`, () => {
    let handler: Handler;
    let server: TestServer;
    let adapter: ProviderAdapter;
    const extra: ProviderAdapter[] = [];
    /** the server side of the last request: resolves when its connection or response closes */
    let closed: Promise<void>;
    let arrived: Promise<void>;
    let arrive: () => void;

    beforeAll(async () => {
      server = await startServer((req, res, body) => {
        closed = Promise.race([once(res, 'close'), once(req.socket, 'close')]).then(() => undefined);
        arrive();
        return handler(req, res, body);
      });
      adapter = subject.create(server.url);
    });
    afterEach(() => {
      server.requests.length = 0;
      arrived = new Promise((r) => (arrive = r));
    });
    afterAll(async () => {
      await Promise.all([adapter, ...extra].map((a) => a.close?.()));
      await server.close();
    });
    arrived = new Promise((r) => (arrive = r));

    const bodyOf = (i = 0): Record<string, unknown> => JSON.parse(server.requests[i]!.body.toString('utf8')) as Record<string, unknown>;

    describe('text', () => {
      it('complete: the right path, auth and body; the answer, its finish and its raw bytes', async () => {
        const f = subject.text.json;
        handler = json(f.file);
        const o = opts();
        const r = await adapter.chat(request(false, { max_tokens: 77 }), o);
        expect(r.kind).toBe('complete');
        if (r.kind !== 'complete') return;
        expect(textOf(r.response.content)).toBe(f.text);
        expect(r.response.finishReason).toBe(f.finish);
        expect(r.raw.equals(fixture(f.file))).toBe(true);
        const sent = server.requests[0]!;
        expect(sent.method).toBe('POST');
        expect(sent.url).toBe(subject.chatPath);
        expect(sent.headers[subject.auth[0]]).toBe(subject.auth[1]);
        expect(sent.headers['content-type']).toBe('application/json');
        const body = bodyOf();
        expect(body.model).toBe(MODEL);
        expect(body[subject.maxTokensField]).toBe(77);
        const other = subject.maxTokensField === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
        expect(body[other]).toBeUndefined();
        expect(JSON.stringify(body)).toContain('Be brief.');
        expect(o.timings.upstreamSentAt).toBeLessThanOrEqual(o.timings.upstreamEndAt!);
      });

      it('stream: the events fold to the answer and the chunks are the upstream bytes, in order', async () => {
        const f = subject.text.sse;
        handler = sse(f.file);
        const o = opts();
        const chunks = await drain(await adapter.chat(request(true), o));
        expect(Buffer.concat(chunks.map((c) => c.raw)).equals(fixture(f.file))).toBe(true);
        const acc = fold(allEvents(chunks));
        expect(acc.complete).toBe(true);
        expect(textOf(acc.toResponse().content)).toBe(f.text);
        expect(acc.finishReason).toBe(f.finish);
        expect(bodyOf().stream).toBe(true);
        expect(o.timings.firstTokenAt).toBeDefined();
        expect(o.timings.upstreamEndAt).toBeDefined();
      });
    });

    describe('tools', () => {
      it('complete: definitions go out with their schema; calls come back with parseable arguments', async () => {
        const f = subject.tools.json;
        handler = json(f.file);
        const r = await adapter.chat(toolRequest(false), opts());
        if (r.kind !== 'complete') throw new Error('expected a complete answer');
        expect(subject.toolsInBody(bodyOf())).toEqual([['get_weather', weatherSchema]]);
        expect(toolCallsOf(r.response.content)).toEqual(f.toolCalls);
        expect(r.response.finishReason).toBe('tool_calls');
        if (f.text !== undefined) expect(textOf(r.response.content)).toBe(f.text);
      });

      it('stream: argument fragments fold to the same calls', async () => {
        const f = subject.tools.sse;
        handler = sse(f.file, { pieceSize: 11 });
        const acc = fold(allEvents(await drain(await adapter.chat(toolRequest(true), opts()))));
        expect(acc.complete).toBe(true);
        expect(acc.finishReason).toBe('tool_calls');
        expect(toolCallsOf(acc.toResponse().content)).toEqual(f.toolCalls);
        const ids = acc.toResponse().content.filter((p) => p.type === 'tool_call').map((p) => (p as { id: string }).id);
        for (const id of ids) expect(id).not.toBe('');
      });
    });

    describe('usage', () => {
      it.each(['text', 'tools'] as const)('%s: complete and streamed answers map to the canonical buckets', async (which) => {
        const { json: j, sse: s } = subject[which];
        handler = json(j.file);
        const r = await adapter.chat(which === 'text' ? request(false) : toolRequest(false), opts());
        if (r.kind !== 'complete') throw new Error('expected a complete answer');
        expect(r.response.usage).toEqual(j.usage);
        handler = sse(s.file);
        const acc = fold(allEvents(await drain(await adapter.chat(which === 'text' ? request(true) : toolRequest(true), opts()))));
        expect(acc.sawUsage).toBe(true);
        expect(acc.usage).toEqual(s.usage);
      });

      it(`asks for stream usage ${subject.streamUsageOnlyWhenAsked ? 'always (it comes only when asked)' : 'never (it always comes)'}`, async () => {
        expect(adapter.streamUsageOnlyWhenAsked ?? false).toBe(subject.streamUsageOnlyWhenAsked);
        expect(codecFor(adapter.wireFormat).streamUsageOnlyWhenAsked).toBe(subject.streamUsageOnlyWhenAsked);
        handler = sse(subject.text.sse.file);
        await drain(await adapter.chat(request(true), opts()));
        const so = bodyOf().stream_options as { include_usage?: boolean } | undefined;
        if (subject.streamUsageOnlyWhenAsked) expect(so?.include_usage).toBe(true);
        else expect(so).toBeUndefined();
      });
    });

    describe('cut stream', () => {
      it('the upstream drops the connection mid-answer: the chunks end, the answer is incomplete, what came is kept', async () => {
        const f = subject.text.sse;
        handler = sse(f.file, { upTo: cutPoint(f.file, adapter.wireFormat), pieceSize: 17 });
        const chunks = await drain(await adapter.chat(request(true), opts()));
        const acc = fold(allEvents(chunks));
        expect(acc.complete).toBe(false);
        expect(acc.finishReason).toBeUndefined();
        expect(f.text!.startsWith(acc.text())).toBe(true);
        expect(Buffer.concat(chunks.map((c) => c.raw)).equals(fixture(f.file).subarray(0, cutPoint(f.file, adapter.wireFormat)))).toBe(true);
      });

      it('an error event after HTTP 200 arrives as a canonical error event', async () => {
        handler = sse(subject.midstreamError.file);
        const acc = fold(allEvents(await drain(await adapter.chat(request(true), opts()))));
        expect(acc.complete).toBe(false);
        expect(acc.error?.type).toBe(subject.midstreamError.type);
        expect(acc.error?.message).not.toBe('');
      });
    });

    describe('client abort', () => {
      it('before the answer starts: the call fails as aborted (not retryable) and the upstream connection closes', async () => {
        handler = () => undefined; // the upstream thinks, forever
        const ac = new AbortController();
        const p = adapter.chat(request(false), opts({ signal: ac.signal }));
        await arrived;
        ac.abort();
        const err = await rejection(p);
        expect(err.errorClass).toBe('aborted');
        expect(err.retryable).toBe(false);
        await closed;
      });

      it('mid-stream (through the cheap AbortFlag the server uses): the chunks end and the upstream connection closes', async () => {
        const f = subject.text.sse;
        handler = (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(fixture(f.file).subarray(0, cutPoint(f.file, adapter.wireFormat))); // then nothing more, connection open
        };
        const flag = new AbortFlag();
        const r = await adapter.chat(request(true), opts({ abort: flag }));
        if (r.kind !== 'stream') throw new Error('expected a stream');
        const got: StreamChunk[] = [];
        for await (const c of r.chunks) {
          got.push(c);
          if (!flag.aborted) flag.abort();
        }
        expect(got.length).toBeGreaterThan(0);
        expect(fold(allEvents(got)).complete).toBe(false);
        await closed;
      });

      it('already aborted: no request is sent', async () => {
        handler = json(subject.text.json.file);
        const ac = new AbortController();
        ac.abort();
        const err = await rejection(adapter.chat(request(false), opts({ signal: ac.signal })));
        expect(err.errorClass).toBe('aborted');
        expect(server.requests).toHaveLength(0);
      });
    });

    describe('timeout', () => {
      it('no answer within the call timeout: a retryable timeout with no status', async () => {
        handler = () => undefined;
        const err = await rejection(adapter.chat(request(false), opts({ timeoutMs: 150 })));
        expect(err.errorClass).toBe('timeout');
        expect(err.status).toBeNull();
        expect(err.retryable).toBe(true);
        expectNoSecret(err);
        await closed;
      });

      it('a stream that stalls past the provider timeout from config: the iteration throws a timeout', async () => {
        const slow = subject.create(server.url, { timeoutMs: 150 });
        extra.push(slow);
        const f = subject.text.sse;
        handler = (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(fixture(f.file).subarray(0, cutPoint(f.file, slow.wireFormat)));
        };
        const r = await slow.chat(request(true), opts());
        const err = await rejection(drain(r));
        expect(err.errorClass).toBe('timeout');
        await closed;
      });
    });

    describe('refused connection', () => {
      it.each([false, true])('stream=%s: a retryable connection error naming the cause, with no status', async (stream) => {
        const dead = subject.create(await refusedOrigin());
        extra.push(dead);
        const err = await rejection(dead.chat(request(stream), opts()));
        expect(err.errorClass).toBe('connection');
        expect(err.status).toBeNull();
        expect(err.retryable).toBe(true);
        expect(err.message).toContain('ECONNREFUSED');
        expectNoSecret(err);
      });
    });

    describe('429 with retry-after', () => {
      it.each([false, true])('stream=%s: rate_limit, retryable, the wait taken from the header, the body as sent', async (stream) => {
        const f = subject.rateLimit;
        handler = json(f.file, f.status, { 'retry-after': '7' });
        const err = await rejection(adapter.chat(request(stream), opts()));
        expect(err.status).toBe(429);
        expect(err.errorClass).toBe(f.errorClass);
        expect(err.retryable).toBe(true);
        expect(err.retryAfterMs).toBe(7000);
        expect(err.body).toBe(fixture(f.file).toString('utf8'));
        if (f.upstreamType) expect(err.upstreamType).toBe(f.upstreamType);
        expectNoSecret(err);
        // a client of either format gets the status in its own error shape
        expect(codecFor('openai').renderError(err)).toMatchObject({ status: 429, body: { error: { message: expect.any(String) } } });
        expect(codecFor('anthropic').renderError(err)).toMatchObject({ status: 429, body: { type: 'error', error: { type: 'rate_limit_error' } } });
      });

      it('retry-after as an HTTP date', async () => {
        // an hour ahead: no stall of this machine can make the wait run out before it is read
        handler = json(subject.rateLimit.file, 429, { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() });
        const err = await rejection(adapter.chat(request(false), opts()));
        expect(err.retryAfterMs).toBeGreaterThan(0);
        expect(err.retryAfterMs).toBeLessThanOrEqual(3_600_000);
      });
    });

    describe(`${subject.overload.status} overload`, () => {
      it.each([false, true])('stream=%s: the overload keeps its status and is retryable', async (stream) => {
        const f = subject.overload;
        handler = json(f.file, f.status);
        const err = await rejection(adapter.chat(request(stream), opts()));
        expect(err.status).toBe(f.status);
        expect(err.errorClass).toBe(f.errorClass);
        expect(err.retryable).toBe(true);
        if (f.upstreamType) expect(err.upstreamType).toBe(f.upstreamType);
        expectNoSecret(err);
        expect(codecFor('openai').renderError(err).status).toBe(f.status);
        expect(codecFor('anthropic').renderError(err)).toMatchObject({ status: f.status, body: { type: 'error' } });
      });
    });
  });
}
