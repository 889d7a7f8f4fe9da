// The 429s as the official SDKs see them: a refused budget is an error in the caller's own format
// (OpenAI: code budget_exceeded; Anthropic: rate_limit_error) with the scope, id and reset time,
// and x-should-retry: false so the SDKs do not retry it; a rate limit carries each format's
// rate-limit headers and retry-after, which the SDKs' own retry logic waits out.

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, chatRaw, startBudgetHarness, type Harness } from './helpers.js';

let h: Harness;

/** a fetch that records the status and headers of every response the SDK gets */
function recordingFetch(): { fetch: typeof fetch; seen: { status: number; headers: Headers }[] } {
  const seen: { status: number; headers: Headers }[] = [];
  return {
    seen,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const res = await fetch(input, init);
      seen.push({ status: res.status, headers: res.headers });
      return res;
    }) as typeof fetch,
  };
}

beforeAll(async () => {
  h = await startBudgetHarness({
    budgets: [{ scope: 'key', id: 'alpha2', period: 'month', limitUsd: 0.000001, timeZone: 'Europe/Paris' }],
    rateLimits: [
      { scope: 'key', id: 'alpha', rpm: 60 },
      { scope: 'team', id: 'b', tpm: 600 },
    ],
  });
});
afterAll(async () => {
  await h?.close();
});

describe('budget_exceeded through the SDKs', () => {
  it('openai: a 429 with code budget_exceeded and the budget in the body, not retried', async () => {
    const rec = recordingFetch();
    const ai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: KEYS.alpha2, maxRetries: 3, fetch: rec.fetch });
    const err = await ai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.code).toBe('budget_exceeded');
    expect(err.headers.get('x-tollgate-reason')).toBe('budget_exceeded');
    const budget = (err.error as { budget: Record<string, unknown> }).budget;
    expect(budget).toMatchObject({ scope: 'key', id: 'alpha2', period: 'month', limit_usd: 0.000001 });
    // calendar months in Paris start at local midnight: 23:00 or 22:00 UTC the day before
    expect(budget.resets_at).toMatch(/^\d{4}-\d{2}-(28|29|30|31)T2[23]:00:00\.000Z$/);
    expect(rec.seen.length).toBe(1); // x-should-retry: false kept the SDK from retrying
  });

  it('anthropic: a 429 rate_limit_error in the Anthropic shape with the same facts', async () => {
    const rec = recordingFetch();
    const ai = new Anthropic({ baseURL: h.gw.url, apiKey: KEYS.alpha2, maxRetries: 3, fetch: rec.fetch });
    const err = await ai.messages.create({ model: 'claude-3-5-haiku', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', code: 'budget_exceeded', budget: { scope: 'key', id: 'alpha2' } } });
    expect(err.headers.get('x-tollgate-reason')).toBe('budget_exceeded');
    expect(rec.seen.length).toBe(1);
  });
});

describe('rate limits and the SDKs’ retries', () => {
  it('openai: once the burst is spent, a 429 with x-ratelimit-* and retry-after, which the SDK waits out and then succeeds', { timeout: 60_000 }, async () => {
    // a bucket of 60 requests refilling one a second: spend it
    let refused: Response | undefined;
    for (let i = 0; i < 80 && !refused; i++) {
      const res = await chatRaw(h, KEYS.alpha, { model: 'gpt-4o-mini', max_tokens: 5 });
      if (res.status === 429) refused = res;
      else {
        expect(res.status).toBe(200);
        expect(Number(res.headers.get('x-ratelimit-limit-requests'))).toBe(60);
      }
      await res.arrayBuffer();
    }
    expect(refused).toBeDefined();
    expect(refused!.headers.get('x-tollgate-reason')).toBe('rate_limited');
    expect(refused!.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(refused!.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?(ms|s)$/);
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused!.headers.get('retry-after-ms'))).toBeLessThanOrEqual(1000);
    expect(refused!.headers.get('anthropic-ratelimit-requests-limit')).toBeNull(); // an OpenAI client gets OpenAI's headers

    const rec = recordingFetch();
    const ai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: KEYS.alpha, maxRetries: 5, fetch: rec.fetch });
    const ok = await ai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect(ok.choices[0]!.message).toBeDefined();
    expect(rec.seen.at(-1)!.status).toBe(200);
    // the SDK met at least one 429 first (the bucket was empty) and retried on its own
    expect(rec.seen[0]!.status).toBe(429);
    expect(rec.seen[0]!.headers.get('retry-after')).not.toBeNull();

    const none = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: KEYS.alpha, maxRetries: 0 });
    const err = await none.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('rate_limited');
    expect(err.error.rate_limit).toMatchObject({ scope: 'key', id: 'alpha', kind: 'requests', limit: 60 });
  });

  it('anthropic: tokens per minute per team, anthropic-ratelimit-tokens-* headers, and the SDK retries until the bucket refills', { timeout: 90_000 }, async () => {
    const ai0 = new Anthropic({ baseURL: h.gw.url, apiKey: KEYS.beta, maxRetries: 0 });
    const prompt = 'Tell me about token buckets and their refill rate. '.repeat(20); // ~220 input tokens
    let err: any;
    for (let i = 0; i < 10 && !err; i++) {
      try {
        const { response } = await ai0.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: [{ role: 'user', content: prompt }] }).withResponse();
        expect(response.headers.get('anthropic-ratelimit-tokens-limit')).toBe('600');
        expect(response.headers.get('x-ratelimit-limit-tokens')).toBeNull();
      } catch (e) {
        err = e;
      }
    }
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.headers.get('x-tollgate-reason')).toBe('rate_limited');
    expect(err.headers.get('anthropic-ratelimit-tokens-limit')).toBe('600');
    expect(Number(err.headers.get('anthropic-ratelimit-tokens-remaining'))).toBeLessThan(300);
    expect(Date.parse(err.headers.get('anthropic-ratelimit-tokens-reset'))).toBeGreaterThan(Date.now() - 2000);
    expect(Number(err.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(err.error).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limited', rate_limit: { scope: 'team', id: 'b', kind: 'tokens', limit: 600 } } });

    const rec = recordingFetch();
    const ai = new Anthropic({ baseURL: h.gw.url, apiKey: KEYS.beta, maxRetries: 8, fetch: rec.fetch });
    const ok = await ai.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: [{ role: 'user', content: prompt }] });
    expect(ok.content.length).toBeGreaterThan(0);
    expect(rec.seen[0]!.status).toBe(429);
    expect(rec.seen.at(-1)!.status).toBe(200);
  });

  it('a request larger than the whole bucket is refused with x-should-retry: false (no wait would let it through)', async () => {
    const res = await fetch(`${h.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEYS.beta, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-3-5-haiku', max_tokens: 10, messages: [{ role: 'user', content: 'word '.repeat(2000) }] }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect((await res.json()).error.message).toMatch(/can never pass/);
  });
});
