// Embeddings are budgeted like chat: POST /v1/embeddings (the official openai SDK's
// embeddings.create) and the gateway's own embeddings for the semantic cache reserve the input's
// tokens at the model's input price against every scope before the call, settle at the real cost,
// and a refusal is the caller's 429 with budget_exceeded; rate limits count them too.

import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, admin, chatRaw, records, spentIn, startBudgetHarness, type Harness } from './helpers.js';

const client = (h: Harness, key: string) => new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: key, maxRetries: 0 });
/** ~100 distinct words a text, so each call costs a few hundred tokens at text-embedding-3-small's $0.02 per million */
const text = (i: number, words = 100): string => Array.from({ length: words }, (_, w) => `word${i}x${w}`).join(' ');
const viewOf = async (h: Harness, id: string) => (await admin(h, 'GET', '/admin/budgets')).body.budgets.find((b: { id: string }) => b.id === id);

describe('POST /v1/embeddings under budgets', () => {
  let h: Harness;
  // a team budget of 20 µ$: about six of these calls (~3.3 µ$ each)
  const LIMIT = 0.00002;
  beforeAll(async () => {
    h = await startBudgetHarness({ budgets: [{ scope: 'team', id: 'a', period: 'day', limitUsd: LIMIT }] });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('charges each call at its real cost to the budget, as the ledger has it', async () => {
    const r = await client(h, KEYS.alpha).embeddings.create({ model: 'text-embedding-3-small', input: [text(1), text(2)] }).withResponse();
    expect(r.data.data).toHaveLength(2);
    const cost = Number(r.response.headers.get('x-tollgate-cost-usd'));
    expect(cost).toBeGreaterThan(0);
    const recs = (await records(h)).filter((x) => x.endpoint === '/v1/embeddings');
    expect(recs).toHaveLength(1);
    // $0.02 per million input tokens
    expect(recs[0]!.costUsd).toBeCloseTo((r.data.usage.prompt_tokens * 0.02) / 1e6, 12);
    const view = await viewOf(h, 'a');
    // the reservation (bytes at the input price) was replaced by the real cost, to the nano-dollar
    expect(view.spentUsd).toBeGreaterThanOrEqual(recs[0]!.costUsd - 1e-12);
    expect(view.spentUsd - recs[0]!.costUsd).toBeLessThan(2e-9);
  });

  it('a nearly spent budget refuses with a 429, code budget_exceeded, before the call; another team is untouched', async () => {
    const c = client(h, KEYS.alpha);
    let refused: unknown;
    for (let i = 0; i < 20 && !refused; i++) {
      try {
        await c.embeddings.create({ model: 'text-embedding-3-small', input: text(100 + i, 200) });
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    const e = refused as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(429);
    expect(e.code).toBe('budget_exceeded');
    expect(e.headers?.get('x-tollgate-reason')).toBe('budget_exceeded');
    const budget = (e.error as { budget?: { scope: string; id: string; resets_at: string } }).budget;
    expect(budget?.scope).toBe('team');
    expect(budget?.id).toBe('a');
    expect(Date.parse(budget!.resets_at)).toBeGreaterThan(Date.now());
    // refused before the call: the refused request's record has no attempt
    const recs = await records(h);
    const last = recs.filter((x) => x.endpoint === '/v1/embeddings' && x.httpStatus === 429).at(-1)!;
    expect(last.attempts ?? []).toHaveLength(0);
    expect(last.costUsd).toBe(0);
    expect(spentIn(recs.filter((x) => x.team === 'a'))).toBeLessThanOrEqual(LIMIT + 1e-12);
    // team b has no budget here: it still embeds
    const ok = await client(h, KEYS.beta).embeddings.create({ model: 'text-embedding-3-small', input: text(999) });
    expect(ok.data).toHaveLength(1);
  });
});

describe('concurrent embeddings against a nearly spent budget', () => {
  let h: Harness;
  const LIMIT = 0.0001;
  beforeAll(async () => {
    h = await startBudgetHarness({ budgets: [{ scope: 'key', id: 'alpha', period: 'day', limitUsd: LIMIT }] });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('100 at once overspend it by $0, by the ledger', { timeout: 120_000 }, async () => {
    const c = client(h, KEYS.alpha);
    // spend most of it first: one call of 3,200 tokens is 64 µ$ (its byte bound, 7,500 tokens, would not fit: the exact count does)
    await c.embeddings.create({ model: 'text-embedding-3-small', input: Array.from({ length: 4 }, (_, i) => text(i, 200)) });
    const before = spentIn((await records(h)).filter((r) => r.keyId === 'alpha'));
    expect(before).toBeGreaterThan(LIMIT * 0.5);
    expect(before).toBeLessThan(LIMIT);

    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => c.embeddings.create({ model: 'text-embedding-3-small', input: text(500 + i) })));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as { status?: number }).status === 429 && (r.reason as { code?: string }).code === 'budget_exceeded').length;
    expect(ok + refused).toBe(100);
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    const recs = (await records(h)).filter((r) => r.keyId === 'alpha');
    expect(recs).toHaveLength(101);
    expect(spentIn(recs)).toBeLessThanOrEqual(LIMIT + 1e-12);
    expect(spentIn(recs)).toBeGreaterThan(before);
  });
});

describe('rate limits count embeddings', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('requests per minute: the third call in a minute is a 429 rate_limited with x-ratelimit-* headers', async () => {
    h = await startBudgetHarness({ rateLimits: [{ scope: 'key', id: 'alpha', rpm: 2 }] });
    const c = client(h, KEYS.alpha);
    const first = await c.embeddings.create({ model: 'text-embedding-3-small', input: 'one' }).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    await c.embeddings.create({ model: 'text-embedding-3-small', input: 'two' });
    const third = await fetch(`${h.gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.alpha}` },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'three' }),
    });
    expect(third.status).toBe(429);
    expect(third.headers.get('x-tollgate-reason')).toBe('rate_limited');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
  });

  it("tokens per minute: an input larger than the key's tpm can never pass", async () => {
    h = await startBudgetHarness({ rateLimits: [{ scope: 'key', id: 'alpha', tpm: 50 }] });
    const err = await client(h, KEYS.alpha)
      .embeddings.create({ model: 'text-embedding-3-small', input: text(1, 100) })
      .then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err?.status).toBe(429);
    expect(err?.headers?.get('x-tollgate-reason')).toBe('rate_limited');
    expect(err?.headers?.get('x-should-retry')).toBe('false');
  });
});

describe("the semantic cache's own embeddings", () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });
  const CACHE = { eligible: { maxTemperature: 0 }, semantic: { enabled: true, threshold: 0.95, embedder: { kind: 'openai-compatible', model: 'text-embedding-3-small' } } };

  it('are charged to the budgets of the request they serve', async () => {
    h = await startBudgetHarness({ pipeline: ['cache', 'execute'], cache: CACHE, budgets: [{ scope: 'key', id: 'alpha', period: 'day', limitUsd: 1 }] });
    const ask = (content: string) => chatRaw(h, KEYS.alpha, { model: 'gpt-4o-mini', temperature: 0, max_tokens: 20, messages: [{ role: 'user', content }] });
    expect((await ask('How do I reset my password?')).status).toBe(200);
    const near = await ask('how do I reset my password');
    expect(near.status).toBe(200);
    expect(near.headers.get('x-tollgate-cache')).toBe('hit');
    const recs = (await records(h)).filter((r) => r.keyId === 'alpha');
    const hit = recs.find((r) => r.requestId === near.headers.get('x-tollgate-request-id'))!;
    expect(hit.attempts?.map((a) => a.purpose)).toEqual(['cache-embedding']);
    expect(hit.costUsd).toBeGreaterThan(0);
    // the budget holds exactly what the ledger charged, the embeddings included (nano-dollar rounding per attempt)
    const view = await viewOf(h, 'alpha');
    const ledger = spentIn(recs);
    const attempts = recs.reduce((n, r) => n + (r.attempts?.length ?? 0), 0);
    expect(view.spentUsd).toBeGreaterThanOrEqual(ledger - 1e-12);
    expect(view.spentUsd - ledger).toBeLessThan(attempts * 2e-9 + 1e-12);
  });

  it('an embedding the budget cannot pay is not sent: the lookup is skipped, and the answer that passed carries no refusal headers', async () => {
    // an embeddings model priced like gpt-4o's input ($2.50 per million): the embedding's worst case
    // (~$0.0004 for this text) is over the budget while the answer's (gpt-4o-mini, ~$0.0001) fits
    // (its own provider name: a price belongs to a provider's model, and sim-openai's text-embedding-3-small has its list price)
    const dear = { name: 'emb-dear', provider: 'sim-dear', model: 'text-embedding-3-small', price: { provider: 'openai', model: 'gpt-4o' } };
    const providers = (simUrl: string) => [{ name: 'sim-dear', kind: 'openai', baseUrl: `${simUrl}/v1`, headers: { authorization: 'Bearer sim' } }];
    const cache = { ...CACHE, semantic: { ...CACHE.semantic, embedder: { kind: 'openai-compatible', model: 'emb-dear' } } };
    h = await startBudgetHarness({ pipeline: ['cache', 'execute'], cache, budgets: [{ scope: 'key', id: 'alpha', period: 'day', limitUsd: 0.0002 }] }, { models: [dear], providers });
    const r = await chatRaw(h, KEYS.alpha, { model: 'gpt-4o-mini', temperature: 0, max_tokens: 20, messages: [{ role: 'user', content: text(7, 50) }] });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-tollgate-reason')).toBeNull();
    expect(r.headers.get('x-should-retry')).toBeNull();
    expect(r.headers.get('x-tollgate-cache')).toBe('miss');
    const stats = (await (await fetch(`${h.sim.url}/_sim/stats`)).json()) as { requests: Record<string, number> };
    expect(stats.requests['text-embedding-3-small'] ?? 0).toBe(0);
    const recs = (await records(h)).filter((x) => x.keyId === 'alpha');
    expect(recs[0]!.attempts?.map((a) => a.purpose ?? 'answer')).toEqual(['answer']);
    expect(recs[0]!.trail.some((t) => t.stage === 'cache' && t.decision === 'semantic_error' && /budget/.test(t.reason ?? ''))).toBe(true);
    const view = await viewOf(h, 'alpha');
    expect(view.spentUsd).toBeLessThanOrEqual(0.0002);
    expect(view.spentUsd).toBeGreaterThanOrEqual(spentIn(recs) - 1e-12);
  });
});
