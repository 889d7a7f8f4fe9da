// What clients use today, through the gateway in front of the simulator, each with the SDK or
// framework that consumes it: structured output (openai's parse with zod, LangChain's
// withStructuredOutput, the AI SDK's generateObject), n > 1, logprobs, a reasoning model's
// reasoning_effort (priced as output), Anthropic extended thinking streamed with its signatures.

import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { ChatAnthropic } from '@langchain/anthropic';
import { ChatOpenAI } from '@langchain/openai';
import { generateObject } from 'ai';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RequestRecord } from '../../src/ledger/record.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  // the exact cache on (any temperature): a cache hit is the path where the gateway renders an Anthropic stream itself
  h = await startHarness({ cache: { eligible: { maxTemperature: null } } });
  openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: 'demo', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});

const Recipe = z.object({
  title: z.string(),
  servings: z.number().int().min(1).max(12),
  ingredients: z.array(z.object({ name: z.string(), grams: z.number().min(0) })),
  vegetarian: z.boolean(),
  difficulty: z.enum(['easy', 'medium', 'hard']),
});

const recordOf = async (id: string) => (await openai.get(`/tollgate/requests/${id}`)) as RequestRecord;

describe('structured output', () => {
  it('openai chat.completions.parse with zod', async () => {
    const c = await openai.chat.completions.parse({ model: 'gpt-4o', messages: [{ role: 'user', content: 'A pancake recipe.' }], response_format: zodResponseFormat(Recipe, 'recipe') });
    expect(Recipe.safeParse(c.choices[0]!.message.parsed).success).toBe(true);
  });

  it("LangChain's withStructuredOutput (ChatOpenAI and ChatAnthropic)", async () => {
    const llm = new ChatOpenAI({ model: 'gpt-4o', apiKey: 'demo', configuration: { baseURL: `${h.gw.url}/v1` }, maxRetries: 0 });
    const out = await llm.withStructuredOutput(Recipe, { name: 'recipe' }).invoke('A pancake recipe.');
    expect(Recipe.safeParse(out).success).toBe(true);
    const claude = new ChatAnthropic({ model: 'claude-sonnet-4', apiKey: 'demo', anthropicApiUrl: h.gw.url, maxRetries: 0 });
    const out2 = await claude.withStructuredOutput(Recipe, { name: 'recipe' }).invoke('A pancake recipe.');
    expect(Recipe.safeParse(out2).success).toBe(true);
  });

  it('an OpenAI client asking a Claude model for json_schema, an Anthropic client asking an OpenAI model for output_config.format', async () => {
    const c = await openai.chat.completions.parse({ model: 'claude-sonnet-4', messages: [{ role: 'user', content: 'A pancake recipe.' }], response_format: zodResponseFormat(Recipe, 'recipe') });
    expect(Recipe.safeParse(c.choices[0]!.message.parsed).success).toBe(true);
    const schema = zodResponseFormat(Recipe, 'recipe').json_schema.schema!;
    const m = (await anthropic.messages.create({ model: 'gpt-4o', max_tokens: 2000, messages: [{ role: 'user', content: 'A pancake recipe.' }], output_config: { format: { type: 'json_schema', schema } } } as Anthropic.MessageCreateParamsNonStreaming)) as Anthropic.Message;
    const text = m.content.find((b) => b.type === 'text') as Anthropic.TextBlock;
    expect(Recipe.safeParse(JSON.parse(text.text)).success).toBe(true);
  });

  it("the AI SDK's generateObject with @ai-sdk/openai's chat model and with @ai-sdk/anthropic", async () => {
    const oai = createOpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo' });
    const { object } = await generateObject({ model: oai.chat('gpt-4o'), schema: Recipe, prompt: 'A pancake recipe.', maxRetries: 0 });
    expect(Recipe.safeParse(object).success).toBe(true);
    const ant = createAnthropic({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo' });
    // Anthropic's structured outputs take no numeric bounds: @ai-sdk/anthropic drops them from the
    // schema it sends and checks them itself, so a model may break them; this schema has none
    const Plain = Recipe.extend({ servings: z.number().int(), ingredients: z.array(z.object({ name: z.string(), grams: z.number() })) });
    const { object: o2 } = await generateObject({ model: ant('claude-sonnet-4'), schema: Plain, prompt: 'A pancake recipe.', maxRetries: 0, maxOutputTokens: 2000 });
    expect(Plain.safeParse(o2).success).toBe(true);
  });
});

describe('n, logprobs, reasoning', () => {
  it('n: 2 — two choices, the ledger bills the completion tokens of both', async () => {
    const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Two names for a boat.' }], n: 2 }).withResponse();
    expect(data.choices).toHaveLength(2);
    const rec = await recordOf(response.headers.get('x-tollgate-request-id')!);
    expect(rec.usage.output).toBe(data.usage!.completion_tokens);
    const s = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Two names for a boat.' }], n: 2, stream: true });
    const seen = new Set<number>();
    for await (const chunk of s) for (const c of chunk.choices) seen.add(c.index);
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('logprobs and top_logprobs', async () => {
    const c = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'One word.' }], logprobs: true, top_logprobs: 2 });
    const lp = c.choices[0]!.logprobs!.content!;
    expect(lp.map((e) => e.token).join('')).toBe(c.choices[0]!.message.content);
    expect(lp.every((e) => e.top_logprobs.length === 2)).toBe(true);
  });

  it('reasoning_effort passed through; reasoning tokens recorded and priced as output', async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: 'o4-mini', messages: [{ role: 'user', content: 'Why is the sum of two odd numbers even?' }], reasoning_effort: 'high' })
      .withResponse();
    const reasoning = data.usage!.completion_tokens_details!.reasoning_tokens!;
    expect(reasoning).toBeGreaterThan(0);
    const rec = await recordOf(response.headers.get('x-tollgate-request-id')!);
    expect(rec.usage.reasoning).toBe(reasoning);
    expect(rec.usage.output).toBe(data.usage!.completion_tokens);
    // o4-mini list price: $1.10 / 1M input, $4.40 / 1M output; reasoning is output, counted once
    expect(rec.costUsd).toBeCloseTo((data.usage!.prompt_tokens * 1.1 + data.usage!.completion_tokens * 4.4) / 1e6, 12);
    const sent = (await (await fetch(`${h.sim.url}/_sim/requests`)).json()) as { requests: { body: string }[] };
    expect(JSON.parse(sent.requests.at(-1)!.body).reasoning_effort).toBe('high');
  });
});

describe('Anthropic extended thinking through the gateway', () => {
  const params = { model: 'claude-sonnet-4', max_tokens: 3000, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, messages: [{ role: 'user' as const, content: 'Is 221 prime?' }] };

  it('streamed with @anthropic-ai/sdk: thinking and its signature intact, accepted on the next turn; thinking tokens billed as output', async () => {
    const stream = anthropic.messages.stream(params);
    let signature = '';
    stream.on('signature', (s) => (signature = s));
    const { response } = await stream.withResponse();
    const final = await stream.finalMessage();
    const thinking = final.content[0] as Anthropic.ThinkingBlock;
    expect(thinking.type).toBe('thinking');
    expect(thinking.signature).toBe(signature);
    // the simulator verifies the signature like Anthropic does: an altered one would be a 400
    const next = await anthropic.messages.create({ ...params, messages: [...params.messages, { role: 'assistant', content: final.content }, { role: 'user', content: 'And 223?' }] });
    expect(next.type).toBe('message');
    const rec = await recordOf(response.headers.get('x-tollgate-request-id')!);
    expect(rec.usage.output).toBe(final.usage.output_tokens);
  });

  it('a cache hit re-rendered by the gateway keeps the signature (streamed and not)', async () => {
    const p = { ...params, messages: [{ role: 'user' as const, content: 'Is 391 prime?' }] };
    const first = await anthropic.messages.create(p);
    const { data: hit, response } = await anthropic.messages.create(p).withResponse();
    expect(response.headers.get('x-tollgate-cache')).toMatch(/hit/);
    expect(hit.content).toEqual(first.content);
    const stream = anthropic.messages.stream(p);
    const streamed = await stream.finalMessage();
    expect(streamed.content).toEqual(first.content);
    const next = await anthropic.messages.create({ ...p, messages: [...p.messages, { role: 'assistant', content: streamed.content }, { role: 'user', content: 'Sure?' }] });
    expect(next.type).toBe('message');
  });
});
