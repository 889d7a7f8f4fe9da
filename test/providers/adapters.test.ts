// Adapters against a tiny local upstream replaying recorded wire fixtures.

import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ChatRequest } from '../../src/core/canonical.js';
import { UpstreamError } from '../../src/core/errors.js';
import { createProvider } from '../../src/providers/index.js';
import type { CallOptions, ProviderAdapter } from '../../src/providers/contract.js';
import { parseOpenAIChatRequest } from '../../src/providers/openai/parse-chat-request.js';
import { parseAnthropicMessagesRequest } from '../../src/providers/anthropic/parse-messages-request.js';
import { upstreamErrorFromResponse } from '../../src/providers/shared/classify-upstream-error.js';
import { parseRetryAfterMs } from '../../src/providers/shared/retry-after.js';
import { AbortFlag } from '../../src/providers/shared/abort-link.js';
import { redactHeaders } from '../../src/providers/shared/redact.js';
import { allEvents, collect, fixture, fold, startServer, type TestServer } from './helpers.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;
let handler: Handler;
let server: TestServer;
const adapters: ProviderAdapter[] = [];

beforeAll(async () => {
  server = await startServer((req, res, body) => handler(req, res, body));
});
afterEach(() => {
  server.requests.length = 0;
});
afterAll(async () => {
  await Promise.all(adapters.map((a) => a.close?.()));
  await server.close();
});

function openai(extra: Record<string, unknown> = {}): ProviderAdapter {
  const a = createProvider({ name: 'oa', kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-secret-openai', ...extra });
  adapters.push(a);
  return a;
}
function anthropic(extra: Record<string, unknown> = {}): ProviderAdapter {
  const a = createProvider({ name: 'an', kind: 'anthropic', baseUrl: server.url, apiKey: 'sk-ant-secret', ...extra });
  adapters.push(a);
  return a;
}

function opts(over: Partial<CallOptions> = {}): CallOptions {
  return { model: 'upstream-model', signal: new AbortController().signal, timings: {}, ...over };
}

const oaReq = (stream: boolean, extra: Record<string, unknown> = {}): ChatRequest =>
  parseOpenAIChatRequest({ model: 'gpt-4o', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], stream, ...extra });
const anReq = (stream: boolean): ChatRequest =>
  parseAnthropicMessagesRequest({ model: 'claude-sonnet-4', max_tokens: 64, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }], stream });

function replayJson(name: string, status = 200, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(fixture(name));
  };
}
function replaySse(name: string, pieceSize = 37): Handler {
  return async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const bytes = fixture(name);
    for (let i = 0; i < bytes.length; i += pieceSize) {
      res.write(bytes.subarray(i, i + pieceSize));
      await new Promise((r) => setImmediate(r));
    }
    res.end();
  };
}

describe('OpenAI adapter', () => {
  it('non-stream: rendered body, bearer auth, parsed response and raw bytes, timings', async () => {
    handler = replayJson('openai-chat.json', 200, { 'x-request-id': 'req_1' });
    const o = opts();
    const r = await openai().chat(anReq(false), o);
    expect(r.kind).toBe('complete');
    if (r.kind !== 'complete') return;
    expect(r.raw.equals(fixture('openai-chat.json'))).toBe(true);
    expect(r.response.content).toEqual([{ type: 'text', text: 'The capital of France is Paris.' }]);
    expect(r.response.usage).toMatchObject({ input: 93, cacheRead: 1024, output: 46 });
    expect(r.headers['x-request-id']).toBe('req_1');
    const sent = server.requests[0]!;
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-secret-openai');
    const body = JSON.parse(sent.body.toString());
    expect(body).toEqual({ model: 'upstream-model', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], max_completion_tokens: 64 });
    for (const k of ['upstreamSentAt', 'firstByteAt', 'upstreamEndAt'] as const) expect(o.timings[k]).toBeGreaterThan(0);
    expect(o.timings.firstByteAt!).toBeGreaterThanOrEqual(o.timings.upstreamSentAt!);
  });

  it('fast path: forwards the client bytes untouched', async () => {
    handler = replayJson('openai-chat.json');
    const raw = Buffer.from('{"model":"gpt-4o",  "messages":[{"role":"user","content":"Hi"}], "logit_bias":{"50256":-100}}');
    await openai().chat(oaReq(false), opts({ rawBody: raw }));
    expect(server.requests[0]!.body.equals(raw)).toBe(true);
  });

  it('fast path stream without include_usage: the flag is added so usage is always known', async () => {
    handler = replaySse('openai-chat-text.sse');
    const raw = Buffer.from(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_obfuscation: false } }));
    const r = await openai().chat(oaReq(true), opts({ rawBody: raw }));
    if (r.kind === 'stream') await collect(r.chunks);
    expect(JSON.parse(server.requests[0]!.body.toString()).stream_options).toEqual({ include_obfuscation: false, include_usage: true });
  });

  it('stream: chunks carry the exact upstream bytes and canonical events; first token is not the role chunk', async () => {
    handler = replaySse('openai-chat-text.sse', 13);
    const o = opts();
    const r = await openai().chat(oaReq(true), o);
    expect(r.kind).toBe('stream');
    if (r.kind !== 'stream') return;
    const chunks = await collect(r.chunks);
    expect(Buffer.concat(chunks.map((c) => c.raw)).equals(fixture('openai-chat-text.sse'))).toBe(true);
    const acc = fold(allEvents(chunks));
    expect(acc.complete).toBe(true);
    expect(acc.usage.cacheRead).toBe(1024);
    const body = JSON.parse(server.requests[0]!.body.toString());
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(o.timings.firstTokenAt).toBeGreaterThanOrEqual(o.timings.firstByteAt!);
    expect(o.timings.lastTokenAt).toBeGreaterThanOrEqual(o.timings.firstTokenAt!);
    expect(o.timings.upstreamEndAt).toBeGreaterThanOrEqual(o.timings.lastTokenAt!);
  });

  it('a stream cut by the upstream just ends: no exception, no finish', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const b = fixture('openai-chat-text.sse');
      res.write(b.subarray(0, b.indexOf('finish_reason":"stop"') - 20));
      setTimeout(() => res.destroy(), 20);
    };
    const r = await openai().chat(oaReq(true), opts());
    if (r.kind !== 'stream') throw new Error('expected a stream');
    const acc = fold(allEvents(await collect(r.chunks)));
    expect(acc.complete).toBe(false);
    expect(acc.text()).toBe('Hello! How can I help — café ☕?');
  });

  it('abort: the upstream sees its connection close when the signal aborts mid-stream', async () => {
    let closed: Promise<unknown> = Promise.resolve();
    handler = (req, res) => {
      closed = once(res, 'close');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(fixture('openai-chat-text.sse').subarray(0, 600)); // then hang, as a slow model would
    };
    const ac = new AbortController();
    const r = await openai().chat(oaReq(true), opts({ signal: ac.signal }));
    if (r.kind !== 'stream') throw new Error('expected a stream');
    const it = r.chunks[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    ac.abort();
    await closed; // resolves only if the upstream request was destroyed
    const rest = await it.next();
    expect(rest.done).toBe(true);
  });

  it('abort before headers rejects with errorClass aborted', async () => {
    handler = () => {}; // never answers
    const ac = new AbortController();
    const p = openai().chat(oaReq(false), opts({ signal: ac.signal }));
    setTimeout(() => ac.abort(), 20);
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).errorClass).toBe('aborted');
  });

  it('the AbortFlag link (CallOptions.abort) aborts a call before and during its body, without making an AbortSignal', async () => {
    handler = () => {}; // never answers
    const flag = new AbortFlag();
    const signalOf = vi.spyOn(flag, 'signal', 'get');
    // built by hand: a spread (as in opts()) would read the getter
    const callOpts: CallOptions = {
      model: 'upstream-model',
      timings: {},
      abort: flag,
      get signal() {
        return flag.signal;
      },
    };
    const p = openai().chat(oaReq(false), callOpts);
    setTimeout(() => flag.abort(), 20);
    const err = await p.catch((e: unknown) => e);
    expect((err as UpstreamError).errorClass).toBe('aborted');
    expect(signalOf).not.toHaveBeenCalled();

    // mid-body: the head arrived, the body never ends
    let closed!: Promise<unknown>;
    handler = (_req, res) => {
      closed = once(res, 'close');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"x",');
    };
    const flag2 = new AbortFlag();
    const t: CallOptions['timings'] = {};
    const p2 = openai().chat(oaReq(false), opts({ abort: flag2, timings: t }));
    while (t.firstByteAt === undefined) await new Promise((r) => setTimeout(r, 5));
    flag2.abort();
    const err2 = await p2.catch((e: unknown) => e);
    expect((err2 as UpstreamError).errorClass).toBe('aborted');
    await closed; // the upstream connection was torn down
  });

  it('a non-streaming call collects a body sent in many pieces, with its headers', async () => {
    const body = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(200_000) }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_1' });
      for (let i = 0; i < body.length; i += 10_000) res.write(body.slice(i, i + 10_000));
      res.end();
    };
    const r = await openai().chat(oaReq(false), opts());
    if (r.kind !== 'complete') throw new Error('expected a complete result');
    expect(r.raw?.toString('utf8')).toBe(body);
    expect(r.headers['x-request-id']).toBe('req_1');
    expect(r.response.usage.output).toBe(4);
  });

  it('timeout rejects with errorClass timeout, retryable', async () => {
    handler = () => {};
    const err = await openai({ timeoutMs: 50 }).chat(oaReq(false), opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).errorClass).toBe('timeout');
    expect((err as UpstreamError).retryable).toBe(true);
  });

  it('connection refused is a retryable connection error', async () => {
    const a = createProvider({ name: 'dead', kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' });
    adapters.push(a);
    const err = await a.chat(oaReq(false), opts()).catch((e: unknown) => e);
    expect((err as UpstreamError).errorClass).toBe('connection');
    expect((err as UpstreamError).retryable).toBe(true);
  });

  it('non-2xx keeps provider, status, body and upstream hints', async () => {
    const body = '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}';
    handler = (_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2', 'x-should-retry': 'false' });
      res.end(body);
    };
    const err = (await openai().chat(oaReq(false), opts()).catch((e: unknown) => e)) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ provider: 'oa', model: 'upstream-model', status: 429, body, errorClass: 'quota', retryable: false, retryAfterMs: 2000, shouldRetry: false, upstreamType: 'insufficient_quota' });
    expect(err.message).not.toContain('sk-secret');
  });

  it('embeddings: rendered request, base64 answer decoded', async () => {
    handler = (_req, res, b) => {
      const req = JSON.parse(b.toString());
      const v = Buffer.from(new Float32Array([0.5, -0.25]).buffer).toString('base64');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: req.input.map((_: string, index: number) => ({ object: 'embedding', index, embedding: v })), model: req.model, usage: { prompt_tokens: 4, total_tokens: 4 } }));
    };
    const r = await openai().embeddings!({ model: 'e', input: ['a', 'b'], single: false, encodingFormat: 'base64' }, opts());
    expect(r.data).toEqual([
      [0.5, -0.25],
      [0.5, -0.25],
    ]);
    expect(r.usage.input).toBe(4);
    expect(server.requests[0]!.url).toBe('/v1/embeddings');
  });
});

describe('Anthropic adapter', () => {
  it('non-stream from an OpenAI-format request: x-api-key, version header, default max_tokens, /v1/messages', async () => {
    handler = replayJson('anthropic-messages-tools.json');
    const r = await anthropic({ maxTokensDefault: 1234 }).chat(oaReq(false), opts());
    if (r.kind !== 'complete') throw new Error('expected complete');
    const sent = server.requests[0]!;
    expect(sent.url).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe('sk-ant-secret');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers.authorization).toBeUndefined();
    expect(JSON.parse(sent.body.toString())).toEqual({ model: 'upstream-model', max_tokens: 1234, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] });
    expect(r.response.content[1]).toEqual({ type: 'tool_call', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' });
    expect(r.response.finishReason).toBe('tool_calls');
  });

  it("forwards the client's anthropic-version and anthropic-beta", async () => {
    handler = replayJson('anthropic-messages.json');
    await anthropic().chat(anReq(false), opts({ headers: { 'anthropic-version': '2023-01-01', 'anthropic-beta': 'prompt-caching-2024-07-31' } }));
    expect(server.requests[0]!.headers['anthropic-version']).toBe('2023-01-01');
    expect(server.requests[0]!.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
  });

  it('stream: events and exact bytes; error event after 200 is an event, not an exception', async () => {
    handler = replaySse('anthropic-overloaded.sse', 5);
    const r = await anthropic().chat(anReq(true), opts());
    if (r.kind !== 'stream') throw new Error('expected a stream');
    const chunks = await collect(r.chunks);
    expect(Buffer.concat(chunks.map((c) => c.raw)).equals(fixture('anthropic-overloaded.sse'))).toBe(true);
    expect(fold(allEvents(chunks)).error?.type).toBe('overloaded_error');
  });

  it('529 overloaded_error is retryable and classed overloaded; retry-after as an HTTP date', async () => {
    const date = new Date(Date.now() + 30_000).toUTCString();
    handler = (_req, res) => {
      res.writeHead(529, { 'content-type': 'application/json', 'retry-after': date });
      res.end('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}');
    };
    const err = (await anthropic().chat(anReq(false), opts()).catch((e: unknown) => e)) as UpstreamError;
    expect(err.errorClass).toBe('overloaded');
    expect(err.retryable).toBe(true);
    expect(err.upstreamType).toBe('overloaded_error');
    expect(err.retryAfterMs).toBeGreaterThan(25_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  });
});

describe('openai-compatible adapter', () => {
  it('is the OpenAI adapter at another base URL, with the vendor taken from data', async () => {
    handler = replaySse('openai-chat-vllm.sse');
    const a = createProvider({ name: 'vllm', kind: 'openai-compatible', baseUrl: `${server.url}/v1` });
    adapters.push(a);
    expect(a.kind).toBe('openai-compatible');
    expect(a.wireFormat).toBe('openai');
    expect(a.otelProviderName).toBe('openai');
    const r = await a.chat(anReq(true), opts());
    if (r.kind !== 'stream') throw new Error('expected a stream');
    expect(fold(allEvents(await collect(r.chunks))).usage).toMatchObject({ input: 12, output: 2 });
    const body = JSON.parse(server.requests[0]!.body.toString());
    expect(body.max_tokens).toBe(64); // generic servers know max_tokens
    expect(server.requests[0]!.headers.authorization).toBeUndefined(); // no key configured: none sent
    const gemini = createProvider({ name: 'g', kind: 'openai-compatible', baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai' });
    const groq = createProvider({ name: 'q', kind: 'openai-compatible', baseUrl: 'https://api.groq.com/openai/v1', otelProviderName: 'my.groq' });
    adapters.push(gemini, groq);
    expect(gemini.otelProviderName).toBe('gcp.gemini');
    expect(groq.otelProviderName).toBe('my.groq');
  });
});

describe('error classification and retry hints', () => {
  const cls = (status: number, body = '', headers: Record<string, string> = {}) => upstreamErrorFromResponse({ provider: 'p', model: 'm', status, headers, body });
  it.each([
    [429, '{"error":{"type":"rate_limit_error","message":"slow down"}}', 'rate_limit', true],
    [429, '{"error":{"type":"insufficient_quota","code":"insufficient_quota","message":"pay"}}', 'quota', false],
    [429, '{"error":{"type":"requests","code":"billing_hard_limit_reached","message":"pay"}}', 'quota', false],
    [529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', 'overloaded', true],
    [500, 'oops', 'server', true],
    [503, '', 'server', true],
    [401, '{"type":"error","error":{"type":"authentication_error","message":"bad key"}}', 'auth', false],
    [403, '', 'auth', false],
    [404, '{"error":{"message":"The model does not exist","type":"invalid_request_error","code":"model_not_found"}}', 'not_found', false],
    [400, '{"error":{"message":"bad","type":"invalid_request_error"}}', 'client', false],
    [422, '', 'client', false],
  ] as const)('%i %s -> %s (retryable %s)', (status, body, errorClass, retryable) => {
    const e = cls(status, body);
    expect(e.errorClass).toBe(errorClass);
    expect(e.retryable).toBe(retryable);
    expect(e.body).toBe(body);
    expect(e.status).toBe(status);
  });

  it('reads retry-after-ms, retry-after seconds and dates, x-should-retry', () => {
    const now = Date.parse('2025-03-01T12:00:00Z');
    expect(parseRetryAfterMs({ 'retry-after-ms': '150', 'retry-after': '9' }, now)).toBe(150);
    expect(parseRetryAfterMs({ 'retry-after': '3' }, now)).toBe(3000);
    expect(parseRetryAfterMs({ 'retry-after': '0.5' }, now)).toBe(500);
    expect(parseRetryAfterMs({ 'retry-after': 'Sat, 01 Mar 2025 12:00:10 GMT' }, now)).toBe(10_000);
    expect(parseRetryAfterMs({ 'retry-after': 'Sat, 01 Mar 2025 11:00:00 GMT' }, now)).toBe(0);
    expect(parseRetryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfterMs({}, now)).toBeUndefined();
    expect(cls(500, '', { 'x-should-retry': 'false' }).shouldRetry).toBe(false);
    expect(cls(400, '', { 'x-should-retry': 'true' }).shouldRetry).toBe(true);
    expect(cls(500).shouldRetry).toBeUndefined();
  });

  it('redacts keys from header bags', () => {
    expect(redactHeaders({ authorization: 'Bearer sk-1', 'x-api-key': 'k', 'content-type': 'a' })).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]', 'content-type': 'a' });
  });
});
