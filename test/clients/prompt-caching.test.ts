// Prompt caching across translation: cache_control breakpoints (5m and 1h) that an OpenAI-format
// client marks (the LiteLLM / OpenRouter convention) reach an Anthropic upstream exactly, as the
// simulator received them, and are billed as the writes they are; OpenAI's prompt_cache_key goes
// through unchanged, streamed or not.

import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/ledger/record.js';
import { startHarness, type Harness } from '../gateway/helpers.js';
import { longText } from '../sim/helpers.js';

let h: Harness;
let openai: OpenAI;

beforeAll(async () => {
  h = await startHarness();
  openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await fetch(`${h.sim.url}/_sim/reset`, { method: 'POST' });
});

const lastReceived = async (path: string) => {
  const { requests } = (await (await fetch(`${h.sim.url}/_sim/requests`)).json()) as { requests: { path: string; body: string }[] };
  return JSON.parse(requests.filter((r) => r.path === path).at(-1)!.body) as Record<string, any>;
};

describe('cache_control from an OpenAI-format client to an Anthropic model', () => {
  it('every breakpoint arrives where it was put, with its TTL, and the 1h write is billed as one', async () => {
    const system = longText(1500, 'policy');
    const body = {
      model: 'claude-sonnet-4',
      max_tokens: 64,
      messages: [
        { role: 'system', content: [{ type: 'text', text: system, cache_control: { type: 'ephemeral', ttl: '1h' } }] },
        { role: 'user', content: [{ type: 'text', text: 'What does the policy say about refunds?', cache_control: { type: 'ephemeral' } }] },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'lookup', description: 'Look up an order', parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
          cache_control: { type: 'ephemeral', ttl: '1h' },
        },
      ],
    };
    const { data, response } = await openai.chat.completions.create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
    const sent = await lastReceived('/v1/messages');
    expect(sent.system).toEqual([{ type: 'text', text: system, cache_control: { type: 'ephemeral', ttl: '1h' } }]);
    expect(sent.tools[0].cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(sent.messages[0].content).toEqual([{ type: 'text', text: 'What does the policy say about refunds?', cache_control: { type: 'ephemeral' } }]);
    // the upstream wrote the prefix for an hour: the ledger has a 1h write, priced at 2x input
    const rec = (await openai.get(`/tollgate/requests/${response.headers.get('x-tollgate-request-id')}`)) as RequestRecord;
    expect(rec.usage.cacheWrite1h).toBeGreaterThan(1000);
    expect(data.usage!.prompt_tokens).toBe(rec.usage.input + rec.usage.cacheWrite5m + rec.usage.cacheWrite1h + rec.usage.cacheRead);
    // claude-sonnet-4: $3 / 1M input, 1h writes $6 / 1M, 5m writes $3.75 / 1M, output $15 / 1M
    const u = rec.usage;
    expect(rec.costUsd).toBeCloseTo((u.input * 3 + u.cacheWrite5m * 3.75 + u.cacheWrite1h * 6 + u.cacheRead * 0.3 + u.output * 15) / 1e6, 12);
    // the same request again reads the cache
    const again = await openai.chat.completions.create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(again.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThan(1000);
  });

  it('a malformed cache_control is a 400 in OpenAI format', async () => {
    const bad = { model: 'claude-sonnet-4', messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '2h' } }] }] };
    await expect(openai.chat.completions.create(bad as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('prompt_cache_key', () => {
  it('passed through to an OpenAI upstream, streamed (usage asked on the client behalf) and not', async () => {
    await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], prompt_cache_key: 'tenant-42' });
    expect((await lastReceived('/v1/chat/completions')).prompt_cache_key).toBe('tenant-42');
    const s = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], prompt_cache_key: 'tenant-43', stream: true });
    for await (const _ of s) void _;
    const sent = await lastReceived('/v1/chat/completions');
    expect(sent.prompt_cache_key).toBe('tenant-43');
    expect(sent.stream_options).toEqual({ include_usage: true });
  });
});
