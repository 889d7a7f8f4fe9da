// POST /v1/messages/count_tokens and GET /v1/models/{id} through the gateway, with the official SDKs.

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countInputTokens } from '../../src/core/tokens.js';
import { parseAnthropicCountTokensRequest } from '../../src/providers/anthropic/count-tokens.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  h = await startHarness();
  openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: 'demo', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});

const system = 'You answer in one sentence.';
const messages = [{ role: 'user' as const, content: 'How far is the Moon from the Earth, on average?' }];
const tools = [{ name: 'lookup', description: 'Look a fact up', input_schema: { type: 'object' as const, properties: { query: { type: 'string' } }, required: ['query'] } }];

describe('POST /v1/messages/count_tokens', () => {
  it('an Anthropic model: passed through to Anthropic, equal to what the message is billed', async () => {
    const counted = await anthropic.messages.countTokens({ model: 'claude-sonnet-4', system, messages });
    const msg = await anthropic.messages.create({ model: 'claude-sonnet-4', max_tokens: 32, system, messages });
    expect(counted.input_tokens).toBeGreaterThan(10);
    expect(counted.input_tokens).toBe(msg.usage.input_tokens);
    const withTools = await anthropic.messages.countTokens({ model: 'claude-sonnet-4', system, messages, tools });
    expect(withTools.input_tokens).toBeGreaterThan(counted.input_tokens);
  });

  it('an OpenAI model: counted locally with o200k, equal to the prompt_tokens OpenAI bills', async () => {
    const counted = await anthropic.messages.countTokens({ model: 'gpt-4o', system, messages });
    const c = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'system', content: system }, ...messages] });
    expect(counted.input_tokens).toBe(c.usage!.prompt_tokens);
    // the same pure function budgets reserve with
    expect(countInputTokens(parseAnthropicCountTokensRequest({ model: 'gpt-4o', system, messages }))).toBe(counted.input_tokens);
    const withTools = await anthropic.messages.countTokens({ model: 'gpt-4o', system, messages, tools });
    expect(withTools.input_tokens).toBeGreaterThan(counted.input_tokens);
  });

  it('an unknown model is a 404 and a bad body a 400, in Anthropic format', async () => {
    await expect(anthropic.messages.countTokens({ model: 'no-such-model', messages })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const r = await fetch(`${h.gw.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'k' }, body: '{"model":"claude-sonnet-4"}' });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const get = await fetch(`${h.gw.url}/v1/messages/count_tokens`, { headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' } });
    expect(get.status).toBe(405);
  });
});

describe('GET /v1/models/{id}', () => {
  it('OpenAI format: the model object', async () => {
    const m = await openai.models.retrieve('gpt-4o');
    expect(m).toMatchObject({ id: 'gpt-4o', object: 'model', owned_by: 'sim-openai' });
    expect(typeof m.created).toBe('number');
  });

  it('Anthropic format: {type, id, display_name, created_at}', async () => {
    const m = await anthropic.models.retrieve('claude-sonnet-4');
    expect(m).toMatchObject({ type: 'model', id: 'claude-sonnet-4', display_name: 'claude-sonnet-4' });
    expect(Number.isNaN(Date.parse(m.created_at))).toBe(false);
  });

  it('an unknown id is a 404 in the caller format', async () => {
    await expect(openai.models.retrieve('gpt-9')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(anthropic.models.retrieve('claude-9')).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const o = await fetch(`${h.gw.url}/v1/models/gpt-9`, { headers: { authorization: 'Bearer k' } });
    expect(await o.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const a = await fetch(`${h.gw.url}/v1/models/claude-9`, { headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' } });
    expect(await a.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});
