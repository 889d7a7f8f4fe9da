// Renderer output parsed back by the official SDKs: a node:http server answers with what our
// renderers produce, and the unmodified `openai` / `@anthropic-ai/sdk` clients read it.

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatResponse, StreamEvent } from '../../src/core/canonical.js';
import { GatewayError, UpstreamError } from '../../src/core/errors.js';
import { createAnthropicStreamParser } from '../../src/providers/anthropic/stream-parser.js';
import { createAnthropicStreamRenderer } from '../../src/providers/anthropic/stream-renderer.js';
import { renderAnthropicMessagesResponse } from '../../src/providers/anthropic/render-messages-response.js';
import { renderAnthropicError } from '../../src/providers/anthropic/error.js';
import { createOpenAIStreamParser } from '../../src/providers/openai/stream-parser.js';
import { createOpenAIStreamRenderer } from '../../src/providers/openai/stream-renderer.js';
import { renderOpenAIChatResponse } from '../../src/providers/openai/render-chat-response.js';
import { renderOpenAIError } from '../../src/providers/openai/error.js';
import { parseOpenAIChatRequest } from '../../src/providers/openai/parse-chat-request.js';
import { parseAnthropicMessagesRequest } from '../../src/providers/anthropic/parse-messages-request.js';
import { encodeEmbeddingBase64, parseOpenAIEmbeddingsRequest, renderOpenAIEmbeddingsResponse } from '../../src/providers/openai/embeddings.js';
import { allEvents, fixture, startServer, type TestServer } from './helpers.js';

const toolResponse: ChatResponse = {
  id: 'resp1',
  model: 'm',
  created: 1741570000,
  content: [
    { type: 'text', text: 'Checking.' },
    { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris"}' },
  ],
  finishReason: 'tool_calls',
  usage: { input: 100, cacheRead: 50, cacheWrite5m: 10, cacheWrite1h: 0, output: 20, reasoning: 0 },
};

function eventsOf(fixtureName: string): StreamEvent[] {
  const p = fixtureName.startsWith('anthropic') ? createAnthropicStreamParser() : createOpenAIStreamParser();
  return allEvents([...p.push(fixture(fixtureName)), ...p.end()]);
}

/** What the test server answers next, set per test. */
let answer: (body: Record<string, unknown>) => { status?: number; type: 'json' | 'sse'; payload: string };

let server: TestServer;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  server = await startServer((req, res, body) => {
    const json = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    const a = answer(json);
    res.writeHead(a.status ?? 200, { 'content-type': a.type === 'sse' ? 'text/event-stream' : 'application/json', 'x-should-retry': 'false' });
    res.end(a.payload);
  });
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.url, apiKey: 'sk-ant-test', maxRetries: 0 });
});
afterAll(async () => server.close());

function sse(render: (ev: StreamEvent) => string, end: () => string, events: StreamEvent[]): string {
  return events.map(render).join('') + end();
}

describe('OpenAI SDK reads our OpenAI renderers', () => {
  it('non-stream with tool calls and usage', async () => {
    answer = (b) => ({ type: 'json', payload: JSON.stringify(renderOpenAIChatResponse(toolResponse, { model: String(b.model) })) });
    const r = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.id).toBe('chatcmpl-resp1');
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('gpt-4o');
    expect(r.choices[0]!.message.content).toBe('Checking.');
    expect(r.choices[0]!.message.tool_calls).toEqual([{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }]);
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    expect(r.usage).toMatchObject({ prompt_tokens: 160, completion_tokens: 20, total_tokens: 180, prompt_tokens_details: { cached_tokens: 50 } });
  });

  it('stream translated from an Anthropic stream (thinking, text, tool_use), with include_usage', async () => {
    answer = (b) => {
      const r = createOpenAIStreamRenderer({ model: String(b.model), includeUsage: true });
      return { type: 'sse', payload: sse(r.render, r.end, eventsOf('anthropic-tools.sse')) };
    };
    const stream = openai.chat.completions.stream({ model: 'claude-sonnet-4', messages: [{ role: 'user', content: 'weather?' }], stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    stream.on('chunk', (c) => chunks.push(c));
    const final = await stream.finalChatCompletion();
    expect(final.id).toBe('chatcmpl-014p7gG3wDgGV9EUtLvnow3U');
    expect(final.choices[0]!.message.content).toBe("Okay, let's check the weather for San Francisco, CA:");
    expect(final.choices[0]!.message.tool_calls).toEqual([
      { id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '{"location": "San Francisco, CA"}' } },
    ]);
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(final.usage).toMatchObject({ prompt_tokens: 472, completion_tokens: 89, total_tokens: 561 });
    // the usage chunk is last, with choices []; every other chunk has usage null
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
  });

  it('stream without include_usage has no usage chunk and no usage field', async () => {
    let text = '';
    answer = (b) => {
      const r = createOpenAIStreamRenderer({ model: String(b.model), includeUsage: false });
      text = sse(r.render, r.end, eventsOf('anthropic-text.sse'));
      return { type: 'sse', payload: text };
    };
    const s = await openai.chat.completions.create({ model: 'claude-sonnet-4', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let content = '';
    let finish: string | null = null;
    for await (const c of s) {
      expect(c.usage).toBeUndefined();
      content += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(content).toBe('Hello! Grüße 👋');
    expect(finish).toBe('stop');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('a canonical error event reaches the SDK as an APIError mid-stream', async () => {
    answer = (b) => {
      const r = createOpenAIStreamRenderer({ model: String(b.model), includeUsage: false });
      return { type: 'sse', payload: eventsOf('anthropic-overloaded.sse').map(r.render).join('') };
    };
    const s = await openai.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let got = '';
    await expect(
      (async () => {
        for await (const c of s) got += c.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow(/Overloaded/);
    expect(got).toBe('Par');
  });

  it('error objects: a GatewayError from request validation becomes an OpenAI BadRequestError with param', async () => {
    answer = (b) => {
      try {
        parseOpenAIChatRequest(b);
        return { type: 'json', payload: '{}' };
      } catch (err) {
        const e = renderOpenAIError(err);
        return { status: e.status, type: 'json', payload: JSON.stringify(e.body) };
      }
    };
    const err = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream_options: { include_usage: true } } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('stream_options');
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).type).toBe('invalid_request_error');
  });

  it('embeddings: the SDK default (base64) and float both decode to the same vectors', async () => {
    const vectors = [
      [0.25, -0.5, 1.5],
      [0.125, 0, -2],
    ];
    answer = (b) => {
      const req = parseOpenAIEmbeddingsRequest(b);
      const r = renderOpenAIEmbeddingsResponse(
        { model: req.model, data: vectors.slice(0, req.input.length), usage: { input: 7, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 } },
        { model: req.model, encodingFormat: req.encodingFormat },
      );
      return { type: 'json', payload: JSON.stringify(r) };
    };
    const a = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(a.data.map((d) => d.embedding)).toEqual(vectors);
    expect(a.usage).toEqual({ prompt_tokens: 7, total_tokens: 7 });
    const f = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'a', encoding_format: 'float' });
    expect(f.data[0]!.embedding).toEqual(vectors[0]);
    expect(encodeEmbeddingBase64([1])).toBe(Buffer.from(new Float32Array([1]).buffer).toString('base64'));
  });
});

describe('Anthropic SDK reads our Anthropic renderers', () => {
  it('non-stream with tool_use and usage', async () => {
    answer = (b) => ({ type: 'json', payload: JSON.stringify(renderAnthropicMessagesResponse(toolResponse, { model: String(b.model) })) });
    const m = await anthropic.messages.create({ model: 'claude-sonnet-4', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    expect(m.id).toBe('msg_resp1');
    expect(m.type).toBe('message');
    expect(m.content).toEqual([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } },
    ]);
    expect(m.stop_reason).toBe('tool_use');
    expect(m.usage).toMatchObject({ input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 50, cache_creation_input_tokens: 10 });
  });

  it('stream translated from an OpenAI stream with parallel tool calls', async () => {
    answer = (b) => {
      const r = createAnthropicStreamRenderer({ model: String(b.model) });
      return { type: 'sse', payload: sse(r.render, r.end, eventsOf('openai-chat-tools.sse')) };
    };
    const s = anthropic.messages.stream({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'weather and time?' }] });
    const types: string[] = [];
    s.on('streamEvent', (e) => types.push(e.type));
    const m = await s.finalMessage();
    expect(m.content).toEqual([
      { type: 'tool_use', id: 'call_abc123', name: 'get_weather', input: { location: 'Paris' } },
      { type: 'tool_use', id: 'call_def456', name: 'get_time', input: { tz: 'CET' } },
    ]);
    expect(m.stop_reason).toBe('tool_use');
    expect(m.usage).toMatchObject({ input_tokens: 85, output_tokens: 32 });
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
  });

  it('stream translated from an OpenAI text stream keeps cache reads apart from input', async () => {
    answer = (b) => {
      const r = createAnthropicStreamRenderer({ model: String(b.model) });
      return { type: 'sse', payload: sse(r.render, r.end, eventsOf('openai-chat-text.sse')) };
    };
    const s = anthropic.messages.stream({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    s.on('text', (t) => (text += t));
    const m = await s.finalMessage();
    expect(text).toBe('Hello! How can I help — café ☕?');
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage).toMatchObject({ input_tokens: 176, cache_read_input_tokens: 1024, output_tokens: 9 });
  });

  it('Anthropic-to-Anthropic re-rendering keeps usage from message_start (cache writes by TTL)', async () => {
    answer = (b) => {
      const r = createAnthropicStreamRenderer({ model: String(b.model) });
      return { type: 'sse', payload: sse(r.render, r.end, eventsOf('anthropic-text.sse')) };
    };
    const m = await anthropic.messages.stream({ model: 'claude-sonnet-4', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(m.content).toEqual([expect.objectContaining({ type: 'text', text: 'Hello! Grüße 👋' })]);
    expect(m.usage).toMatchObject({ input_tokens: 25, cache_creation_input_tokens: 1500, output_tokens: 15 });
  });

  it('an error event mid-stream surfaces as an SDK error', async () => {
    answer = (b) => {
      const r = createAnthropicStreamRenderer({ model: String(b.model) });
      return { type: 'sse', payload: eventsOf('anthropic-overloaded.sse').map(r.render).join('') };
    };
    await expect(anthropic.messages.stream({ model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage()).rejects.toThrow(/Overloaded/);
  });

  it('error objects: validation and upstream errors become typed SDK errors', async () => {
    answer = (b) => {
      try {
        parseAnthropicMessagesRequest(b);
        const e = renderAnthropicError(new UpstreamError({ provider: 'openai', model: 'gpt-4o', status: 429, body: '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}', message: 'x', errorClass: 'rate_limit', retryable: true }));
        return { status: e.status, type: 'json', payload: JSON.stringify(e.body) };
      } catch (err) {
        const e = renderAnthropicError(err);
        return { status: e.status, type: 'json', payload: JSON.stringify(e.body) };
      }
    };
    const missing = await anthropic.messages.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] } as never).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String((missing as Error).message)).toContain('max_tokens: Field required');
    const limited = await anthropic.messages.create({ model: 'x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect((limited as InstanceType<typeof Anthropic.RateLimitError>).error).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit reached' } });
    expect(new GatewayError('invalid_request', 'x').status).toBe(400);
  });
});
