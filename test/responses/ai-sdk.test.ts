// The Vercel AI SDK's default OpenAI model (`openai(model)` speaks the Responses API) through the
// gateway: generateText, streamText, tools over several steps, on an OpenAI and an Anthropic model.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAI } from '@ai-sdk/openai';
import { generateObject, generateText, Output, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { readLedger } from '../../src/ledger/read.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
let openai: ReturnType<typeof createOpenAI>;
const seen: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  // records which endpoint each call went to, so the test knows the Responses API was used
  const recordingFetch: typeof fetch = async (input, init) => {
    seen.push(new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url).pathname);
    return fetch(input, init);
  };
  openai = createOpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo-key', fetch: recordingFetch });
});
afterAll(async () => {
  await h?.close();
});

describe.each(['gpt-4o', 'claude-sonnet-4'])('AI SDK openai(%s)', (model) => {
  it('generateText goes to /v1/responses and gets text and usage', async () => {
    seen.length = 0;
    const r = await generateText({ model: openai(model), prompt: 'Say something about bridges.', maxRetries: 0 });
    expect(seen).toEqual(['/v1/responses']);
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.finishReason).toBe('stop');
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    expect(r.response.id).toMatch(/^resp_/);
    await h.gw.ledger.flush();
    const rec = readLedger(h.dataDir, { last: 50 }).find((x) => x.endpoint === '/v1/responses' && x.requestedModel === model && x.usage.output === r.usage.outputTokens);
    expect(rec?.costUsd).toBeGreaterThan(0);
  });

  it('streamText streams the text and finishes with usage', async () => {
    seen.length = 0;
    const r = streamText({ model: openai(model), prompt: 'Tell me about rivers.', maxRetries: 0 });
    let text = '';
    for await (const piece of r.textStream) text += piece;
    expect(seen).toEqual(['/v1/responses']);
    expect(text.length).toBeGreaterThan(0);
    expect(await r.text).toBe(text);
    expect(await r.finishReason).toBe('stop');
    expect((await r.usage).outputTokens).toBeGreaterThan(0);
  });

  it('tools over two steps: the call, its result, then the answer', async () => {
    const r = await generateText({
      model: openai(model),
      prompt: 'What is the weather in Paris?',
      tools: {
        get_weather: tool({
          description: 'Current weather for a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => ({ city, temperature: 21 }),
        }),
      },
      toolChoice: 'required',
      prepareStep: ({ stepNumber }) => (stepNumber > 0 ? { toolChoice: 'none' } : {}),
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    });
    expect(r.steps).toHaveLength(2);
    expect(r.steps[0]!.toolCalls[0]!.toolName).toBe('get_weather');
    expect(r.steps[0]!.toolResults[0]!.output).toMatchObject({ temperature: 21 });
    expect(r.text.length).toBeGreaterThan(0);
  });
});

describe('AI SDK structured output over the Responses API (text.format json_schema)', () => {
  const city = z.object({ name: z.string(), population: z.number().int(), coastal: z.boolean() });
  it('generateObject on gpt-4o: a value that satisfies the zod schema', async () => {
    seen.length = 0;
    const r = await generateObject({ model: openai('gpt-4o'), schema: city, prompt: 'Describe Lisbon.', maxRetries: 0 });
    expect(seen).toEqual(['/v1/responses']);
    expect(city.safeParse(r.object).success).toBe(true);
  });
  it('generateText with Output.object on gpt-4o', async () => {
    const r = await generateText({ model: openai('gpt-4o'), output: Output.object({ schema: city }), prompt: 'Describe Porto.', maxRetries: 0 });
    expect(city.safeParse(r.output).success).toBe(true);
  });
});
