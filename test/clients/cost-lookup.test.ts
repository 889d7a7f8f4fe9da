// The cost of a streamed request, read by a client that cannot read HTTP trailers: the request id
// from the x-tollgate-request-id header, then GET /v1/tollgate/requests/{id} with the same key.

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/ledger/record.js';
import { hashKey } from '../../src/server/auth.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

const KEYS = { alice: 'tg_alice_key', bob: 'tg_bob_key', supportAdmin: 'tg_support_admin', salesAdmin: 'tg_sales_admin' };

let h: Harness;
const client = (key: string) => new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: key, maxRetries: 0 });

beforeAll(async () => {
  h = await startHarness({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'alice', sha256: hashKey(KEYS.alice), team: 'support' },
        { id: 'bob', sha256: hashKey(KEYS.bob), team: 'support' },
        { id: 'support-admin', sha256: hashKey(KEYS.supportAdmin), team: 'support', role: 'admin' },
        { id: 'sales-admin', sha256: hashKey(KEYS.salesAdmin), team: 'sales', role: 'admin' },
      ],
    },
  });
});
afterAll(async () => {
  await h?.close();
});

async function streamedRequestId(): Promise<{ id: string; text: string; usage: OpenAI.CompletionUsage }> {
  const { data: stream, response } = await client(KEYS.alice)
    .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Tell me about toll roads.' }], stream: true, stream_options: { include_usage: true } })
    .withResponse();
  const id = response.headers.get('x-tollgate-request-id')!;
  let text = '';
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? '';
    if (c.usage) usage = c.usage;
  }
  return { id, text, usage: usage! };
}

describe('GET /v1/tollgate/requests/{id}', () => {
  it('a streamed request through the openai SDK: its cost, read right after the stream with the same key', async () => {
    const { id, usage } = await streamedRequestId();
    expect(id).toMatch(/^tg-/);
    // the SDK's own generic GET, with the key it already has
    const record = (await client(KEYS.alice).get(`/tollgate/requests/${id}`)) as RequestRecord;
    expect(record.requestId).toBe(id);
    expect(record.stream).toBe(true);
    expect(record.keyId).toBe('alice');
    expect(record.usage.output).toBe(usage.completion_tokens);
    // gpt-4o-mini list price: $0.15 / 1M input, $0.60 / 1M output
    expect(record.costUsd).toBeCloseTo((usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.6) / 1e6, 12);
  });

  it("another key's request is a 404; an admin of the same team may read it, of another team may not", async () => {
    const { id } = await streamedRequestId();
    await expect(client(KEYS.bob).get(`/tollgate/requests/${id}`)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client(KEYS.salesAdmin).get(`/tollgate/requests/${id}`)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(((await client(KEYS.supportAdmin).get(`/tollgate/requests/${id}`)) as RequestRecord).requestId).toBe(id);
    // no key at all
    const r = await fetch(`${h.gw.url}/v1/tollgate/requests/${id}`);
    expect(r.status).toBe(401);
  });

  it('an unknown id is a 404 in the caller format; only GET is allowed', async () => {
    const anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: KEYS.alice, maxRetries: 0 });
    await expect(anthropic.get('/v1/tollgate/requests/tg-nope')).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const r = await fetch(`${h.gw.url}/v1/tollgate/requests/tg-nope`, { headers: { 'x-api-key': KEYS.alice, 'anthropic-version': '2023-06-01' } });
    expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const del = await fetch(`${h.gw.url}/v1/tollgate/requests/tg-nope`, { method: 'DELETE', headers: { authorization: `Bearer ${KEYS.alice}` } });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET');
  });

  it('a non-streamed Anthropic request: the record matches the cost header', async () => {
    const anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: KEYS.alice, maxRetries: 0 });
    const { response } = await anthropic.messages.create({ model: 'claude-3-5-haiku', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const id = response.headers.get('x-tollgate-request-id')!;
    const record = (await anthropic.get(`/v1/tollgate/requests/${id}`)) as RequestRecord;
    expect(record.costUsd).toBeCloseTo(Number(response.headers.get('x-tollgate-cost-usd')), 8);
  });
});

describe('RecentRecords', () => {
  it('keeps the newest `limit` records and none with limit 0', async () => {
    const { RecentRecords } = await import('../../src/engine/recent-records.js');
    const r = new RecentRecords(3);
    for (let i = 0; i < 10; i++) r.add({ requestId: `r${i}` } as RequestRecord);
    expect(r.size).toBe(3);
    expect(r.get('r6')).toBeUndefined();
    expect(r.get('r9')!.requestId).toBe('r9');
    const off = new RecentRecords(0);
    off.add({ requestId: 'x' } as RequestRecord);
    expect(off.get('x')).toBeUndefined();
  });
});
