// What a budget is charged: the model that actually ran (a fallback to a pricier model), every
// attempt that was paid for, a stream whose client went away mid-way, and spend that outlives a
// restart; one team's budget never blocks another's.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, admin, chatRaw, records, spentIn, startBudgetHarness, type Harness } from './helpers.js';

let h: Harness;

async function simModel(model: string, patch: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${h.sim.url}/_sim/models/${model}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
  expect(res.status).toBe(200);
}

async function budgetOf(scope: string, id: string): Promise<{ spentUsd: number; remainingUsd: number; limitUsd: number }> {
  const all = (await admin(h, 'GET', '/admin/budgets')).body.budgets as { scope: string; id: string; spentUsd: number; remainingUsd: number; limitUsd: number }[];
  const b = all.find((x) => x.scope === scope && x.id === id);
  if (!b) throw new Error(`no budget ${scope}/${id}`);
  return b;
}

beforeAll(async () => {
  h = await startBudgetHarness({
    routes: {
      // the primary is the cheap model; its fallback is 16x dearer
      support: { tiers: [{ name: 'cheap', models: ['gpt-4o-mini'] }], fallbacks: ['gpt-4o'] },
      guarded: { tiers: [{ name: 'cheap', models: ['claude-3-5-haiku'] }], fallbacks: ['claude-sonnet-4'] },
      // a cascade whose verifier is the gateway's own call
      verified: { tiers: [{ name: 'cheap', models: ['gpt-4o-mini'] }, { name: 'strong', models: ['gpt-4o'] }], cascade: { checks: ['verifier'], verifier: { model: 'gpt-4o-mini' } } },
    },
    budgets: [
      { scope: 'user', id: 'ana', period: 'month', limitUsd: 5 },
      // room for the cheap model's worst case, not for the fallback's
      { scope: 'route', id: 'guarded', period: 'day', limitUsd: 0.01 },
      { scope: 'team', id: 'a', period: 'month', limitUsd: 0.05 },
      { scope: 'team', id: 'b', period: 'month', limitUsd: 0.05 },
    ],
  });
});
afterAll(async () => {
  await h?.close();
});

describe('fallbacks are charged as what ran', () => {
  it('a fallback to a pricier model is reserved and charged at its own price, every paid attempt included', async () => {
    await simModel('gpt-4o-mini', { faults: [{ kind: '500' }] });
    try {
      const before = await budgetOf('user', 'ana');
      const res = await chatRaw(h, KEYS.alpha, { model: 'support', max_tokens: 300 }, { 'x-sim-output-tokens': '300' });
      expect(res.status).toBe(200);
      const id = res.headers.get('x-tollgate-request-id')!;
      const rec = (await records(h)).find((r) => r.requestId === id)!;
      expect(rec.attempts!.map((a) => `${a.model}:${a.status}`)).toEqual(['gpt-4o-mini:500', 'gpt-4o:200']);
      expect(rec.model).toBe('gpt-4o');
      // 300 output tokens on gpt-4o at $10/M: the charge is gpt-4o's, not the requested mini's
      expect(rec.costUsd).toBeGreaterThan(0.003);
      const after = await budgetOf('user', 'ana');
      expect(after.spentUsd - before.spentUsd).toBeCloseTo(rec.costUsd, 8);
    } finally {
      await simModel('gpt-4o-mini', { faults: [] });
    }
  });

  it('a budget with room for the requested model but not for its fallback refuses the fallback (429, not the pricier call)', async () => {
    await simModel('claude-3-5-haiku', { faults: [{ kind: '529' }] });
    try {
      const res = await chatRaw(h, KEYS.beta, { model: 'guarded', max_tokens: 1000 });
      expect(res.status).toBe(429);
      expect(res.headers.get('x-tollgate-reason')).toBe('budget_exceeded');
      const body = await res.json();
      expect(body.error).toMatchObject({ code: 'budget_exceeded', budget: { scope: 'route', id: 'guarded', period: 'day', limit_usd: 0.01 } });
      const rec = (await records(h)).find((r) => r.requestId === res.headers.get('x-tollgate-request-id'))!;
      // the haiku attempt went out (its worst case fit) and failed; sonnet's worst case did not fit, so it never went
      expect(rec.attempts!.map((a) => a.model)).toEqual(['claude-3-5-haiku']);
      expect((await budgetOf('route', 'guarded')).spentUsd).toBeCloseTo(rec.costUsd, 9);
    } finally {
      await simModel('claude-3-5-haiku', { faults: [] });
    }
  });
});

describe("the gateway's own calls", () => {
  it("a cascade verifier's call is reserved and charged to the request's budgets too", async () => {
    const before = await budgetOf('user', 'ana');
    const res = await chatRaw(h, KEYS.alpha, { model: 'verified', max_tokens: 50 });
    expect(res.status).toBe(200);
    const rec = (await records(h)).find((r) => r.requestId === res.headers.get('x-tollgate-request-id'))!;
    const own = rec.attempts!.filter((a) => a.purpose !== undefined);
    expect(own.length).toBeGreaterThan(0);
    expect(own[0]!.costUsd).toBeGreaterThan(0);
    const after = await budgetOf('user', 'ana');
    expect(after.spentUsd - before.spentUsd).toBeCloseTo(rec.costUsd, 9);
  });
});

describe('streams', () => {
  it('a client that disconnects mid-stream is still charged, on the estimate of what was generated', { timeout: 60_000 }, async () => {
    await fetch(`${h.sim.url}/_sim/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyScale: 1 }) });
    await simModel('gpt-4o', { tokensPerSec: 40, ttftBaseMs: 0 });
    try {
      const before = await budgetOf('team', 'b');
      const abort = new AbortController();
      const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.beta}`, 'x-sim-output-tokens': '2000' },
        body: JSON.stringify({ model: 'gpt-4o', stream: true, max_tokens: 2000, messages: [{ role: 'user', content: 'Write a long story.' }] }),
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      const id = res.headers.get('x-tollgate-request-id')!;
      const reader = res.body!.getReader();
      let text = '';
      while ((text.match(/"content"/g) ?? []).length < 5) text += new TextDecoder().decode((await reader.read()).value);
      abort.abort();
      let rec;
      for (let i = 0; i < 200 && !rec; i++) {
        rec = (await records(h)).find((r) => r.requestId === id);
        if (!rec) await new Promise((r) => setTimeout(r, 50));
      }
      expect(rec).toBeDefined();
      expect(rec!.attempts![0]!.errorClass).toBe('aborted');
      expect(rec!.costEstimated ?? rec!.usage.estimated).toBeTruthy();
      expect(rec!.usage.output).toBeGreaterThan(0);
      expect(rec!.usage.output).toBeLessThan(2000);
      expect(rec!.costUsd).toBeGreaterThan(0);
      const after = await budgetOf('team', 'b');
      // charged what the ledger says it cost (the estimate), not $0 and not the 2000-token worst case
      expect(after.spentUsd - before.spentUsd).toBeCloseTo(rec!.costUsd, 8);
    } finally {
      await fetch(`${h.sim.url}/_sim/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyScale: 0 }) });
    }
  });
});

describe('isolation', () => {
  it("team a's spent budget blocks team a's keys and never team b's", async () => {
    // spend team a to its limit
    let refused: Response | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const res = await chatRaw(h, i % 2 ? KEYS.alpha : KEYS.alpha2, { model: 'gpt-4o', max_tokens: 500 }, { 'x-sim-output-tokens': '500' });
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(refused).toBeDefined();
    const other = await chatRaw(h, KEYS.alpha2, { model: 'gpt-4o', max_tokens: 500 });
    expect(other.status).toBe(429);
    expect((await other.json()).error.budget).toMatchObject({ scope: 'team', id: 'a' });
    const b = await chatRaw(h, KEYS.beta, { model: 'gpt-4o', max_tokens: 500 });
    expect(b.status).toBe(200);
    const teamA = spentIn((await records(h)).filter((r) => r.team === 'a'));
    expect(teamA).toBeLessThanOrEqual(0.05 + 1e-12);
  });
});

describe('restart', () => {
  it('spend survives a restart of the gateway: the view and the refusals continue where they were', async () => {
    const before = await budgetOf('team', 'a');
    const beforeB = await budgetOf('team', 'b');
    expect(before.spentUsd).toBeGreaterThan(0.04);
    await h.restart();
    const after = await budgetOf('team', 'a');
    expect(after.spentUsd).toBeCloseTo(before.spentUsd, 12);
    expect((await budgetOf('team', 'b')).spentUsd).toBeCloseTo(beforeB.spentUsd, 12);
    const res = await chatRaw(h, KEYS.alpha, { model: 'gpt-4o', max_tokens: 500 });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-tollgate-reason')).toBe('budget_exceeded');
  });
});
