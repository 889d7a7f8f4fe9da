// The byte-level and format-choosing parts of the wire codecs: what a relay needs to know about an
// upstream stream (terminal event, injected usage), model lists read by the official SDKs,
// choosing a codec by path and headers, and embeddings behind the codec.

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecFor, codecForHeaders, codecForPath, createProvider, defaultCodec, wireCodecs, type WireCodec } from '../../src/providers/index.js';
import type { ModelInfo, StreamChunk } from '../../src/providers/contract.js';
import { allEvents, fixture, fixtureJson, fold, startServer, type TestServer } from './helpers.js';

const openai = codecFor('openai');
const anthropic = codecFor('anthropic');

/** the fixture cut the way the codec's own parser hands it to the relay */
function chunksOf(codec: WireCodec, name: string, pieceSize = 29): StreamChunk[] {
  const p = codec.createStreamParser();
  const bytes = fixture(name);
  const out: StreamChunk[] = [];
  for (let i = 0; i < bytes.length; i += pieceSize) out.push(...p.push(bytes.subarray(i, i + pieceSize)));
  out.push(...p.end());
  return out.filter((c) => c.raw.length > 0);
}

describe('isTerminalChunk', () => {
  it.each([
    ['openai', 'openai-chat-text.sse'],
    ['openai', 'openai-chat-tools.sse'],
    ['openai', 'openai-chat-vllm.sse'],
    ['anthropic', 'anthropic-text.sse'],
    ['anthropic', 'anthropic-tools.sse'],
  ] as const)('%s %s: only the chunk with the terminal event', (format, name) => {
    const codec = codecFor(format);
    const chunks = chunksOf(codec, name);
    const terminal = chunks.map((c) => codec.isTerminalChunk(c.raw));
    expect(terminal.filter(Boolean)).toHaveLength(1);
    expect(terminal.at(-1)).toBe(true);
  });

  it('streams cut or failed before the end have no terminal event', () => {
    for (const c of chunksOf(openai, 'openai-chat-midstream-error.sse')) expect(openai.isTerminalChunk(c.raw)).toBe(false);
    for (const c of chunksOf(anthropic, 'anthropic-overloaded.sse')) expect(anthropic.isTerminalChunk(c.raw)).toBe(false);
  });

  it('accepts the field without the optional space, and does not take one format for the other', () => {
    expect(openai.isTerminalChunk(Buffer.from('data:[DONE]\n\n'))).toBe(true);
    expect(anthropic.isTerminalChunk(Buffer.from('event:message_stop\ndata: {"type":"message_stop"}\n\n'))).toBe(true);
    expect(openai.isTerminalChunk(Buffer.from('event: message_stop\ndata: {"type":"message_stop"}\n\n'))).toBe(false);
    expect(anthropic.isTerminalChunk(Buffer.from('data: [DONE]\n\n'))).toBe(false);
    // a model that writes the marker itself: inside a JSON string it is never at a line start
    expect(openai.isTerminalChunk(Buffer.from('data: {"choices":[{"delta":{"content":"\\n\\ndata: [DONE]\\n\\n"}}]}\n\n'))).toBe(false);
    expect(anthropic.isTerminalChunk(Buffer.from('event: content_block_delta\ndata: {"delta":{"text":"event: message_stop"}}\n\n'))).toBe(false);
    expect(openai.isTerminalChunk(Buffer.from('data: [DONE]'))).toBe(true);
    expect(openai.isTerminalChunk(Buffer.from('data: [DONE]x\n\n'))).toBe(false);
  });
});

describe('stripInjectedUsage', () => {
  it.each(['openai-chat-text.sse', 'openai-chat-tools.sse', 'openai-chat-vllm.sse'])('OpenAI %s: the usage-only chunk goes, everything else stays', (name) => {
    const chunks = chunksOf(openai, name);
    const stripped = Buffer.concat(chunks.map((c) => openai.stripInjectedUsage(c.raw)));
    const original = fixture(name);
    expect(stripped.length).toBeLessThan(original.length);
    const before = fold(allEvents(chunksOf(openai, name)));
    const p = openai.createStreamParser();
    const after = fold(allEvents([...p.push(stripped), ...p.end()]));
    expect(after.sawUsage).toBe(false);
    expect(before.sawUsage).toBe(true);
    expect(after.text()).toBe(before.text());
    expect(after.complete).toBe(true);
    expect(after.toResponse().content).toEqual(before.toResponse().content);
    expect(openai.isTerminalChunk(stripped)).toBe(true);
  });

  it('returns the very same buffer when there is nothing to drop (no copy on the hot path)', () => {
    for (const c of chunksOf(openai, 'openai-chat-midstream-error.sse')) expect(openai.stripInjectedUsage(c.raw)).toBe(c.raw);
    // a chunk whose usage rides along with choices is the client's content, not ours to drop
    const withChoices = Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":1}}\n\n');
    expect(openai.stripInjectedUsage(withChoices)).toBe(withChoices);
  });

  it('works on CRLF-framed events too', () => {
    const crlf = Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"a"}}],"usage":null}\r\n\r\ndata: {"choices":[],"usage":{"prompt_tokens":3}}\r\n\r\ndata: [DONE]\r\n\r\n');
    expect(openai.stripInjectedUsage(crlf).toString()).toBe('data: {"choices":[{"index":0,"delta":{"content":"a"}}],"usage":null}\r\n\r\ndata: [DONE]\r\n\r\n');
  });

  it('Anthropic streams always carry usage: identity', () => {
    for (const c of chunksOf(anthropic, 'anthropic-text.sse')) expect(anthropic.stripInjectedUsage(c.raw)).toBe(c.raw);
  });

  it('the adapters that need it say so', () => {
    const cfg = { baseUrl: 'http://127.0.0.1:9/v1' };
    const oa = createProvider({ name: 'a', kind: 'openai', ...cfg });
    const oc = createProvider({ name: 'b', kind: 'openai-compatible', ...cfg });
    const an = createProvider({ name: 'c', kind: 'anthropic', baseUrl: 'http://127.0.0.1:9' });
    expect([oa.streamUsageOnlyWhenAsked, oc.streamUsageOnlyWhenAsked, an.streamUsageOnlyWhenAsked]).toEqual([true, true, false]);
    // the codec of each adapter's wire format says the same
    for (const a of [oa, oc, an]) expect(codecFor(a.wireFormat).streamUsageOnlyWhenAsked).toBe(a.streamUsageOnlyWhenAsked);
    void Promise.all([oa.close?.(), oc.close?.(), an.close?.()]);
  });
});

describe('renderModelList, read by the official SDKs', () => {
  const models: ModelInfo[] = [
    { id: 'gpt-4o', ownedBy: 'openai', created: 1_700_000_000 },
    { id: 'claude-sonnet-4', ownedBy: 'anthropic', displayName: 'Claude Sonnet 4' },
    { id: 'cheap-route', ownedBy: 'tollgate-route' },
  ];
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((req, res) => {
      const body = JSON.stringify(codecForHeaders(req.headers).renderModelList(models));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  afterAll(async () => server.close());

  it('OpenAI SDK (no format header: the default codec)', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const got = [];
    for await (const m of client.models.list()) got.push(m);
    expect(got.map((m) => [m.id, m.object, m.owned_by])).toEqual([
      ['gpt-4o', 'model', 'openai'],
      ['claude-sonnet-4', 'model', 'anthropic'],
      ['cheap-route', 'model', 'tollgate-route'],
    ]);
    expect(got[0]!.created).toBe(1_700_000_000);
    expect(Number.isInteger(got[2]!.created)).toBe(true);
  });

  it('Anthropic SDK (anthropic-version picks the Anthropic codec)', async () => {
    const client = new Anthropic({ baseURL: server.url, apiKey: 'sk-ant-test', maxRetries: 0 });
    const got = [];
    for await (const m of client.models.list()) got.push(m);
    expect(got.map((m) => [m.id, m.type, m.display_name])).toEqual([
      ['gpt-4o', 'model', 'gpt-4o'],
      ['claude-sonnet-4', 'model', 'Claude Sonnet 4'],
      ['cheap-route', 'model', 'cheap-route'],
    ]);
    expect(got[0]!.created_at).toBe('2023-11-14T22:13:20Z');
    expect(got[2]!.created_at).toBe('2025-01-01T00:00:00Z');
    expect(server.requests.at(-1)!.headers['anthropic-version']).toBeDefined();
  });

  it('an empty list is still a valid list in both formats', () => {
    expect(openai.renderModelList([])).toEqual({ object: 'list', data: [] });
    expect(anthropic.renderModelList([])).toEqual({ data: [], has_more: false, first_id: null, last_id: null });
  });
});

describe('choosing a codec', () => {
  it('by path: each chat and embeddings endpoint, and paths below them', () => {
    expect(codecForPath('/v1/chat/completions')?.format).toBe('openai');
    expect(codecForPath('/v1/embeddings')?.format).toBe('openai');
    expect(codecForPath('/v1/messages')?.format).toBe('anthropic');
    expect(codecForPath('/v1/messages/count_tokens')?.format).toBe('anthropic');
    expect(codecForPath('/v1/messagesX')).toBeUndefined();
    expect(codecForPath('/v1/nothing')).toBeUndefined();
  });

  it('by headers: anthropic-version claims Anthropic, anything else gets the default', () => {
    expect(codecForHeaders({ 'anthropic-version': '2023-06-01' }).format).toBe('anthropic');
    expect(codecForHeaders({ authorization: 'Bearer x' }).format).toBe('openai');
    expect(defaultCodec().format).toBe('openai');
  });

  it('every registered codec names its endpoints and has every method', () => {
    const formats = wireCodecs().map((c) => c.format);
    expect(formats).toEqual(expect.arrayContaining(['openai', 'anthropic']));
    for (const c of wireCodecs()) {
      expect(c.endpoints.chat).toMatch(/^\/v1\//);
      expect(codecForPath(c.endpoints.chat)).toBe(c);
      for (const m of ['parseChatRequest', 'renderChatResponse', 'createStreamRenderer', 'renderError', 'parseChatResponse', 'createStreamParser', 'isTerminalChunk', 'stripInjectedUsage', 'renderModelList', 'claimsHeaders'] as const) {
        expect(typeof c[m]).toBe('function');
      }
    }
  });
});

describe('embeddings behind the codec', () => {
  it('OpenAI: parse a request, render a response the SDK shape expects', () => {
    const emb = openai.embeddings!;
    const req = emb.parseRequest({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'float' });
    expect(req).toMatchObject({ model: 'text-embedding-3-small', input: ['hello'], single: true, encodingFormat: 'float' });
    const upstream = fixtureJson('openai-embeddings.json') as { data: { embedding: number[] }[] };
    const body = emb.renderResponse({ model: 'up', data: upstream.data.map((d) => d.embedding), usage: { input: 8, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 } }, { model: 'text-embedding-3-small' });
    expect(body).toMatchObject({ object: 'list', model: 'text-embedding-3-small', usage: { prompt_tokens: 8, total_tokens: 8 } });
    expect((body.data as unknown[]).length).toBe(2);
  });

  it('a client mistake is a GatewayError rendered in the format, not a crash', () => {
    let thrown: unknown;
    try {
      openai.embeddings!.parseRequest({ model: 'm', input: [] });
    } catch (e) {
      thrown = e;
    }
    const r = openai.renderError(thrown);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { type: 'invalid_request_error', param: 'input' } });
  });

  it('Anthropic has no embeddings endpoint', () => {
    expect(anthropic.embeddings).toBeUndefined();
    expect(anthropic.endpoints.embeddings).toBeUndefined();
  });
});

describe('prompt-cache breakpoints: canonical in core, wire in the vendor folder', () => {
  it('Anthropic renders cache_control with the lifetime; OpenAI has no breakpoints and drops them', async () => {
    const { cacheBreakpoint } = await import('../../src/core/canonical.js');
    const { renderAnthropicMessagesRequest } = await import('../../src/providers/anthropic/render-messages-request.js');
    const { renderOpenAIChatRequest } = await import('../../src/providers/openai/render-chat-request.js');
    const req = openai.parseChatRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    req.system = [
      { type: 'text', text: 'long policy', cacheControl: cacheBreakpoint('1h') },
      { type: 'text', text: 'today', cacheControl: cacheBreakpoint() },
    ];
    const an = renderAnthropicMessagesRequest(req, 'claude', {}) as { system: { cache_control?: unknown }[] };
    expect(an.system.map((b) => b.cache_control)).toEqual([{ type: 'ephemeral', ttl: '1h' }, { type: 'ephemeral' }]);
    expect(JSON.stringify(renderOpenAIChatRequest(req, 'gpt'))).not.toContain('ephemeral');
  });
});
