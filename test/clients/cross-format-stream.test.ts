// Streaming an OpenAI model to an Anthropic client: message_start carries the input tokens, counted
// before the first event (OpenAI's usage comes only at the end), and message_delta the upstream's.

import Anthropic from '@anthropic-ai/sdk';
import { ChatAnthropic } from '@langchain/anthropic';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  h = await startHarness();
  anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: 'demo', maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});

const system = 'Answer briefly.';
const question = 'Why is the sky blue? Explain it to a child.';

/** what OpenAI itself bills for the same prompt */
async function openaiPromptTokens(): Promise<number> {
  const c = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'system', content: system }, { role: 'user', content: question }], max_tokens: 5 });
  return c.usage!.prompt_tokens;
}

describe('an OpenAI model streamed to an Anthropic client', () => {
  it('@anthropic-ai/sdk: message_start has the real input_tokens, the final message the same', async () => {
    const expected = await openaiPromptTokens();
    const stream = anthropic.messages.stream({ model: 'gpt-4o', max_tokens: 200, system, messages: [{ role: 'user', content: question }] });
    let startInput: number | undefined;
    for await (const ev of stream) if (ev.type === 'message_start') startInput = ev.message.usage.input_tokens;
    const final = await stream.finalMessage();
    expect(startInput).toBe(expected);
    expect(final.usage.input_tokens).toBe(expected);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it("LangChain's ChatAnthropic: usage_metadata.input_tokens is not 0", async () => {
    const expected = await openaiPromptTokens();
    const llm = new ChatAnthropic({ model: 'gpt-4o', apiKey: 'demo', anthropicApiUrl: h.gw.url, maxTokens: 200, streaming: true, maxRetries: 0 });
    let input: number | undefined;
    let output = 0;
    for await (const chunk of await llm.stream([
      ['system', system],
      ['human', question],
    ])) {
      if (chunk.usage_metadata) {
        input = (input ?? 0) + chunk.usage_metadata.input_tokens;
        output += chunk.usage_metadata.output_tokens;
      }
    }
    expect(input).toBe(expected);
    expect(output).toBeGreaterThan(0);
  });
});
