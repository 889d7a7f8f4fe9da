// The routing lever under a misbehaving upstream, end to end (openai SDK → gateway → simulator):
// make a simulated model slow at run time and watch an SLO route move off it and back; fail an
// upstream 100% and show the retry budget keeps retries to its share; watch the circuit breaker
// open, fail fast, and close again after recovery. Assertions are on models chosen and counts, never
// on timings.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { startHarness, type Harness } from '../gateway/helpers.js';
import { chat, client, metric, parseRouteHeader, recordOf, simModel, simRequests, sleep, upstreams } from './e2e-helpers.js';

describe('SLO-aware choice', () => {
  let h: Harness;
  let ai: OpenAI;
  const SLO_MS = 250;
  beforeAll(async () => {
    // real (scaled) latencies: gpt-4o-mini answers 5 tokens in ~10-20 ms at scale 0.02
    h = await startHarness(
      {
        routes: {
          'slo-chat': {
            tiers: [
              { name: 'cheap', models: ['gpt-4o-mini'] },
              { name: 'strong', models: ['gpt-4o'] },
            ],
            slo: { e2e_p95_ms: SLO_MS, window_s: 2, min_samples: 3, probe_share: 0.2 },
          },
        },
      },
      { latencyScale: 0.02 },
    );
    ai = client(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  const ask = () => chat(ai, { model: 'slo-chat', content: 'Where is my parcel?' }, { 'x-sim-output-tokens': '5' });

  it('moves off the cheap model when it gets slow, and back when it recovers', { timeout: 20_000 }, async () => {
    // warm the gateway's hot path on a model outside the route first, so a cold first request (JIT,
    // connection set-up) does not count as a candidate being slow
    for (let i = 0; i < 5; i++) expect((await chat(ai, { model: 'gemini-2.0-flash', content: 'warm-up' }, { 'x-sim-output-tokens': '5' })).ok).toBe(true);
    // healthy: the cheapest candidate meets the SLO
    for (let i = 0; i < 4; i++) {
      const r = await ask();
      expect(r.ok).toBe(true);
      expect(parseRouteHeader(r.route)).toMatchObject({ model: 'gpt-4o-mini', slo: 'ok' });
    }

    // gpt-4o-mini's time to first token goes to 30 s (× 0.02 = 600 ms, far over the 250 ms SLO)
    await simModel(h, 'gpt-4o-mini', { ttftBaseMs: 30_000 });
    let moved: Awaited<ReturnType<typeof ask>> | undefined;
    for (let i = 0; i < 20 && !moved; i++) {
      const r = await ask();
      expect(r.ok).toBe(true);
      if (parseRouteHeader(r.route).model === 'gpt-4o') moved = r;
    }
    expect(moved, 'the route never left the slow model').toBeDefined();
    expect(parseRouteHeader(moved!.route)).toMatchObject({ tier: 'strong', model: 'gpt-4o', slo: 'moved' });
    const rec = await recordOf(h, moved!.id);
    expect(rec.model).toBe('gpt-4o');
    const route = rec.trail.find((t) => t.stage === 'router' && t.decision === 'route')!;
    expect(route.data).toMatchObject({ slo: 'moved' });
    expect(String(route.data!.sloDetail)).toMatch(new RegExp(`gpt-4o-mini\\(e2e_p95=\\d+>${SLO_MS}\\)`));

    // while it is slow, most traffic stays off it (probes aside)
    const during: string[] = [];
    for (let i = 0; i < 10; i++) during.push(parseRouteHeader((await ask()).route).model!);
    expect(during.filter((m) => m === 'gpt-4o').length).toBeGreaterThanOrEqual(4);

    // recovery: fast again; probes and the sliding window bring the route back, to stay: the slow
    // samples age out of the 2 s window and the new ones are fast
    await simModel(h, 'gpt-4o-mini', { ttftBaseMs: 400 });
    let streak = 0;
    const deadline = Date.now() + 12_000;
    while (streak < 5 && Date.now() < deadline) {
      const r = await ask();
      expect(r.ok).toBe(true);
      const hdr = parseRouteHeader(r.route);
      if (hdr.model === 'gpt-4o-mini' && hdr.slo === 'ok') streak++;
      else {
        streak = 0;
        await sleep(50);
      }
    }
    expect(streak, 'the route never came back to the recovered model').toBe(5);
  });
});

describe('retry budget with an upstream failing 100%', () => {
  let h: Harness;
  let ai: OpenAI;
  const budget = { ratio: 0.2, min_per_second: 0.5, window_s: 60 };
  beforeAll(async () => {
    h = await startHarness({ retry: { max_retries: 2, base_delay_ms: 0, max_delay_ms: 0, budget, breaker: { enabled: false } } });
    ai = client(h);
    await simModel(h, 'gpt-4o-mini', { faults: '503;retry-after=0' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('keeps retries within the budget share; every attempt is in the ledger; the figures are on /metrics', { timeout: 20_000 }, async () => {
    const N = 200;
    const ids: string[] = [];
    for (let batch = 0; batch < N / 10; batch++) {
      const rs = await Promise.all(Array.from({ length: 10 }, () => chat(ai, { model: 'gpt-4o-mini', content: 'ping' })));
      for (const r of rs) {
        expect(r.ok).toBe(false);
        expect(r.status).toBe(503);
        ids.push(r.id);
      }
    }
    const up = (await upstreams(h))['sim-openai/gpt-4o-mini']!;
    const allowed = budget.ratio * N + budget.min_per_second * budget.window_s; // 40 + 30
    expect(up.requests).toBe(N);
    expect(up.retries).toBeGreaterThan(0);
    expect(up.retries).toBeLessThanOrEqual(allowed);
    // without the budget, max_retries 2 would have sent 2 retries per request (400): a request the
    // budget did not stop made both, so at least N - retries/2 requests were refused a retry
    expect(up.retriesDenied).toBeGreaterThanOrEqual(N - up.retries / 2);
    // the upstream saw exactly the first attempts plus the budgeted retries
    expect(await simRequests(h, 'gpt-4o-mini')).toBe(N + up.retries);

    const labels = { upstream: 'sim-openai/gpt-4o-mini' };
    expect(await metric(h, 'tollgate_upstream_requests_total', labels)).toBe(N);
    expect(await metric(h, 'tollgate_upstream_retries_total', labels)).toBe(up.retries);
    expect(await metric(h, 'tollgate_upstream_retries_denied_total', labels)).toBe(up.retriesDenied);
    expect(await metric(h, 'tollgate_retry_budget_remaining', labels)).toBe(0);

    // "paying for failed requests": every attempt, retries included, is in the ledger
    let attempts = 0;
    let denied = 0;
    for (const id of ids) {
      const rec = await recordOf(h, id);
      expect(rec.status).toBe('error');
      attempts += rec.attempts!.length;
      if (rec.trail.some((t) => t.decision === 'retry_budget_exhausted')) denied++;
    }
    expect(attempts).toBe(N + up.retries);
    expect(denied).toBe(up.retriesDenied);
  });
});

describe('circuit breaker', () => {
  let h: Harness;
  let ai: OpenAI;
  const breaker = { error_rate: 0.5, min_requests: 5, window_s: 30, open_ms: 300, half_open_probes: 1, close_after: 2 };
  beforeAll(async () => {
    h = await startHarness({ retry: { max_retries: 0, breaker } });
    ai = client(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  const ping = () => chat(ai, { model: 'gpt-4o-mini', content: 'ping' });

  it('opens on a failing upstream, fails fast with circuit_open, and closes after recovery', { timeout: 20_000 }, async () => {
    expect((await ping()).ok).toBe(true);
    await simModel(h, 'gpt-4o-mini', { faults: '503;retry-after=0' });
    const before = await simRequests(h, 'gpt-4o-mini');
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await ping());
    expect(results.every((r) => !r.ok)).toBe(true);
    // 1 success + 4 failures = 80% errors over 5 calls: the 4th failure trips it
    const reached = (await simRequests(h, 'gpt-4o-mini')) - before;
    expect(reached).toBe(4);
    // 1 + 4 requests reached the upstream and earn retry budget; the 8 turned away do not
    expect((await upstreams(h))['sim-openai/gpt-4o-mini']).toMatchObject({ breaker: 'open', breakerOpens: 1, requests: 5, shortCircuited: 8 });
    expect(await metric(h, 'tollgate_circuit_state', { upstream: 'sim-openai/gpt-4o-mini' })).toBe(2);
    expect(await metric(h, 'tollgate_upstream_short_circuited_total', { upstream: 'sim-openai/gpt-4o-mini' })).toBe(8);

    const fast = results.slice(reached);
    expect(fast).toHaveLength(8);
    for (const r of fast) {
      const rec = await recordOf(h, r.id);
      expect(rec.errorClass).toBe('circuit_open');
      expect(rec.attempts ?? []).toHaveLength(0); // failed fast: nothing sent, nothing paid
      expect(rec.trail.some((t) => t.stage === 'execute' && t.decision === 'circuit_open')).toBe(true);
    }
    expect(fast[0]!.status).toBeGreaterThanOrEqual(500);

    // half-open while still failing: the probe fails and it opens again
    await sleep(breaker.open_ms + 50);
    expect((await ping()).ok).toBe(false);
    expect((await upstreams(h))['sim-openai/gpt-4o-mini']).toMatchObject({ breaker: 'open', breakerOpens: 2 });
    expect((await simRequests(h, 'gpt-4o-mini')) - before).toBe(5);

    // recovery: the probes succeed and close it
    await simModel(h, 'gpt-4o-mini', { faults: '' });
    await sleep(breaker.open_ms + 50);
    for (let i = 0; i < breaker.close_after; i++) expect((await ping()).ok).toBe(true);
    expect((await upstreams(h))['sim-openai/gpt-4o-mini']).toMatchObject({ breaker: 'closed', breakerOpens: 2 });
    for (let i = 0; i < 5; i++) expect((await ping()).ok).toBe(true);
    expect(await metric(h, 'tollgate_circuit_state', { upstream: 'sim-openai/gpt-4o-mini' })).toBe(0);
  });
});
