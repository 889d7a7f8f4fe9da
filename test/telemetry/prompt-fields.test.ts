// The record's prompt fields (costByComponent, tokensByComponent, promptCache, stablePrefixTokens)
// for requests the official SDKs send through the gateway to the simulator, checked against the
// provider's usage in the same record and the catalog's prices.

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totalInput } from '../../src/core/canonical.js';
import { costOf } from '../../src/core/cost.js';
import { PriceCatalog } from '../../src/core/prices/catalog.js';
import { readLedger } from '../../src/ledger/read.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
let openai: OpenAI;
let anthropic: Anthropic;
const catalog = PriceCatalog.load();

beforeAll(async () => {
  h = await startHarness();
  openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo-key', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: 'demo-key', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});

async function recordOf(id: string | null): Promise<RequestRecord> {
  await h.gw.ledger.flush();
  const rec = readLedger(h.dataDir, { last: 200 }).find((r) => r.requestId === id);
  expect(rec).toBeDefined();
  return rec!;
}

const sum = (o: Record<string, number> | undefined): number => Object.values(o ?? {}).reduce((s, v) => s + v, 0);

/** the input part of the answer's cost, from the catalog */
function inputUsd(rec: RequestRecord, provider: string, model: string): number {
  const c = costOf(rec.usage, catalog.lookup(provider, model)!);
  return c.inputUsd + c.cacheReadUsd + c.cacheWriteUsd;
}

const POLICY = Array.from({ length: 120 }, (_, i) => `Rule ${i + 1}: answer politely, cite the policy section, and never promise a refund outside the window.`).join('\n');
const DOC = 'Refunds are accepted within 30 days of purchase with a receipt; after that, store credit only.';

describe('OpenAI requests', () => {
  it('split into components that add up to the billed input and the input part of the cost', async () => {
    const { response } = await openai.chat.completions
      .create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You are a support assistant. Answer from the documents.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello! How can I help?' },
          { role: 'user', content: `<document title="refunds">${DOC}</document>\nCan I get a refund after 40 days?` },
        ],
        tools: [{ type: 'function', function: { name: 'lookup_order', description: 'Look an order up', parameters: { type: 'object', properties: { id: { type: 'string' } } } } }],
      })
      .withResponse();
    const rec = await recordOf(response.headers.get('x-tollgate-request-id'));
    expect(Object.keys(rec.tokensByComponent!).sort()).toEqual(['context', 'history', 'system', 'tools', 'user']);
    expect(sum(rec.tokensByComponent)).toBe(totalInput(rec.usage));
    expect(Object.keys(rec.costByComponent!).sort()).toEqual(['context', 'history', 'system', 'tools', 'user']);
    expect(sum(rec.costByComponent)).toBeCloseTo(inputUsd(rec, 'openai', 'gpt-4o-mini'), 12);
    // no cache was read or written: no promptCache; the first request of its route shares nothing
    expect(rec.promptCache).toBeUndefined();
    expect(rec.stablePrefixTokens).toBe(0);
  });

  it('the x-tollgate-context header marks messages by their index as sent; a malformed one is a 400 in OpenAI format', async () => {
    const { response } = await openai.chat.completions
      .create(
        {
          model: 'gpt-4o-mini',
          messages: [
            { role: 'system', content: 'Answer from the context.' },
            { role: 'user', content: DOC },
            { role: 'user', content: 'Can I get a refund after 40 days?' },
          ],
        },
        { headers: { 'x-tollgate-context': '1' } },
      )
      .withResponse();
    const rec = await recordOf(response.headers.get('x-tollgate-request-id'));
    expect(Object.keys(rec.tokensByComponent!).sort()).toEqual(['context', 'system', 'user']);
    const err = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-tollgate-context': 'first' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/x-tollgate-context/);
  });

  it('automatic prompt caching: the second request reads the cache, at the cached price, and shares its prefix', async () => {
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'system' as const, content: POLICY }, { role: 'user' as const, content: 'Summarise rule 7.' }] };
    const first = await openai.chat.completions.create(body).withResponse();
    const second = await openai.chat.completions.create({ ...body, messages: [body.messages[0]!, { role: 'user', content: 'Summarise rule 9.' }] }).withResponse();
    const a = await recordOf(first.response.headers.get('x-tollgate-request-id'));
    const b = await recordOf(second.response.headers.get('x-tollgate-request-id'));
    expect(b.usage.cacheRead).toBeGreaterThan(0);
    expect(b.promptCache).toMatchObject({ readTokens: b.usage.cacheRead, writeTokens: 0, ttlSeconds: 300 });
    expect(b.promptCache!.prefixHash).toMatch(/^[0-9a-f]{32}$/);
    // the system block is the shared prefix; the user turns differ
    expect(b.stablePrefixTokens).toBe(b.tokensByComponent!.system);
    expect(b.stablePrefixTokens).toBeGreaterThan(1000);
    // the system prompt was read from the cache: it cost less than the same tokens uncached
    const price = catalog.lookup('openai', 'gpt-4o-mini')!;
    expect(b.costByComponent!.system).toBeLessThan((b.tokensByComponent!.system! * price.input) / 1e6);
    expect(sum(b.costByComponent)).toBeCloseTo(inputUsd(b, 'openai', 'gpt-4o-mini'), 12);
    expect(a.usage.cacheRead).toBe(0);
  });
});

describe('Anthropic requests', () => {
  it('cache_control breakpoints: a write then a read of the same prefix, with its TTL, and documents as context', async () => {
    const params = (question: string): Anthropic.MessageCreateParamsNonStreaming => ({
      model: 'claude-sonnet-4',
      max_tokens: 64,
      system: [{ type: 'text', text: POLICY, cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: DOC }, title: 'Refund policy' },
            { type: 'text', text: question },
          ],
        },
      ],
    });
    const first = await anthropic.messages.create(params('Can I get a refund after 40 days?')).withResponse();
    const second = await anthropic.messages.create(params('And after 10 days?')).withResponse();
    const a = await recordOf(first.response.headers.get('x-tollgate-request-id'));
    const b = await recordOf(second.response.headers.get('x-tollgate-request-id'));
    expect(a.usage.cacheWrite1h).toBeGreaterThan(0);
    expect(a.promptCache).toMatchObject({ writeTokens: a.usage.cacheWrite1h, readTokens: 0, ttlSeconds: 3600 });
    expect(b.usage.cacheRead).toBeGreaterThan(0);
    expect(b.promptCache).toMatchObject({ writeTokens: 0, readTokens: b.usage.cacheRead, ttlSeconds: 3600 });
    expect(b.promptCache!.prefixHash).toBe(a.promptCache!.prefixHash);
    for (const r of [a, b]) {
      expect(Object.keys(r.tokensByComponent!).sort()).toEqual(['context', 'system', 'user']);
      expect(sum(r.tokensByComponent)).toBe(totalInput(r.usage));
      expect(sum(r.costByComponent)).toBeCloseTo(inputUsd(r, 'anthropic', 'claude-sonnet-4'), 12);
    }
    // the write cost 2x the input price, the read 0.1x: the same system prompt, two prices
    expect(a.costByComponent!.system).toBeGreaterThan(b.costByComponent!.system! * 10);
    // the system block repeats; the message (the document and a new question) does not
    expect(b.stablePrefixTokens).toBe(b.tokensByComponent!.system);
  });
});
