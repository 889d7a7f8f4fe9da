// The official SDKs, unchanged but for the base URL, against the gateway in front of the simulator.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { readLedger } from '../../src/ledger/read.js';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  h = await startHarness();
  openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo-key', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: 'demo-key', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('OpenAI client', () => {
  it('chat completion, non-streaming, with cost headers', async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Name three prime numbers.' }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-tollgate-request-id')).toMatch(/^tg-/);
    const cost = Number(response.headers.get('x-tollgate-cost-usd'));
    // gpt-4o-mini list price: $0.15 / 1M input, $0.60 / 1M output
    const expected = (data.usage!.prompt_tokens * 0.15 + data.usage!.completion_tokens * 0.6) / 1e6;
    expect(cost).toBeCloseTo(expected, 9);
  });

  it('streams with include_usage: one usage chunk with empty choices at the end', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Write a haiku about tolls.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const usageChunks: unknown[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usageChunks.push(chunk);
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usageChunks).toHaveLength(1);
    expect((usageChunks[0] as { choices: unknown[] }).choices).toEqual([]);
  });

  it('streams without include_usage: no usage reaches the client, but the ledger has real usage', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say something about bridges.' }], stream: true })
      .withResponse();
    const id = response.headers.get('x-tollgate-request-id')!;
    let sawUsage = false;
    for await (const chunk of stream) if (chunk.usage) sawUsage = true;
    expect(sawUsage).toBe(false);
    await h.gw.ledger.flush();
    const rec = readLedger(h.dataDir, { last: 50 }).find((r) => r.requestId === id);
    expect(rec).toBeDefined();
    expect(rec!.usage.estimated).toBeFalsy();
    expect(rec!.usage.output).toBeGreaterThan(0);
    expect(rec!.costUsd).toBeGreaterThan(0);
    expect(rec!.ttftMs).toBeGreaterThanOrEqual(0);
  });

  it('tools: the model calls a tool, the SDK parses it, streaming too', async () => {
    const res = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: 'required',
    });
    const call = res.choices[0]!.message.tool_calls![0]!;
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    const stream = openai.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: 'required',
    });
    const final = await stream.finalChatCompletion();
    const streamed = final.choices[0]!.message.tool_calls![0]!;
    expect(streamed.type === 'function' && streamed.function.name).toBe('get_weather');
    expect(() => JSON.parse(streamed.type === 'function' ? streamed.function.arguments : '')).not.toThrow();
  });

  it('reaches an Anthropic model through OpenAI format (text, system, stream, tools)', async () => {
    const res = await openai.chat.completions.create({
      model: 'claude-3-5-haiku',
      messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hello there' }],
    });
    expect(res.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(res.usage!.prompt_tokens).toBeGreaterThan(0);
    const stream = await openai.chat.completions.create({
      model: 'claude-sonnet-4',
      messages: [{ role: 'user', content: 'Tell me about rivers.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
    const tools = await openai.chat.completions.create({
      model: 'claude-sonnet-4',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [weatherTool],
      tool_choice: 'required',
    });
    expect(tools.choices[0]!.message.tool_calls?.[0]).toBeDefined();
  });

  it('embeddings and the models list', async () => {
    const emb = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['hello', 'world'] });
    expect(emb.data).toHaveLength(2);
    expect(emb.data[0]!.embedding.length).toBe(1536);
    const models = await openai.models.list();
    const ids = models.data.map((m) => m.id);
    for (const m of ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'claude-3-5-haiku', 'gemini-2.0-flash', 'text-embedding-3-small']) expect(ids).toContain(m);
  });

  it('gemini through the OpenAI-compatible provider', async () => {
    const res = await openai.chat.completions.create({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'Hi' }] });
    expect(res.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });
});

describe('Anthropic client', () => {
  it('messages, non-streaming, with system and cost header', async () => {
    const { data, response } = await anthropic.messages
      .create({ model: 'claude-sonnet-4', max_tokens: 200, system: 'Be concise.', messages: [{ role: 'user', content: 'What is a toll road?' }] })
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.content[0]!.type).toBe('text');
    expect(Number(response.headers.get('x-tollgate-cost-usd'))).toBeGreaterThan(0);
  });

  it('messages, streaming, with usage', async () => {
    const stream = anthropic.messages.stream({ model: 'claude-3-5-haiku', max_tokens: 300, messages: [{ role: 'user', content: 'Describe a lighthouse.' }] });
    const final = await stream.finalMessage();
    expect(final.content[0]!.type).toBe('text');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('tools in Anthropic format', async () => {
    const res = await anthropic.messages.create({
      model: 'claude-sonnet-4',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Weather in Rome?' }],
      tools: [{ name: 'get_weather', description: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any' },
    });
    expect(res.stop_reason).toBe('tool_use');
    expect(res.content.find((b) => b.type === 'tool_use')).toBeDefined();
  });

  it('reaches an OpenAI model through Anthropic format (text, system, stream, tools)', async () => {
    const res = await anthropic.messages.create({ model: 'gpt-4o-mini', max_tokens: 100, system: 'Terse.', messages: [{ role: 'user', content: 'Hi' }] });
    expect(res.content[0]!.type).toBe('text');
    expect(res.usage.input_tokens).toBeGreaterThan(0);
    const stream = anthropic.messages.stream({ model: 'gpt-4o', max_tokens: 200, messages: [{ role: 'user', content: 'Tell me about maps.' }] });
    const final = await stream.finalMessage();
    expect(final.content[0]!.type).toBe('text');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    const tools = await anthropic.messages.create({
      model: 'gpt-4o',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Weather in Rome?' }],
      tools: [{ name: 'get_weather', description: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any' },
    });
    expect(tools.content.find((b) => b.type === 'tool_use')).toBeDefined();
  });
});

describe('bad input gets an error in the caller\'s format', () => {
  it('malformed JSON, unknown model, wrong types, oversize body', async () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${h.gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x', ...headers }, body });
    let r = await post('/v1/chat/completions', '{"model": "gpt-4o", "messages": [');
    expect(r.status).toBe(400);
    expect((await r.json()).error.type).toBe('invalid_request_error');
    r = await post('/v1/messages', '{nope', { 'anthropic-version': '2023-06-01' });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    await expect(openai.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
    await expect(anthropic.messages.create({ model: 'claude-sonnet-4', max_tokens: 'ten' as unknown as number, messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 400 });
    r = await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(11 * 1024 * 1024) }] }));
    expect(r.status).toBe(413);
    const health = await fetch(`${h.gw.url}/health`);
    expect(health.status).toBe(200);
  });

  it('records failures in the ledger and exposes metrics', async () => {
    await h.gw.ledger.flush();
    const recs = readLedger(h.dataDir, { last: 200 });
    expect(recs.some((r) => r.status === 'error' && r.httpStatus === 404)).toBe(true);
    const metrics = await (await fetch(`${h.gw.url}/metrics`)).text();
    expect(metrics).toContain('gen_ai_server_request_duration_seconds_bucket');
    expect(metrics).toContain('tollgate_gateway_overhead_seconds');
  });
});
