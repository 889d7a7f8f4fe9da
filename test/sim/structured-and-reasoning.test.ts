// The simulator's newer behaviours, each consumed by the official SDK that uses it: structured
// output (checked with ajv against the schema), tool arguments against their schemas, logprobs,
// n > 1, reasoning models, service tiers, Anthropic extended thinking with signatures.

import Anthropic from '@anthropic-ai/sdk';
import { Ajv } from 'ajv';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sampleFromSchema } from '../../src/sim/json-schema-sample.js';
import { Rng } from '../../src/sim/random.js';
import { withSim } from './helpers.js';

let env: Awaited<ReturnType<typeof withSim>>;
beforeAll(async () => {
  env = await withSim();
});
afterAll(async () => {
  await env?.sim.close();
});

const ajv = new Ajv({ strict: false, validateFormats: false });

const SCHEMAS: Record<string, Record<string, unknown>> = {
  nested: {
    type: 'object',
    properties: {
      title: { type: 'string', minLength: 12, maxLength: 40 },
      rating: { type: 'integer', minimum: 1, maximum: 5 },
      score: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      step: { type: 'number', multipleOf: 0.25, minimum: 2, maximum: 3 },
      tags: { type: 'array', items: { type: 'string', enum: ['a', 'b', 'c'] }, minItems: 2, maxItems: 2 },
      author: { type: 'object', properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } }, required: ['name', 'email'], additionalProperties: false },
      note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      kind: { const: 'review' },
    },
    required: ['title', 'rating', 'score', 'step', 'tags', 'author', 'note', 'kind'],
    additionalProperties: false,
  },
  refs: {
    $defs: { item: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } }, required: ['sku', 'qty'], additionalProperties: false } },
    type: 'object',
    properties: { items: { type: 'array', items: { $ref: '#/$defs/item' }, minItems: 1 }, total: { type: ['number', 'null'] } },
    required: ['items', 'total'],
    additionalProperties: false,
  },
  allOf: {
    allOf: [
      { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] },
      { type: 'object', properties: { when: { type: 'string', format: 'date-time' } }, required: ['when'] },
    ],
  },
  recursive: {
    $defs: { node: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['label', 'children'], additionalProperties: false } },
    $ref: '#/$defs/node',
  },
};

describe('sampleFromSchema', () => {
  it.each(Object.keys(SCHEMAS))('%s: 200 seeded draws all validate', (name) => {
    const validate = ajv.compile(SCHEMAS[name]!);
    for (let seed = 1; seed <= 200; seed++) {
      const v = sampleFromSchema(SCHEMAS[name], new Rng(seed));
      expect(validate(v), `${name} seed ${seed}: ${JSON.stringify(v)} ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });
});

describe('structured output (OpenAI)', () => {
  it('json_schema: the content validates against the schema, for every schema', async () => {
    for (const [name, schema] of Object.entries(SCHEMAS)) {
      const c = await env.openai.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: `Give me a ${name} object.` }],
        response_format: { type: 'json_schema', json_schema: { name, schema, strict: true } },
      });
      const v = JSON.parse(c.choices[0]!.message.content!);
      expect(ajv.validate(schema, v), `${name}: ${ajv.errorsText()}`).toBe(true);
      expect(c.usage!.completion_tokens).toBeGreaterThan(0);
    }
  });

  it('chat.completions.parse with zod: parsed and typed', async () => {
    const Event = z.object({ name: z.string(), date: z.string(), participants: z.array(z.string()), priority: z.enum(['low', 'high']), budget: z.number().nullable() });
    const c = await env.openai.chat.completions.parse({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Alice and Bob are going to a science fair on Friday.' }],
      response_format: zodResponseFormat(Event, 'event'),
    });
    const parsed = c.choices[0]!.message.parsed!;
    expect(Event.safeParse(parsed).success).toBe(true);
    expect(['low', 'high']).toContain(parsed.priority);
  });

  it('json_object: valid JSON, streamed too', async () => {
    const c = await env.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Answer in JSON.' }], response_format: { type: 'json_object' } });
    expect(typeof JSON.parse(c.choices[0]!.message.content!)).toBe('object');
    const s = await env.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Answer in JSON.' }], response_format: { type: 'json_object' }, stream: true });
    let text = '';
    for await (const ch of s) text += ch.choices[0]?.delta?.content ?? '';
    expect(text).toBe(c.choices[0]!.message.content);
  });

  it('tool call arguments validate against the tool schema', async () => {
    for (const [name, schema] of Object.entries(SCHEMAS)) {
      const c = await env.openai.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: `Call ${name}.` }],
        tools: [{ type: 'function', function: { name: `make_${name}`, parameters: schema } }],
        tool_choice: 'required',
      });
      const call = c.choices[0]!.message.tool_calls![0]!;
      expect(call.type === 'function' && ajv.validate(schema, JSON.parse(call.function.arguments)), `${name}: ${ajv.errorsText()}`).toBe(true);
    }
    const m = await env.anthropic.messages.create({
      model: 'claude-sonnet-4',
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Order.' }],
      tools: [{ name: 'order', input_schema: SCHEMAS.refs as Anthropic.Tool.InputSchema }],
      tool_choice: { type: 'tool', name: 'order' },
    });
    const use = m.content.find((b) => b.type === 'tool_use')!;
    expect(use.type === 'tool_use' && ajv.validate(SCHEMAS.refs!, use.input)).toBe(true);
  });

  it('a bad response_format is a 400 in OpenAI format', async () => {
    await expect(
      env.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema', json_schema: { name: 'bad name!' } } }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('logprobs, n, reasoning, service tiers (OpenAI)', () => {
  it('logprobs with top_logprobs: one entry per token, the tokens spell the content, probabilities sum to at most 1', async () => {
    const c = await env.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say something.' }], logprobs: true, top_logprobs: 3 });
    const ch = c.choices[0]!;
    const entries = ch.logprobs!.content!;
    expect(entries.map((e) => e.token).join('')).toBe(ch.message.content);
    expect(entries.length).toBe(c.usage!.completion_tokens);
    for (const e of entries) {
      expect(e.logprob).toBeLessThanOrEqual(0);
      expect(e.top_logprobs).toHaveLength(3);
      expect(e.top_logprobs[0]!.token).toBe(e.token);
      expect(e.top_logprobs.reduce((s, t) => s + Math.exp(t.logprob), 0)).toBeLessThanOrEqual(1 + 1e-9);
    }
    // streamed: each content chunk carries its token's entry
    const s = await env.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say something.' }], logprobs: true, top_logprobs: 3, stream: true });
    const streamed: string[] = [];
    for await (const chunk of s) for (const e of chunk.choices[0]?.logprobs?.content ?? []) streamed.push(e.token);
    expect(streamed.join('')).toBe(ch.message.content);
    await expect(env.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], top_logprobs: 2 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('n: 2 gives two different choices, usage counts both; streamed with choice indexes', async () => {
    const params = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Suggest a name for a cat.' }] };
    const one = await env.openai.chat.completions.create(params);
    // logprobs give each choice's own token count
    const two = await env.openai.chat.completions.create({ ...params, n: 2, logprobs: true });
    expect(two.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(two.choices[1]!.message.content).not.toBe(two.choices[0]!.message.content);
    expect(two.usage!.prompt_tokens).toBe(one.usage!.prompt_tokens);
    expect(two.usage!.completion_tokens).toBe(two.choices.reduce((n, c) => n + c.logprobs!.content!.length, 0));
    const s = await env.openai.chat.completions.create({ ...params, n: 2, logprobs: true, stream: true, stream_options: { include_usage: true } });
    const texts = ['', ''];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of s) {
      for (const c of chunk.choices) texts[c.index] += c.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(texts).toEqual(two.choices.map((c) => c.message.content));
    expect(usage!.completion_tokens).toBe(two.usage!.completion_tokens);
    await expect(env.openai.chat.completions.create({ ...params, n: 0 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('a reasoning model: reasoning_effort accepted, reasoning tokens in completion_tokens_details and in completion_tokens', async () => {
    const c = await env.openai.chat.completions.create({ model: 'o4-mini', messages: [{ role: 'user', content: 'Prove there are infinitely many primes.' }], reasoning_effort: 'high' });
    const r = c.usage!.completion_tokens_details!.reasoning_tokens!;
    expect(r).toBeGreaterThan(0);
    const visible = c.choices[0]!.message.content!;
    expect(c.usage!.completion_tokens).toBeGreaterThan(r);
    expect(visible.length).toBeGreaterThan(0);
    const low = await env.openai.chat.completions.create({ model: 'o4-mini', messages: [{ role: 'user', content: 'Prove there are infinitely many primes.' }], reasoning_effort: 'minimal' });
    expect(low.usage!.completion_tokens_details!.reasoning_tokens!).toBeLessThan(r);
    await expect(env.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'low' })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(env.openai.chat.completions.create({ model: 'o4-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: 10 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('service_tier: the tier asked for is the tier reported (auto reports default)', async () => {
    const flex = await env.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], service_tier: 'flex' });
    expect(flex.service_tier).toBe('flex');
    const auto = await env.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], service_tier: 'auto' });
    expect(auto.service_tier).toBe('default');
    const m = await env.anthropic.messages.create({ model: 'claude-3-5-haiku', max_tokens: 50, messages: [{ role: 'user', content: 'x' }], service_tier: 'standard_only' });
    expect(m.usage.service_tier).toBe('standard');
  });
});

describe('Anthropic extended thinking', () => {
  const params = { model: 'claude-sonnet-4', max_tokens: 4000, thinking: { type: 'enabled' as const, budget_tokens: 2048 }, messages: [{ role: 'user' as const, content: 'Is 1001 prime?' }] };

  it('a thinking block with a signature comes first; its tokens are counted as output', async () => {
    const m = await env.anthropic.messages.create(params);
    expect(m.content[0]!.type).toBe('thinking');
    const t = m.content[0] as Anthropic.ThinkingBlock;
    expect(t.thinking.length).toBeGreaterThan(0);
    expect(t.signature.length).toBeGreaterThan(20);
    expect(m.content.some((b) => b.type === 'text')).toBe(true);
    const plain = await env.anthropic.messages.create({ ...params, thinking: { type: 'disabled' } });
    expect(plain.content.some((b) => b.type === 'thinking')).toBe(false);
    expect(m.usage.output_tokens).toBeGreaterThan(t.thinking.split(' ').length);
  });

  it('streamed with the SDK: thinking_delta then signature_delta, the same blocks as unstreamed', async () => {
    const whole = await env.anthropic.messages.create(params);
    const stream = env.anthropic.messages.stream(params);
    const kinds: string[] = [];
    let thinking = '';
    let signature = '';
    stream.on('thinking', (delta) => (thinking += delta));
    stream.on('signature', (s) => (signature = s));
    for await (const ev of stream) if (ev.type === 'content_block_delta') kinds.push(ev.delta.type);
    const final = await stream.finalMessage();
    expect(kinds.indexOf('thinking_delta')).toBeLessThan(kinds.indexOf('signature_delta'));
    expect(kinds.indexOf('signature_delta')).toBeLessThan(kinds.indexOf('text_delta'));
    expect(final.content).toEqual(whole.content);
    expect(thinking).toBe((whole.content[0] as Anthropic.ThinkingBlock).thinking);
    expect(signature).toBe((whole.content[0] as Anthropic.ThinkingBlock).signature);
  });

  it('the next turn with the thinking block is accepted; a tampered signature or thinking is a 400', async () => {
    const m = await env.anthropic.messages.create(params);
    const next = (content: Anthropic.ContentBlockParam[]) =>
      env.anthropic.messages.create({ ...params, messages: [...params.messages, { role: 'assistant', content }, { role: 'user', content: 'And 1003?' }] });
    const blocks = m.content as Anthropic.ContentBlockParam[];
    expect((await next(blocks)).type).toBe('message');
    const t = m.content[0] as Anthropic.ThinkingBlock;
    await expect(next([{ ...t, signature: t.signature.slice(0, -4) + 'AAAA' }, ...blocks.slice(1)])).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(next([{ ...t, thinking: t.thinking + ' ' }, ...blocks.slice(1)])).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('the API rules: budget >= 1024, max_tokens > budget, a model without thinking', async () => {
    await expect(env.anthropic.messages.create({ ...params, thinking: { type: 'enabled', budget_tokens: 500 } })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(env.anthropic.messages.create({ ...params, max_tokens: 2048 })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(env.anthropic.messages.create({ ...params, model: 'claude-3-5-haiku' })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });
});
