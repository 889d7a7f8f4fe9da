// The README's client snippets, read from README.md and run as written against a gateway in front
// of the simulator (only the demo's address is swapped for the test gateway's).

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../gateway/helpers.js';
import { readmeSnippet, runSnippet } from './readme-snippets.js';

let h: Harness;
const load = (spec: string) => import(spec);

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('README first screen', () => {
  it('the OpenAI and Anthropic clients, as written, reach the gateway', async () => {
    const { openai, anthropic } = (await runSnippet(readmeSnippet('first-screen'), h.gw.url, load, { OpenAI, Anthropic })) as {
      openai: OpenAI;
      anthropic: Anthropic;
    };
    expect(openai).toBeInstanceOf(OpenAI);
    const c = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(c.choices[0]!.message.content!.length).toBeGreaterThan(0);
    const m = await anthropic.messages.create({ model: 'claude-3-5-haiku', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    expect(m.content[0]!.type).toBe('text');
  });
});

describe('README client libraries', () => {
  it('openai', async () => {
    const { completion } = (await runSnippet(readmeSnippet('openai'), h.gw.url, load)) as { completion: OpenAI.ChatCompletion };
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it('@anthropic-ai/sdk', async () => {
    const { message } = (await runSnippet(readmeSnippet('anthropic'), h.gw.url, load)) as { message: Anthropic.Message };
    expect(message.type).toBe('message');
    expect(message.usage.input_tokens).toBeGreaterThan(0);
  });

  it('@langchain/openai', async () => {
    const { reply } = (await runSnippet(readmeSnippet('langchain-openai'), h.gw.url, load)) as { reply: { content: string; usage_metadata?: { input_tokens: number } } };
    expect(typeof reply.content).toBe('string');
    expect(reply.content.length).toBeGreaterThan(0);
    expect(reply.usage_metadata!.input_tokens).toBeGreaterThan(0);
  });

  it('@langchain/anthropic', async () => {
    const { reply } = (await runSnippet(readmeSnippet('langchain-anthropic'), h.gw.url, load)) as { reply: { content: unknown; usage_metadata?: { input_tokens: number } } };
    expect(reply.content).toBeTruthy();
    expect(reply.usage_metadata!.input_tokens).toBeGreaterThan(0);
  });

  it('@ai-sdk/openai (chat model)', async () => {
    const { text } = (await runSnippet(readmeSnippet('ai-sdk-openai'), h.gw.url, load)) as { text: string };
    expect(text.length).toBeGreaterThan(0);
  });

  it('@ai-sdk/anthropic (base URL with /v1)', async () => {
    const { text } = (await runSnippet(readmeSnippet('ai-sdk-anthropic'), h.gw.url, load)) as { text: string };
    expect(text.length).toBeGreaterThan(0);
  });
});
