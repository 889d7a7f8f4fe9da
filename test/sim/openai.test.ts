import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longText, parseSse, withSim } from './helpers.js';

let ctx: Awaited<ReturnType<typeof withSim>>;
beforeAll(async () => {
  ctx = await withSim({ seed: 7 });
});
afterAll(async () => {
  await ctx.sim.close();
});

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'current weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'unit', 'days'],
    },
  },
};

describe('OpenAI chat completions through the official SDK', () => {
  it('answers non-streaming with usage and rate-limit headers', async () => {
    const { data, response } = await ctx.openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is a cache?' }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('gpt-4o');
    const c = data.choices[0]!;
    expect(c.message.role).toBe('assistant');
    expect(typeof c.message.content).toBe('string');
    expect(c.message.content!.length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(c.finish_reason);
    const u = data.usage!;
    expect(u.prompt_tokens).toBeGreaterThan(10);
    expect(u.completion_tokens).toBeGreaterThan(0);
    expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);
    expect(u.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(Number(response.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(0);
    expect(Number(response.headers.get('x-ratelimit-limit-requests'))).toBe(10000);
    expect(Number(response.headers.get('x-ratelimit-remaining-requests'))).toBeLessThan(10000);
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+h)?(\d+m)?[\d.]+(ms|s)$/);
    expect(response.headers.get('x-ratelimit-reset-tokens')).toMatch(/^(\d+h)?(\d+m)?[\d.]+(ms|s)$/);
  });

  it('caps output at max_completion_tokens with finish_reason length', async () => {
    const r = await ctx.openai.chat.completions.create({ model: 'gpt-4o-mini', max_completion_tokens: 5, messages: [{ role: 'user', content: 'Write an essay.' }] });
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(5);
    const legacy = await ctx.openai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 3, messages: [{ role: 'user', content: 'Write an essay.' }] });
    expect(legacy.usage!.completion_tokens).toBe(3);
  });

  it('streams chunks; include_usage adds one usage chunk with choices [] and usage null elsewhere', async () => {
    const stream = await ctx.openai.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Explain streaming.' }],
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    const finish = chunks[chunks.length - 2]!;
    expect(['stop', 'length']).toContain(finish.choices[0]!.finish_reason);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    // the same request without streaming says exactly the same thing
    const whole = await ctx.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Explain streaming.' }] });
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(last.usage!.completion_tokens).toBe(whole.usage!.completion_tokens);
    // one token per content chunk, as the API streams
    const contentChunks = chunks.filter((c) => c.choices[0]?.delta.content);
    expect(contentChunks.length).toBe(whole.usage!.completion_tokens);
  });

  it('omits the usage chunk without include_usage and ends with [DONE] on the wire', async () => {
    const r = await fetch(`${ctx.sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await r.text());
    expect(events[events.length - 1]!.data).toBe('[DONE]');
    const json = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(json.every((c) => c.choices.length === 1 && !('usage' in c))).toBe(true);
    expect(json[0].choices[0].delta.role).toBe('assistant');
    expect(json[json.length - 1].choices[0].finish_reason).toBe('length');
  });

  it('calls a named tool with arguments that follow the schema', async () => {
    const r = await ctx.openai.chat.completions.create({
      model: 'gpt-4o',
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    const c = r.choices[0]!;
    expect(c.finish_reason).toBe('tool_calls');
    expect(c.message.content).toBeNull();
    const call = c.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    expect(call.id).toMatch(/^call_/);
    if (call.type !== 'function') throw new Error('expected a function call');
    const args = JSON.parse(call.function.arguments);
    expect(typeof args.city).toBe('string');
    expect(['celsius', 'fahrenheit']).toContain(args.unit);
    expect(Number.isInteger(args.days) && args.days >= 1 && args.days <= 7).toBe(true);
  });

  it('streams tool-call deltas that the SDK reassembles', async () => {
    const stream = ctx.openai.chat.completions.stream({
      model: 'gpt-4o-mini',
      tools: [weatherTool],
      tool_choice: 'required',
      messages: [{ role: 'user', content: 'Weather?' }],
    });
    let deltas = 0;
    stream.on('chunk', (c) => {
      if (c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments) deltas++;
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
    expect(deltas).toBeGreaterThan(1);
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('with tool_choice auto, calls tools for some user turns and answers in text after a tool result', async () => {
    const kinds = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const r = await ctx.openai.chat.completions.create({ model: 'gpt-4o', tools: [weatherTool], messages: [{ role: 'user', content: `Question number ${i}?` }] });
      kinds.add(r.choices[0]!.finish_reason);
    }
    expect(kinds.has('tool_calls')).toBe(true);
    expect([...kinds].some((k) => k !== 'tool_calls')).toBe(true);
    const after = await ctx.openai.chat.completions.create({
      model: 'gpt-4o',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '21 C and sunny' },
      ],
    });
    expect(after.choices[0]!.message.tool_calls).toBeUndefined();
    expect(after.choices[0]!.message.content).toBeTruthy();
  });

  it('is deterministic for a seed and a request, and differs across seeds', async () => {
    const req = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Tell me about determinism.' }] };
    const a = await ctx.openai.chat.completions.create(req);
    const b = await ctx.openai.chat.completions.create(req);
    expect(b.choices[0]!.message.content).toBe(a.choices[0]!.message.content);
    expect(b.usage!.completion_tokens).toBe(a.usage!.completion_tokens);
    const other = await withSim({ seed: 8 });
    try {
      const c = await other.openai.chat.completions.create(req);
      expect(c.choices[0]!.message.content).not.toBe(a.choices[0]!.message.content);
    } finally {
      await other.sim.close();
    }
    const d = await ctx.openai.chat.completions.create({ ...req, messages: [{ role: 'user', content: 'Tell me about randomness.' }] });
    expect(d.choices[0]!.message.content).not.toBe(a.choices[0]!.message.content);
  });

  it('emulates automatic prompt caching: a repeated prefix >= 1024 tokens is reported cached, in 128-token steps', async () => {
    const system = longText(1500, 'cache-test');
    const first = await ctx.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'system', content: system }, { role: 'user', content: 'first question' }] });
    expect(first.usage!.prompt_tokens).toBeGreaterThan(1500);
    expect(first.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    const second = await ctx.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'system', content: system }, { role: 'user', content: 'a different question' }] });
    const cached = second.usage!.prompt_tokens_details!.cached_tokens!;
    expect(cached).toBeGreaterThanOrEqual(1024);
    expect(cached % 128).toBe(0);
    expect(cached).toBeLessThanOrEqual(second.usage!.prompt_tokens);
    // short prompts never cache; other models have their own cache
    const short = await ctx.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'short' }] });
    await ctx.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'short' }] });
    expect(short.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    const mini = await ctx.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: system }, { role: 'user', content: 'x' }] });
    expect(mini.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
  });

  it('serves gemini-2.0-flash on the Gemini OpenAI-compatible path', async () => {
    const gem = new OpenAI({ baseURL: `${ctx.sim.url}/v1beta/openai`, apiKey: 'g', maxRetries: 0 });
    const r = await gem.chat.completions.create({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.model).toBe('gemini-2.0-flash');
    await expect(gem.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('OpenAI models and embeddings', () => {
  it('lists the OpenAI-format models', async () => {
    const ids: string[] = [];
    for await (const m of ctx.openai.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o', 'gpt-4o-mini', 'gemini-2.0-flash', 'text-embedding-3-small']));
    expect(ids).not.toContain('claude-sonnet-4');
    const one = await ctx.openai.models.retrieve('gpt-4o');
    expect(one.object).toBe('model');
  });

  it('returns unit vectors through the SDK default (base64) and as floats, honouring dimensions', async () => {
    const def = await ctx.openai.embeddings.create({ model: 'text-embedding-3-small', input: 'How do I reset my password?' });
    const v = def.data[0]!.embedding;
    expect(v.length).toBe(1536);
    expect(Math.abs(Math.hypot(...v) - 1)).toBeLessThan(1e-4);
    expect(def.usage.prompt_tokens).toBeGreaterThan(3);
    const floats = await ctx.openai.embeddings.create({ model: 'text-embedding-3-small', input: 'How do I reset my password?', encoding_format: 'float' });
    floats.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(v[i]!, 6));
    const short = await ctx.openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a b c', 'How do I reset my password?'], dimensions: 256 });
    expect(short.data.map((d) => d.index)).toEqual([0, 1]);
    expect(short.data[1]!.embedding.length).toBe(256);
    expect(Math.abs(Math.hypot(...short.data[1]!.embedding) - 1)).toBeLessThan(1e-4);
  });

  it('puts paraphrases closer together than unrelated texts', async () => {
    const r = await ctx.openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['How do I reset my password?', 'How can I reset my password?', 'What is the capital of France?'],
    });
    const [a, b, c] = r.data.map((d) => d.embedding);
    const dot = (x: number[], y: number[]) => x.reduce((s, xi, i) => s + xi * y[i]!, 0);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!) + 0.2);
  });
});

describe('OpenAI errors in the provider shape', () => {
  const raw = (body: unknown, headers: Record<string, string> = { authorization: 'Bearer k' }) =>
    fetch(`${ctx.sim.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('401 without a key', async () => {
    const r = await raw({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, {});
    expect(r.status).toBe(401);
    const j = await r.json();
    expect(j.error.type).toBe('invalid_request_error');
    expect(j.error.message).toMatch(/API key/);
  });

  it('404 for an unknown model (SDK NotFoundError)', async () => {
    const e = await ctx.openai.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect(e.code).toBe('model_not_found');
    const claude = await ctx.openai.chat.completions.create({ model: 'claude-sonnet-4', messages: [{ role: 'user', content: 'x' }] }).catch((x) => x);
    expect(claude).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('400s for bad requests, naming the param', async () => {
    const cases: [unknown, string | null, string | null][] = [
      ['{not json', null, null],
      [{ model: 'gpt-4o' }, 'messages', 'missing_required_parameter'],
      [{ model: 'gpt-4o', messages: 'hi' }, 'messages', 'invalid_type'],
      [{ model: 'gpt-4o', messages: [] }, 'messages', 'empty_array'],
      [{ model: 'gpt-4o', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
      [{ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }, 'max_tokens', 'integer_below_min_value'],
      [{ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], stream_options: { include_usage: true } }, 'stream_options', null],
    ];
    for (const [body, param, code] of cases) {
      const r = await raw(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      const j = await r.json();
      expect(j.error.type).toBe('invalid_request_error');
      expect(j.error.param).toBe(param);
      expect(j.error.code).toBe(code);
      expect(typeof j.error.message).toBe('string');
    }
    const e = await ctx.openai.chat.completions.create({ model: 'gpt-4o', messages: [] }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
  });
});
