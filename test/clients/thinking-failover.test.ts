// Thinking signatures on retries and fallbacks: kept as they are for the provider that made them
// (retries), left out for another provider (a fallback), whose simulator signs with another key
// and refuses foreign signatures with a 400 as Anthropic and Bedrock do; a refused signature is one
// 400 to the client, never a retry loop.

import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
let simB: { url: string; close(): Promise<void> };
let anthropic: Anthropic;

beforeAll(async () => {
  simB = await startSimulator({ port: 0, latencyScale: 0, seed: 7, thinkingKey: 'another-provider' });
  h = await startHarness(
    { retry: { maxRetries: 1, baseDelayMs: 0, maxDelayMs: 0 } },
    {},
    {
      extend: (base) => ({
        providers: [...base.providers, { name: 'sim-anthropic-b', kind: 'anthropic', baseUrl: simB.url, headers: { 'x-api-key': 'sim' } }],
        models: [...base.models, { name: 'claude-sonnet-4-b', provider: 'sim-anthropic-b', model: 'claude-sonnet-4', price: { provider: 'anthropic', model: 'claude-sonnet-4' } }],
        routes: { thinker: { tiers: [{ name: 'main', models: ['claude-sonnet-4'] }], fallbacks: ['claude-sonnet-4-b'] } },
      }),
    },
  );
  anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: 'demo', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
  await simB?.close();
});

const setFaults = (faults: string) => fetch(`${h.sim.url}/_sim/models/claude-sonnet-4`, { method: 'PUT', body: JSON.stringify({ faults }) });
const received = async (url: string) => ((await (await fetch(`${url}/_sim/requests`)).json()) as { requests: { path: string; body: string }[] }).requests.filter((r) => r.path === '/v1/messages');
beforeEach(async () => {
  await setFaults('');
  await fetch(`${h.sim.url}/_sim/reset`, { method: 'POST' });
  await fetch(`${simB.url}/_sim/reset`, { method: 'POST' });
});

const thinking = { type: 'enabled' as const, budget_tokens: 1024 };
async function firstTurn(): Promise<Anthropic.MessageParam[]> {
  const q: Anthropic.MessageParam = { role: 'user', content: 'Is 437 prime?' };
  const m = await anthropic.messages.create({ model: 'claude-sonnet-4', max_tokens: 3000, thinking, messages: [q] });
  expect(m.content[0]!.type).toBe('thinking');
  return [q, { role: 'assistant', content: m.content }, { role: 'user', content: 'Check again.' }];
}

describe('thinking signatures across retries and fallbacks', () => {
  it('a retry to the same provider sends the signature as it is; the fallback to another provider sends none, and answers', async () => {
    const history = await firstTurn();
    const signed = (history[1]!.content as Anthropic.ThinkingBlock[])[0]!;
    await setFaults('529');
    const before = (await received(h.sim.url)).length;
    const { data, response } = await anthropic.messages.create({ model: 'thinker', max_tokens: 3000, thinking, messages: history }).withResponse();
    expect(data.type).toBe('message');
    const toA = (await received(h.sim.url)).slice(before);
    expect(toA).toHaveLength(2); // the first try and its retry
    for (const r of toA) expect(JSON.parse(r.body).messages[1].content[0]).toEqual(signed);
    const toB = await received(simB.url);
    expect(toB).toHaveLength(1);
    const sentB = JSON.parse(toB[0]!.body) as { messages: { role: string; content: string | { type: string }[] }[] };
    expect(JSON.stringify(sentB.messages)).not.toContain('"thinking"');
    expect(sentB.messages[1]!.role).toBe('assistant');
    // B answered with its own signature, which B accepts on the next turn
    const fromB = data.content[0] as Anthropic.ThinkingBlock;
    expect(fromB.type).toBe('thinking');
    expect(fromB.signature).not.toBe(signed.signature);
    expect(response.headers.get('x-tollgate-request-id')).toBeTruthy();
  });

  it('a signature the provider refuses is one 400 to the client, not a loop of retries', async () => {
    const history = await firstTurn();
    const block = (history[1]!.content as Anthropic.ThinkingBlock[])[0]!;
    (history[1]!.content as Anthropic.ThinkingBlock[])[0] = { ...block, signature: Buffer.from('forged').toString('base64') };
    const before = (await received(h.sim.url)).length;
    await expect(anthropic.messages.create({ model: 'thinker', max_tokens: 3000, thinking, messages: history })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    expect((await received(h.sim.url)).length - before).toBe(1);
    expect(await received(simB.url)).toHaveLength(0);
  });
});

describe('cache_control when the gateway re-renders an Anthropic request (a fallback that drops foreign signatures)', () => {
  it('every breakpoint and TTL the client set reaches the other provider exactly', async () => {
    const history = await firstTurn();
    await setFaults('529');
    const system = [
      { type: 'text' as const, text: 'You are a careful mathematician.', cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } },
      { type: 'text' as const, text: 'Answer briefly.', cache_control: { type: 'ephemeral' as const } },
    ];
    const tools = [{ name: 'factor', description: 'Factor an integer', input_schema: { type: 'object' as const, properties: { n: { type: 'integer' } }, required: ['n'] }, cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } }];
    const last: Anthropic.MessageParam = { role: 'user', content: [{ type: 'text', text: 'Check again.', cache_control: { type: 'ephemeral', ttl: '1h' } }] };
    const messages = [...history.slice(0, 2), last];
    await anthropic.messages.create({ model: 'thinker', max_tokens: 3000, thinking, system, tools, messages, cache_control: { type: 'ephemeral' } } as Anthropic.MessageCreateParamsNonStreaming);
    const toB = await received(simB.url);
    const sent = JSON.parse(toB.at(-1)!.body);
    expect(sent.system).toEqual(system);
    expect(sent.tools).toEqual(tools);
    expect(sent.messages.at(-1)).toEqual(last);
    expect(sent.cache_control).toEqual({ type: 'ephemeral' });
  });
});
