// The experiments' quality guardrail (issue 9): with a judge configured, each arm's answers are
// judged (sampled) and a variant whose answers are worse with confidence is rolled back
// automatically, the flag change's reason naming `guardrail quality`. The variant sends the traffic
// to a weak model the simulator degrades, so it is wrong on hard questions; every other guardrail
// (errors, latency, cost: it is cheaper) holds, so quality is what rolls it back.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HARNESS_ADMIN_KEY, startHarness, type Harness } from '../gateway/helpers.js';
import { simModel } from '../router/e2e-helpers.js';
import { startRestartable } from '../quality/restartable.js';

let h: Harness;
const admin = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${h.gw.url}${path}`, { method, headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

let asked = 0;
/** n hard questions to `model`, each in a session of its own, 4 at a time */
async function traffic(model: string, n: number): Promise<string[]> {
  const out: string[] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (left-- > 0) {
        const i = asked++;
        const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer demo-client', 'x-tollgate-session': `q-${i}` },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: `Prove, step by step, why the optimal strategy in game ${i} is unique.` }], max_tokens: 4096 }),
        });
        const j = (await res.json()) as { model?: string };
        out.push(res.ok ? j.model! : `error:${res.status}`);
      }
    }),
  );
  return out;
}

beforeAll(async () => {
  h = await startHarness({ judge: { model: 'gpt-4o', sampleRate: 1, queueSize: 2000 } }, { quality: true });
  // the weak model is wrong on most hard questions
  await simModel(h, 'gpt-4o-mini', { strength: 0.3 });
});
afterAll(async () => {
  await h?.close();
});

it('rolls back a variant whose answers the judge finds worse, with guardrail quality as the reason', { timeout: 300_000 }, async () => {
  const start = await admin('POST', '/admin/experiments', {
    name: 'mini-for-hard',
    target: 'gpt-4o',
    variant: { model: 'gpt-4o-mini' },
    ramp: [50, 100],
    minStepMinutes: 0,
    minSamples: 30,
    guardrails: { latencyIncrease: 20 }, // the simulator answers in ~1 ms: latency noise on a busy box is not the point here
  });
  expect(start.status).toBe(200);
  expect(start.body.guardrails.map((g: { metric: string }) => g.metric)).toEqual(['error_rate', 'latency_ms', 'cost_per_request_usd', 'quality']);
  let status = start.body;
  for (let round = 0; round < 20 && status.state === 'running'; round++) {
    const models = await traffic('gpt-4o', 40);
    expect(models.every((m) => m === 'gpt-4o' || m === 'gpt-4o-mini')).toBe(true);
    await h.gw.engine.quality!.idle();
    status = (await admin('POST', '/admin/experiments/evaluate')).body.experiments[0];
  }
  expect(status).toMatchObject({ state: 'rolled_back', sharePercent: 0 });
  expect(status.reason).toMatch(/^guardrail quality: variant 0\.\d+ vs control (1|0\.\d+), difference 0\.\d+/);
  const rails = Object.fromEntries(status.guardrails.map((g: { metric: string; verdict: string }) => [g.metric, g]));
  expect(rails.quality.verdict).toBe('breached');
  expect(rails.quality.variant).toBeLessThan(rails.quality.control);
  expect(rails.error_rate.verdict).not.toBe('breached');
  expect(rails.cost_per_request_usd.verdict).not.toBe('breached');
  expect(status.arms.variant.judged).toBeGreaterThan(0);
  expect(status.arms.control.judged).toBeGreaterThan(0);
  console.log(`[quality-guardrail] rolled back after ${status.arms.control.requests + status.arms.variant.requests} requests: quality ${rails.quality.control.toFixed(3)} (control) vs ${rails.quality.variant.toFixed(3)} (variant), interval of the drop ${rails.quality.comparison.ci.map((x: number) => x.toFixed(3)).join('..')}`);

  // the rollback is an audited flag change, and nobody goes to the variant afterwards
  const [last] = (await admin('GET', '/admin/flags/audit?limit=5')).body.changes;
  expect(last).toMatchObject({ name: 'experiment:mini-for-hard', by: 'experiment:auto', after: { value: 0 } });
  expect(last.reason).toMatch(/rolled back: guardrail quality/);
  expect(new Set(await traffic('gpt-4o', 12))).toEqual(new Set(['gpt-4o']));
});

it("keeps the arms' figures, judged quality included, across a restart on the same data dir", { timeout: 300_000 }, async () => {
  const r = await startRestartable(() => ({ judge: { model: 'gpt-4o', sampleRate: 1, queueSize: 2000 } }), { quality: true });
  try {
    const start = await r.admin('POST', '/admin/experiments', { name: 'kept', target: 'gpt-4o', variant: { model: 'gpt-4o-mini' }, ramp: [50, 100], minStepMinutes: 0, minSamples: 100000, guardrails: { latencyIncrease: 20, qualityDecrease: 1 } });
    expect(start.status).toBe(200);
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${r.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo-client', 'x-tollgate-session': `k-${i}` },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: `Name a colour, case ${i}.` }], max_tokens: 4096 }),
      });
      expect(res.status).toBe(200);
    }
    await r.gw.engine.quality!.idle();
    const before = (await r.admin('POST', '/admin/experiments/evaluate')).body.experiments[0];
    expect(before.state).toBe('running');
    expect(before.arms.control.requests + before.arms.variant.requests).toBe(30);
    expect(before.arms.control.judged + before.arms.variant.judged).toBe(30);
    expect(before.figures).toBeUndefined(); // the saved copy is the store's, not the API's
    await r.restart();
    const after = (await r.admin('GET', '/admin/experiments/status?name=kept')).body;
    expect(after.state).toBe('running');
    expect(after.arms).toEqual(before.arms);
    expect(after.guardrails.map((g: { metric: string; control: number | null }) => [g.metric, g.control])).toEqual(before.guardrails.map((g: { metric: string; control: number | null }) => [g.metric, g.control]));
  } finally {
    await r.close();
  }
});
