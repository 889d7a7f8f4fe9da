// POST /admin/calc on a running gateway: the calculator over the admin API, errors in the admin
// API's shape, and admin keys only.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARNESS_ADMIN_KEY, startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const post = (key: string, body: unknown) =>
  fetch(`${h.gw.url}/admin/calc`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('POST /admin/calc', () => {
  it('prices a scenario: the worked example gives $2,000 a day', async () => {
    const r = await post(HARNESS_ADMIN_KEY, {
      requestsPerDay: 100000,
      tokens: { output: 2000 },
      mix: [{ model: 'gpt-4o', share: 1 }],
      prices: [{ provider: 'openai', model: 'gpt-4o', input: 2.5, output: 10 }],
    });
    expect(r.status).toBe(200);
    const j = await r.json();
    expect(j.dailyUsd).toBe(2000);
    expect(j.monthlyUsd).toBe(60000);
    expect(j.waterfall[0].lever).toBe('baseline');
  });

  it('a bad scenario is a 400 naming the field; a client key is refused', async () => {
    const bad = await post(HARNESS_ADMIN_KEY, { requestsPerDay: -1, tokens: { output: 1 }, mix: [] });
    expect(bad.status).toBe(400);
    const j = await bad.json();
    expect(j.error.code).toBe('invalid_request');
    expect(j.error.message).toMatch(/requestsPerDay/);
    expect(j.error.message).toMatch(/mix/);
    expect((await post(HARNESS_ADMIN_KEY, '[1,2]')).status).toBe(400);
    expect((await post(HARNESS_ADMIN_KEY, '{not json')).status).toBe(400);
    const client = await post('tg_some_client', { requestsPerDay: 1, tokens: { output: 1 }, mix: [{ model: 'gpt-4o', share: 1 }] });
    expect(client.status).toBe(403);
  });
});
