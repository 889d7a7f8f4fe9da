// The rest of the README's compatibility table: text, streaming, tools, images and embeddings with
// LangChain.js and the AI SDK, images with the official SDKs, and reading a request's cost from
// the AI SDK (its response headers, then GET /v1/tollgate/requests/{id}).

import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { ChatAnthropic } from '@langchain/anthropic';
import { HumanMessage } from '@langchain/core/messages';
import { tool as lcTool } from '@langchain/core/tools';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { embed, generateText, jsonSchema, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RequestRecord } from '../../src/ledger/record.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
// a 1x1 PNG
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const PNG_URL = `data:image/png;base64,${PNG_B64}`;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const received = async () => ((await (await fetch(`${h.sim.url}/_sim/requests`)).json()) as { requests: { path: string; body: string }[] }).requests;

describe('images with the official SDKs', () => {
  it('openai: an image_url part, to an OpenAI and to an Anthropic model', async () => {
    const openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo', maxRetries: 0 });
    for (const model of ['gpt-4o', 'claude-sonnet-4']) {
      const c = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: PNG_URL } }] }] });
      expect(c.choices[0]!.message.content!.length).toBeGreaterThan(0);
    }
    const sent = JSON.parse((await received()).filter((r) => r.path === '/v1/messages').at(-1)!.body);
    expect(sent.messages[0].content[1]).toEqual({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } });
  });

  it('@anthropic-ai/sdk: a base64 image block, to an Anthropic and to an OpenAI model', async () => {
    const anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: 'demo', maxRetries: 0 });
    for (const model of ['claude-sonnet-4', 'gpt-4o']) {
      const m = await anthropic.messages.create({
        model,
        max_tokens: 100,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } }, { type: 'text', text: 'What is this?' }] }],
      });
      expect(m.content.length).toBeGreaterThan(0);
    }
    const sent = JSON.parse((await received()).filter((r) => r.path === '/v1/chat/completions').at(-1)!.body);
    expect(sent.messages[0].content[0]).toEqual({ type: 'image_url', image_url: { url: PNG_URL } });
  });
});

describe('LangChain.js', () => {
  const openaiLlm = () => new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'demo', configuration: { baseURL: `${h.gw.url}/v1` }, maxRetries: 0 });
  const claudeLlm = () => new ChatAnthropic({ model: 'claude-3-5-haiku', apiKey: 'demo', anthropicApiUrl: h.gw.url, maxRetries: 0 });

  it('text and streaming (ChatOpenAI, ChatAnthropic), with usage', async () => {
    for (const llm of [openaiLlm(), claudeLlm()]) {
      const r = await llm.invoke('Hello');
      expect(String(r.content).length).toBeGreaterThan(0);
      let text = '';
      for await (const chunk of await llm.stream('Hello')) text += typeof chunk.content === 'string' ? chunk.content : '';
      expect(text.length).toBeGreaterThan(0);
    }
  });

  it('tools: bindTools, the model calls the tool with arguments of its schema', async () => {
    const weather = lcTool(async ({ city }) => `sunny in ${city}`, { name: 'get_weather', description: 'Weather for a city', schema: z.object({ city: z.string() }) });
    for (const llm of [openaiLlm(), claudeLlm()]) {
      const r = await llm.bindTools([weather], { tool_choice: 'get_weather' }).invoke('Weather in Paris?');
      expect(r.tool_calls![0]!.name).toBe('get_weather');
      expect(typeof r.tool_calls![0]!.args.city).toBe('string');
    }
  });

  it('images in a HumanMessage', async () => {
    for (const llm of [openaiLlm(), claudeLlm()]) {
      const r = await llm.invoke([new HumanMessage({ content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: PNG_URL } }] })]);
      expect(String(r.content).length).toBeGreaterThan(0);
    }
  });

  it('thinking: ChatAnthropic with thinking enabled gets the thinking block and its signature', async () => {
    const llm = new ChatAnthropic({ model: 'claude-sonnet-4', apiKey: 'demo', anthropicApiUrl: h.gw.url, maxRetries: 0, maxTokens: 3000, thinking: { type: 'enabled', budget_tokens: 1024 } });
    const r = await llm.invoke('Is 221 prime?');
    const blocks = r.content as { type: string; thinking?: string; signature?: string }[];
    expect(blocks[0]!.type).toBe('thinking');
    expect(blocks[0]!.signature!.length).toBeGreaterThan(20);
  });

  it('embeddings: OpenAIEmbeddings', async () => {
    const emb = new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey: 'demo', configuration: { baseURL: `${h.gw.url}/v1` }, maxRetries: 0 });
    const v = await emb.embedQuery('toll roads');
    expect(v).toHaveLength(1536);
    expect((await emb.embedDocuments(['a', 'b'])).length).toBe(2);
  });

  it('n and logprobs with ChatOpenAI', async () => {
    const llm = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'demo', configuration: { baseURL: `${h.gw.url}/v1` }, maxRetries: 0, logprobs: true, topLogprobs: 2 });
    const r = await llm.invoke('Hello');
    expect((r.response_metadata.logprobs as { content: unknown[] }).content.length).toBeGreaterThan(0);
    const two = await new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'demo', configuration: { baseURL: `${h.gw.url}/v1` }, maxRetries: 0, n: 2 }).generate([[new HumanMessage('Hello')]]);
    expect(two.generations[0]).toHaveLength(2);
  });
});

describe('the AI SDK', () => {
  const oai = () => createOpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo' });
  const ant = () => createAnthropic({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo' });

  it('generateText and streamText, with @ai-sdk/openai (chat) and @ai-sdk/anthropic', async () => {
    for (const model of [oai().chat('gpt-4o-mini'), ant()('claude-3-5-haiku')]) {
      const r = await generateText({ model, prompt: 'Hello', maxRetries: 0, maxOutputTokens: 200 });
      expect(r.text.length).toBeGreaterThan(0);
      expect(r.usage.inputTokens).toBeGreaterThan(0);
      const s = streamText({ model, prompt: 'Hello', maxRetries: 0, maxOutputTokens: 200 });
      let text = '';
      for await (const t of s.textStream) text += t;
      expect(text.length).toBeGreaterThan(0);
      expect((await s.usage).outputTokens).toBeGreaterThan(0);
    }
  });

  it('tools: the model calls the tool with arguments of its schema', async () => {
    for (const model of [oai().chat('gpt-4o'), ant()('claude-sonnet-4')]) {
      const r = await generateText({
        model,
        prompt: 'Weather in Paris?',
        maxRetries: 0,
        maxOutputTokens: 500,
        tools: { get_weather: tool({ description: 'Weather for a city', inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }) }) },
        toolChoice: { type: 'tool', toolName: 'get_weather' },
      });
      expect(r.toolCalls[0]!.toolName).toBe('get_weather');
      expect(typeof (r.toolCalls[0]!.input as { city: string }).city).toBe('string');
    }
  });

  it('images', async () => {
    for (const model of [oai().chat('gpt-4o'), ant()('claude-sonnet-4')]) {
      const r = await generateText({ model, maxRetries: 0, maxOutputTokens: 200, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', image: Buffer.from(PNG_B64, 'base64'), mediaType: 'image/png' }] }] });
      expect(r.text.length).toBeGreaterThan(0);
    }
  });

  it('thinking with @ai-sdk/anthropic, reasoning_effort and logprobs with @ai-sdk/openai', async () => {
    const r = await generateText({
      model: ant()('claude-sonnet-4'),
      prompt: 'Is 221 prime?',
      maxRetries: 0,
      maxOutputTokens: 3000,
      providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } } },
    });
    expect(r.reasoningText!.length).toBeGreaterThan(0);
    const o = await generateText({ model: oai().chat('o4-mini'), prompt: 'Why?', maxRetries: 0, providerOptions: { openai: { reasoningEffort: 'high' } } });
    expect(o.usage.reasoningTokens).toBeGreaterThan(0);
    const lp = await generateText({ model: oai().chat('gpt-4o'), prompt: 'Hello', maxRetries: 0, providerOptions: { openai: { logprobs: 2 } } });
    expect((lp.providerMetadata!.openai!.logprobs as unknown[]).length).toBeGreaterThan(0);
  });

  it('embeddings: embed with openai.embedding', async () => {
    const { embedding } = await embed({ model: oai().embedding('text-embedding-3-small'), value: 'toll roads', maxRetries: 0 });
    expect(embedding).toHaveLength(1536);
  });

  it('cost readable: the request id from the response headers, then its record', async () => {
    const s = streamText({ model: oai().chat('gpt-4o-mini'), prompt: 'Hello', maxRetries: 0 });
    for await (const _ of s.textStream) void _;
    const id = (await s.response).headers!['x-tollgate-request-id']!;
    const r = await fetch(`${h.gw.url}/v1/tollgate/requests/${id}`, { headers: { authorization: 'Bearer demo' } });
    const rec = (await r.json()) as RequestRecord;
    expect(rec.costUsd).toBeGreaterThan(0);
    expect(rec.usage.output).toBe((await s.usage).outputTokens);
  });
});
