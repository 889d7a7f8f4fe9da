// Connection limits and the errors of the HTTP edge, over raw sockets (issue 13, findings 10 and
// 11). Before: slow bodies and idle sockets were held with no limit, Node's parser answered
// 400/408/431 with empty bodies, and absolute-form targets got 404. No assertion here is about
// time: the limits are configured small and each test waits for the server's own event.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { readLedger } from '../../src/ledger/read.js';
import { startHarness, type Harness } from './helpers.js';
import { openSocket, parseResponse, rawExchange, request, untilClosed } from './raw-http.js';

const CHAT = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const MESSAGES = JSON.stringify({ model: 'claude-3-5-haiku', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

function isOpenAIError(json: unknown, code: string): boolean {
  const e = (json as { error?: { code?: unknown; message?: unknown } }).error;
  return e?.code === code && typeof e.message === 'string' && (json as { type?: unknown }).type === undefined;
}

function isAnthropicError(json: unknown, type: string): boolean {
  const j = json as { type?: unknown; error?: { type?: unknown; message?: unknown } };
  return j.type === 'error' && j.error?.type === type && typeof j.error.message === 'string';
}

describe('deadlines: slow headers and slow bodies', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ server: { host: '127.0.0.1', port: 0, headersTimeoutMs: 400, bodyTimeoutMs: 800 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a body that never completes gets a 408 in the caller format, and the socket is closed', async () => {
    for (const [path, body] of [
      ['/v1/messages', MESSAGES],
      ['/v1/chat/completions', CHAT],
    ] as const) {
      const s = await openSocket(h.gw.port);
      const closed = untilClosed(s);
      // announce the whole body, send a third of it, then nothing
      s.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, body.length / 3)}`);
      const answer = parseResponse(await closed);
      expect(answer.status, path).toBe(408);
      expect(answer.headers['content-type']).toBe('application/json');
      if (path === '/v1/messages') expect(isAnthropicError(answer.json, 'invalid_request_error'), answer.text).toBe(true);
      else expect(isOpenAIError(answer.json, 'request_timeout'), answer.text).toBe(true);
      expect(answer.text).toMatch(/body did not arrive/);
      expect(s.destroyed).toBe(true);
      // the request's own handler answered: the answer has its id, and the ledger has the 408
      const id = answer.headers['x-tollgate-request-id'];
      expect(id).toMatch(/^tg-/);
      await h.gw.ledger.flush();
      expect(readLedger(h.dataDir, { last: 50 }).find((r) => r.requestId === id)).toMatchObject({ endpoint: path, httpStatus: 408, status: 'error' });
    }
  });

  it('headers that never complete get a 408 with a JSON body, and the socket is closed', async () => {
    const s = await openSocket(h.gw.port);
    const closed = untilClosed(s);
    s.write('POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    const answer = parseResponse(await closed);
    expect(answer.status).toBe(408);
    expect(isOpenAIError(answer.json, 'request_timeout'), answer.text).toBe(true);
    expect(answer.text).toMatch(/headers did not arrive/);
  });

  it('a connection that sends nothing is closed too', async () => {
    const s = await openSocket(h.gw.port);
    await untilClosed(s);
    expect(s.destroyed).toBe(true);
  });

  it('requests that arrive whole are served as before', async () => {
    const answer = await rawExchange(h.gw.port, request('POST', '/v1/chat/completions', CHAT));
    expect(answer.status).toBe(200);
    expect((answer.json as { object?: string }).object).toBe('chat.completion');
  });
});

describe('idle connections beyond server.maxIdleConnections', () => {
  let h: Harness;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // deadlines far away: only the idle limit can close a socket here
    h = await startHarness({ server: { host: '127.0.0.1', port: 0, maxIdleConnections: 5, headersTimeoutMs: 120_000, bodyTimeoutMs: 120_000 } });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await h?.close();
  });

  it('closes the longest idle first: a kept-alive socket after its answer, then the oldest silent ones', async () => {
    // one kept-alive request, answered: then that socket is idle
    const kept = await openSocket(h.gw.port);
    sockets.push(kept);
    const keptClosed = untilClosed(kept);
    const answered = new Promise<void>((resolve) => kept.once('data', () => resolve()));
    kept.write('GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await answered;

    const silent: Socket[] = [];
    const closes: Promise<string>[] = [];
    for (let i = 0; i < 12; i++) {
      const s = await openSocket(h.gw.port);
      sockets.push(s);
      silent.push(s);
      closes.push(untilClosed(s));
    }
    // 13 idle, 5 kept: the kept-alive one and the 7 oldest silent ones go
    await keptClosed;
    await Promise.all(closes.slice(0, 7));
    expect(silent.slice(7).map((s) => s.destroyed)).toEqual([false, false, false, false, false]);

    // the gateway still serves new connections (each is idle only until its request arrives)
    const answer = await rawExchange(h.gw.port, request('GET', '/health'));
    expect(answer.status).toBe(200);
  });
});

describe('server.maxConnections', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ server: { host: '127.0.0.1', port: 0, maxConnections: 3 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('closes connections beyond the limit at once and keeps the others', async () => {
    const held = [await openSocket(h.gw.port), await openSocket(h.gw.port), await openSocket(h.gw.port)];
    const extra = await openSocket(h.gw.port).catch(() => undefined);
    if (extra) await untilClosed(extra);
    expect(held.map((s) => s.destroyed)).toEqual([false, false, false]);
    // a held connection is served
    const closed = untilClosed(held[0]!);
    held[0]!.write(request('GET', '/health'));
    expect(parseResponse(await closed).status).toBe(200);
    for (const s of held) s.destroy();
  });
});

describe('server.maxConnectionsPerClient', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ server: { host: '127.0.0.1', port: 0, maxConnectionsPerClient: 2 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("closes a client address's connections beyond the cap; another address is counted apart", async () => {
    const fromA = [await openSocket(h.gw.port), await openSocket(h.gw.port)];
    const third = await openSocket(h.gw.port).catch(() => undefined);
    if (third) await untilClosed(third);
    expect(fromA.map((s) => s.destroyed)).toEqual([false, false]);
    // Linux routes all of 127.0.0.0/8 to loopback: 127.0.0.2 is another client
    const fromB = await openSocket(h.gw.port, '127.0.0.2');
    const closed = untilClosed(fromB);
    fromB.write(request('GET', '/health'));
    expect(parseResponse(await closed).status).toBe(200);
    for (const s of fromA) s.destroy();
  });
});

describe('edge errors answer with a body in the format the path implies', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('absolute-form request targets are routed like origin-form ones', async () => {
    const origin = `http://127.0.0.1:${h.gw.port}`;
    const messages = await rawExchange(h.gw.port, request('POST', `${origin}/v1/messages`, MESSAGES, { 'x-api-key': 'any', 'anthropic-version': '2023-06-01' }));
    expect(messages.status).toBe(200);
    expect((messages.json as { type?: string }).type).toBe('message');
    const chat = await rawExchange(h.gw.port, request('POST', `${origin}/v1/chat/completions?x=1`, CHAT));
    expect(chat.status).toBe(200);
    expect((chat.json as { object?: string }).object).toBe('chat.completion');
  });

  it('unknown paths: Anthropic-shaped under /v1/messages (also in absolute form), OpenAI-shaped elsewhere; wrong methods get 405', async () => {
    const underMessages = await rawExchange(h.gw.port, request('POST', '/v1/messages/batches', MESSAGES));
    expect(underMessages.status).toBe(404);
    expect(isAnthropicError(underMessages.json, 'not_found_error'), underMessages.text).toBe(true);
    const absolute = await rawExchange(h.gw.port, request('POST', `http://localhost/v1/messages/batches/msgbatch_1`, MESSAGES));
    expect(absolute.status).toBe(404);
    expect(isAnthropicError(absolute.json, 'not_found_error'), absolute.text).toBe(true);
    const elsewhere = await rawExchange(h.gw.port, request('GET', '/v1/nothing-here'));
    expect(elsewhere.status).toBe(404);
    expect(isOpenAIError(elsewhere.json, 'not_found'), elsewhere.text).toBe(true);
    const wrongMethod = await rawExchange(h.gw.port, request('GET', '/v1/chat/completions'));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    expect(isOpenAIError(wrongMethod.json, 'method_not_allowed'), wrongMethod.text).toBe(true);
  });

  it("what Node's parser rejects gets JSON, not an empty body: 400 malformed, 431 oversized headers, 400 no Host, 417", async () => {
    const malformed = await rawExchange(h.gw.port, 'P\x01ST /v1/messages HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(malformed.status).toBe(400);
    expect(isAnthropicError(malformed.json, 'invalid_request_error'), malformed.text).toBe(true);
    const badHeader = await rawExchange(h.gw.port, 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n');
    expect(badHeader.status).toBe(400);
    expect(isOpenAIError(badHeader.json, 'invalid_request'), badHeader.text).toBe(true);
    const huge = await rawExchange(h.gw.port, `POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-filler: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge.status).toBe(431);
    expect(isAnthropicError(huge.json, 'request_too_large'), huge.text).toBe(true);
    const badChunk = await rawExchange(h.gw.port, 'POST /v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n');
    expect(badChunk.status).toBe(400);
    expect(isAnthropicError(badChunk.json, 'invalid_request_error'), badChunk.text).toBe(true);
    const noHost = await rawExchange(h.gw.port, 'GET /health HTTP/1.1\r\nconnection: close\r\n\r\n');
    expect(noHost.status).toBe(400);
    expect(isOpenAIError(noHost.json, 'invalid_request'), noHost.text).toBe(true);
    const expect417 = await rawExchange(h.gw.port, request('POST', '/v1/messages', MESSAGES, { expect: 'something-else' }));
    expect(expect417.status).toBe(417);
    expect(isAnthropicError(expect417.json, 'invalid_request_error'), expect417.text).toBe(true);
    // HTTP/1.0 needs no Host
    expect((await rawExchange(h.gw.port, 'GET /health HTTP/1.0\r\n\r\n')).status).toBe(200);
  });

  it('numbers too large to represent (1e400) get a clear message in each format', async () => {
    const openai = await fetch(`${h.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"gpt-4o-mini","max_tokens":1e400,"messages":[{"role":"user","content":"hi"}]}',
    });
    expect(openai.status).toBe(400);
    const oe = ((await openai.json()) as { error: { message: string; param: string } }).error;
    expect(oe.param).toBe('max_tokens');
    expect(oe.message).toMatch(/too large to represent; expected a finite number/);
    expect(oe.message).not.toMatch(/got a number instead/);
    const temp = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"gpt-4o-mini","temperature":-1e400,"messages":[{"role":"user","content":"hi"}]}' });
    expect(((await temp.json()) as { error: { message: string; param: string } }).error).toMatchObject({ param: 'temperature', message: expect.stringMatching(/finite/) });
    for (const body of [
      '{"model":"claude-3-5-haiku","max_tokens":1e400,"messages":[{"role":"user","content":"hi"}]}',
      '{"model":"claude-3-5-haiku","max_tokens":16,"temperature":1e400,"messages":[{"role":"user","content":"hi"}]}',
    ]) {
      const anthropic = await fetch(`${h.gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(anthropic.status).toBe(400);
      const aj = await anthropic.json();
      expect(isAnthropicError(aj, 'invalid_request_error')).toBe(true);
      expect((aj as { error: { message: string } }).error.message).toMatch(/Input should be a finite number/);
    }
  });
});
