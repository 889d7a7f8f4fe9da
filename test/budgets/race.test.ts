// The budget race (LiteLLM #34732: check-then-increment lets concurrent requests through): 200
// concurrent requests against a nearly spent budget overspend it by $0, by the ledger's own sums.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, admin, chatRaw, records, spentIn, startBudgetHarness, type Harness } from './helpers.js';

let h: Harness;
const LIMIT = 0.01;
// gpt-4o-mini: $0.15 / $0.60 per M tokens; 1000 output tokens ≈ $0.0006 a request
const BODY = { model: 'gpt-4o-mini', max_tokens: 1000 };
const FORCE_OUTPUT = { 'x-sim-output-tokens': '1000' };

beforeAll(async () => {
  h = await startBudgetHarness({ budgets: [{ scope: 'key', id: 'alpha', period: 'day', limitUsd: LIMIT }] });
});
afterAll(async () => {
  await h?.close();
});

describe('200 concurrent requests against a nearly spent budget', () => {
  it('spend it to about 90% first, then none of the burst takes it past the limit', { timeout: 120_000 }, async () => {
    for (let i = 0; i < 14; i++) expect((await chatRaw(h, KEYS.alpha, BODY, FORCE_OUTPUT)).status).toBe(200);
    const before = spentIn((await records(h)).filter((r) => r.keyId === 'alpha'));
    expect(before).toBeGreaterThan(LIMIT * 0.8);
    expect(before).toBeLessThan(LIMIT);

    const answers = await Promise.all(Array.from({ length: 200 }, () => chatRaw(h, KEYS.alpha, BODY, FORCE_OUTPUT)));
    const statuses = answers.map((a) => a.status);
    const ok = statuses.filter((s) => s === 200).length;
    const refused = answers.filter((a) => a.status === 429);
    expect(ok + refused.length).toBe(200); // nothing else: no 500, no 502
    expect(refused.length).toBeGreaterThan(150);
    for (const r of refused) expect(r.headers.get('x-tollgate-reason')).toBe('budget_exceeded');
    await Promise.all(answers.map((a) => a.arrayBuffer()));

    const recs = (await records(h)).filter((r) => r.keyId === 'alpha');
    expect(recs.length).toBe(214);
    const spent = spentIn(recs);
    // the overshoot: $0 (a float sum of exact per-request figures, so compared to the nano-dollar)
    expect(spent).toBeLessThanOrEqual(LIMIT + 1e-12);
    expect(spent).toBeGreaterThan(before);

    // the budget view agrees with the ledger (it rounds each request up to the nano-dollar)
    const view = (await admin(h, 'GET', '/admin/budgets')).body.budgets.find((b: { id: string }) => b.id === 'alpha');
    expect(view.spentUsd).toBeGreaterThanOrEqual(spent - 1e-12);
    expect(view.spentUsd - spent).toBeLessThan(recs.length * 1e-9 + 1e-12);
    expect(view.remainingUsd).toBeCloseTo(LIMIT - view.spentUsd, 12);
  });
});
