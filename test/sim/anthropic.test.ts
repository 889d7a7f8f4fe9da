import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longText, parseSse, withSim } from './helpers.js';

let ctx: Awaited<ReturnType<typeof withSim>>;
beforeAll(async () => {
  ctx = await withSim({ seed: 11 });
});
afterAll(async () => {
  await ctx.sim.close();
});

const weatherTool = {
  name: 'get_weather',
  description: 'current weather',
  input_schema: { type: 'object' as const, properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['location'] },
};

const post = (path: string, body: unknown, headers: Record<string, string> = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' }) =>
  fetch(`${ctx.sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('Anthropic messages through the official SDK', () => {
  it('answers non-streaming with a string system prompt, usage and rate-limit headers', async () => {
    const { data, response } = await ctx.anthropic.messages
      .create({ model: 'claude-sonnet-4', max_tokens: 1024, system: 'You are terse.', messages: [{ role: 'user', content: 'What is a gateway?' }] })
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.id).toMatch(/^msg_/);
    expect(data.content[0]!.type).toBe('text');
    expect(['end_turn', 'max_tokens']).toContain(data.stop_reason);
    expect(data.usage.input_tokens).toBeGreaterThan(5);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(data.usage.cache_creation_input_tokens).toBe(0);
    expect(data.usage.cache_read_input_tokens).toBe(0);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
    const reset = response.headers.get('anthropic-ratelimit-tokens-reset')!;
    expect(reset).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number.isNaN(Date.parse(reset))).toBe(false);
  });

  it('accepts dated ids and system as blocks; stops at max_tokens', async () => {
    const r = await ctx.anthropic.messages.create({
      model: 'claude-3-5-haiku-20241022',
      max_tokens: 7,
      system: [{ type: 'text', text: 'You are a poet.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Write a long poem.' }] }],
    });
    expect(r.model).toBe('claude-3-5-haiku-20241022');
    expect(r.stop_reason).toBe('max_tokens');
    expect(r.usage.output_tokens).toBe(7);
  });

  it('streams: the SDK reassembles the same text as the non-streaming answer', async () => {
    const params = { model: 'claude-sonnet-4', max_tokens: 2000, messages: [{ role: 'user' as const, content: 'Explain SSE.' }] };
    const stream = ctx.anthropic.messages.stream(params);
    let deltas = 0;
    stream.on('text', () => deltas++);
    const final = await stream.finalMessage();
    const whole = await ctx.anthropic.messages.create(params);
    expect(final.content).toEqual(whole.content);
    expect(final.usage.output_tokens).toBe(whole.usage.output_tokens);
    expect(final.usage.input_tokens).toBe(whole.usage.input_tokens);
    expect(deltas).toBeGreaterThan(1);
  });

  it('sends the exact SSE event order on the wire, with pings and cumulative usage in message_delta', async () => {
    const r = await post('/v1/messages', { model: 'claude-sonnet-4', max_tokens: 300, stream: true, tools: [weatherTool], tool_choice: { type: 'auto' }, messages: [{ role: 'user', content: 'Weather in Lisbon?' }] });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await r.text());
    for (const e of events) expect(JSON.parse(e.data).type).toBe(e.event);
    const names = events.map((e) => e.event).filter((n) => n !== 'ping');
    expect(names[0]).toBe('message_start');
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(events.some((e) => e.event === 'ping')).toBe(true);
    // blocks: start, deltas, stop, each index in turn
    const body = names.slice(1, -2);
    let idx = -1;
    let open = false;
    for (const [i, n] of body.entries()) {
      const d = JSON.parse(events.filter((e) => e.event !== 'ping')[i + 1]!.data);
      if (n === 'content_block_start') {
        expect(open).toBe(false);
        expect(d.index).toBe(++idx);
        open = true;
      } else if (n === 'content_block_delta') {
        expect(open).toBe(true);
        expect(d.index).toBe(idx);
      } else {
        expect(n).toBe('content_block_stop');
        open = false;
      }
    }
    expect(open).toBe(false);
    const start = JSON.parse(events[0]!.data).message;
    expect(start.content).toEqual([]);
    expect(start.usage).toHaveProperty('input_tokens');
    expect(start.usage).toHaveProperty('cache_creation_input_tokens');
    expect(start.usage).toHaveProperty('cache_read_input_tokens');
    const md = JSON.parse(events.find((e) => e.event === 'message_delta')!.data);
    expect(md.usage.input_tokens).toBe(start.usage.input_tokens);
    expect(md.usage.output_tokens).toBeGreaterThan(0);
    expect(['end_turn', 'tool_use', 'max_tokens']).toContain(md.delta.stop_reason);
  });

  it('forced tool use returns a tool_use block; streaming sends input_json_delta', async () => {
    const r = await ctx.anthropic.messages.create({ model: 'claude-sonnet-4', max_tokens: 500, tools: [weatherTool], tool_choice: { type: 'tool', name: 'get_weather' }, messages: [{ role: 'user', content: 'Weather?' }] });
    expect(r.stop_reason).toBe('tool_use');
    const block = r.content.find((b) => b.type === 'tool_use')!;
    if (block.type !== 'tool_use') throw new Error('expected tool_use');
    expect(block.id).toMatch(/^toolu_/);
    expect(typeof (block.input as { location: string }).location).toBe('string');

    const raw = await post('/v1/messages', { model: 'claude-3-5-haiku', max_tokens: 500, stream: true, tools: [weatherTool], tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'Weather?' }] });
    const events = parseSse(await raw.text()).map((e) => JSON.parse(e.data));
    const jsonDeltas = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'input_json_delta');
    expect(jsonDeltas.length).toBeGreaterThan(1);
    const start = events.find((e) => e.type === 'content_block_start' && e.content_block.type === 'tool_use');
    expect(start.content_block.input).toEqual({});
    expect(JSON.parse(jsonDeltas.map((d) => d.delta.partial_json).join(''))).toHaveProperty('location');

    const s = ctx.anthropic.messages.stream({ model: 'claude-3-5-haiku', max_tokens: 500, tools: [weatherTool], tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'Weather?' }] });
    const fm = await s.finalMessage();
    const tu = fm.content.find((b) => b.type === 'tool_use');
    expect(tu && tu.type === 'tool_use' && (tu.input as { location: string }).location).toBeTruthy();
  });

  it('cache_control: first call writes, second reads; input_tokens excludes both; 1h split reported', async () => {
    const doc = longText(1600, 'anthropic-cache');
    const req = (q: string, ttl?: '5m' | '1h') =>
      ctx.anthropic.messages.create({
        model: 'claude-sonnet-4',
        max_tokens: 50,
        system: [{ type: 'text', text: doc, cache_control: { type: 'ephemeral', ...(ttl ? { ttl } : {}) } }],
        messages: [{ role: 'user', content: q }],
      });
    const first = await req('first question');
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(1024);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation?.ephemeral_5m_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(first.usage.input_tokens).toBeLessThan(20);
    const second = await req('another question');
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    const count = await ctx.anthropic.messages.countTokens({ model: 'claude-sonnet-4', system: doc, messages: [{ role: 'user', content: 'another question' }] });
    expect(second.usage.input_tokens + (second.usage.cache_read_input_tokens ?? 0)).toBe(count.input_tokens);

    const hour = await ctx.anthropic.messages.create({
      model: 'claude-sonnet-4',
      max_tokens: 10,
      system: [{ type: 'text', text: longText(1300, 'one-hour'), cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [{ role: 'user', content: 'q' }],
    });
    expect(hour.usage.cache_creation?.ephemeral_1h_input_tokens).toBe(hour.usage.cache_creation_input_tokens);
    expect(hour.usage.cache_creation?.ephemeral_5m_input_tokens).toBe(0);
  });

  it('below the model minimum nothing is cached (claude-3-5-haiku needs 2048)', async () => {
    const doc = longText(1500, 'haiku-min');
    const req = () =>
      ctx.anthropic.messages.create({ model: 'claude-3-5-haiku', max_tokens: 5, system: [{ type: 'text', text: doc, cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'q' }] });
    await req();
    const again = await req();
    expect(again.usage.cache_read_input_tokens).toBe(0);
    expect(again.usage.cache_creation_input_tokens).toBe(0);
    expect(again.usage.input_tokens).toBeGreaterThan(1500);
  });

  it('cache_control on tools and on a message block caches the prefix up to that block', async () => {
    const tools = [{ ...weatherTool, description: longText(1200, 'tool-doc'), cache_control: { type: 'ephemeral' as const } }];
    const a = await ctx.anthropic.messages.create({ model: 'claude-sonnet-4', max_tokens: 5, tools, tool_choice: { type: 'none' }, messages: [{ role: 'user', content: 'one' }] });
    expect(a.usage.cache_creation_input_tokens).toBeGreaterThan(1024);
    const b = await ctx.anthropic.messages.create({ model: 'claude-sonnet-4', max_tokens: 5, tools, tool_choice: { type: 'none' }, messages: [{ role: 'user', content: 'two' }] });
    expect(b.usage.cache_read_input_tokens).toBe(a.usage.cache_creation_input_tokens);
    // multi-turn: breakpoint on the last user block; the next turn reads the earlier prefix
    const history = longText(1400, 'conversation');
    const t1 = await ctx.anthropic.messages.create({
      model: 'claude-sonnet-4',
      max_tokens: 5,
      messages: [{ role: 'user', content: [{ type: 'text', text: history, cache_control: { type: 'ephemeral' } }] }],
    });
    const t2 = await ctx.anthropic.messages.create({
      model: 'claude-sonnet-4',
      max_tokens: 5,
      messages: [
        { role: 'user', content: [{ type: 'text', text: history }] },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'and then?', cache_control: { type: 'ephemeral' } }] },
      ],
    });
    expect(t2.usage.cache_read_input_tokens).toBe(t1.usage.cache_creation_input_tokens);
    expect(t2.usage.cache_creation_input_tokens).toBeGreaterThan(0);
  });

  it('lists models in the Anthropic shape', async () => {
    const ids: string[] = [];
    for await (const m of ctx.anthropic.models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(['claude-3-5-haiku', 'claude-sonnet-4']);
  });
});

describe('Anthropic errors in the provider shape', () => {
  it('401 without a key, 400 without anthropic-version', async () => {
    const r = await post('/v1/messages', { model: 'claude-sonnet-4', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, {});
    expect(r.status).toBe(401);
    expect((await r.json()).error.type).toBe('authentication_error');
    const v = await post('/v1/messages', { model: 'claude-sonnet-4', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { 'x-api-key': 'k' });
    expect(v.status).toBe(400);
  });

  it('404 not_found_error for an unknown model; 400 invalid_request_error for bad bodies', async () => {
    const e = await ctx.anthropic.messages.create({ model: 'claude-9', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(Anthropic.NotFoundError);
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const bad: unknown[] = [
      '{oops',
      { model: 'claude-sonnet-4', messages: [{ role: 'user', content: 'x' }] },
      { model: 'claude-sonnet-4', max_tokens: 5, messages: [] },
      { model: 'claude-sonnet-4', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] },
      { model: 'claude-sonnet-4', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] },
      { model: 'claude-sonnet-4', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'forever' } }] }] },
    ];
    for (const b of bad) {
      const r = await post('/v1/messages', b);
      expect(r.status, JSON.stringify(b)).toBe(400);
      const j = await r.json();
      expect(j.type).toBe('error');
      expect(j.error.type).toBe('invalid_request_error');
      expect(typeof j.error.message).toBe('string');
    }
    const sdkErr = await ctx.anthropic.messages.create({ model: 'claude-sonnet-4', max_tokens: 5, messages: [] }).catch((x) => x);
    expect(sdkErr).toBeInstanceOf(Anthropic.BadRequestError);
  });
});
