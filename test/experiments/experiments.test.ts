// Experiments (issue 9): sticky arms, an always-valid sequential verdict checked at every look, a
// good variant ramped to 100% and a variant the simulator makes worse rolled back automatically,
// each step a flag change in the audit log with its reason.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inVariant } from '../../src/experiments/assign.js';
import { addTo, compare, emptyMoments } from '../../src/experiments/sequential.js';
import { HARNESS_ADMIN_KEY, startHarness, type Harness } from '../gateway/helpers.js';

const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) =>
    execFile(process.execPath, [join(import.meta.dirname, '../../bin/tollgate.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, TOLLGATE_ADMIN_KEY: HARNESS_ADMIN_KEY }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('the sequential test', () => {
  it('checked after every batch, it calls two identical arms different in at most about alpha of experiments', () => {
    const r = rng(42);
    const normal = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    let falseAlarms = 0;
    const runs = 300;
    for (let k = 0; k < runs; k++) {
      const a = emptyMoments(), b = emptyMoments();
      for (let look = 0; look < 40; look++) {
        for (let i = 0; i < 10; i++) {
          addTo(a, 100 + 10 * normal());
          addTo(b, 100 + 10 * normal());
        }
        const c = compare(a, b, 0.05, 5)!;
        if (c.ci[0] > 0 || c.ci[1] < 0) {
          falseAlarms++;
          break;
        }
      }
    }
    // a fixed-sample 95% interval looked at 40 times would exceed 5% several times over
    expect(falseAlarms / runs).toBeLessThanOrEqual(0.06);
  });

  it('finds a real difference, and its interval covers it', () => {
    const r = rng(7);
    const a = emptyMoments(), b = emptyMoments();
    for (let i = 0; i < 2000; i++) {
      addTo(a, r() < 0.02 ? 1 : 0);
      addTo(b, r() < 0.12 ? 1 : 0);
    }
    const c = compare(a, b, 0.05, 0.02)!;
    expect(c.ci[0]).toBeGreaterThan(0);
    expect(c.ci[0]).toBeLessThan(0.1);
    expect(c.ci[1]).toBeGreaterThan(0.1);
  });

  it('assignment is sticky: raising the share never moves a caller out of the variant', () => {
    for (let i = 0; i < 2000; i++) {
      const id = `session-${i}`;
      let was = false;
      for (const share of [1, 5, 25, 50, 100]) {
        const now = inVariant('exp', id, share);
        if (was) expect(now).toBe(true);
        was = now;
      }
      expect(inVariant('exp', id, 0)).toBe(false);
    }
    const inAt25 = Array.from({ length: 10_000 }, (_, i) => inVariant('exp', `u${i}`, 25)).filter(Boolean).length;
    expect(inAt25 / 10_000).toBeGreaterThan(0.23);
    expect(inAt25 / 10_000).toBeLessThan(0.27);
  });
});

describe('experiments through the gateway', () => {
  let h: Harness;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${h.gw.url}${path}`, { method, headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  let sessions = 0;
  /** n requests to `model`, each in a session of its own, 8 at a time; returns the models that answered */
  const traffic = async (model: string, n: number): Promise<string[]> => {
    const out: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < n) {
          next++;
          const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'Bearer demo-client', 'x-tollgate-session': `s-${sessions++}` },
            body: JSON.stringify({ model, messages: [{ role: 'user', content: `question number ${sessions}` }], max_tokens: 16 }),
          });
          const j = (await res.json()) as { model?: string };
          out.push(res.ok ? j.model! : `error:${res.status}`);
        }
      }),
    );
    return out;
  };

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('ramps a cheaper variant that keeps its guardrails to 100%, one audited step at a time', { timeout: 300_000 }, async () => {
    const start = await admin('POST', '/admin/experiments', {
      name: 'mini-for-4o',
      target: 'gpt-4o',
      variant: { model: 'gpt-4o-mini' },
      ramp: [10, 50, 100],
      minStepMinutes: 0,
      minSamples: 30,
      guardrails: { latencyIncrease: 20 }, // the simulator answers in ~1 ms: latency noise on a busy box is not the point here
    });
    expect(start.status).toBe(200);
    expect(start.body).toMatchObject({ state: 'running', sharePercent: 10 });
    let status = start.body;
    for (let round = 0; round < 40 && status.state === 'running'; round++) {
      const models = await traffic('gpt-4o', 60);
      expect(models.every((m) => m === 'gpt-4o' || m === 'gpt-4o-mini')).toBe(true);
      status = (await admin('POST', '/admin/experiments/evaluate')).body.experiments[0];
    }
    expect(status).toMatchObject({ state: 'completed', sharePercent: 100 });
    expect(new Set(await traffic('gpt-4o', 20))).toEqual(new Set(['gpt-4o-mini']));
    const audit = (await admin('GET', '/admin/flags/audit?limit=100')).body.changes.filter((c: { name: string }) => c.name === 'experiment:mini-for-4o');
    expect(audit.map((c: { after: { value: number } }) => c.after.value).reverse()).toEqual([10, 50, 100]);
    expect(audit[0].reason).toMatch(/guardrails hold .*cost_per_request_usd/);
    expect(audit[0].by).toBe('experiment:auto');
  });

  it('rolls back a variant the simulator makes fail, automatically, with the breached guardrail as the reason', { timeout: 300_000 }, async () => {
    // the variant's model fails half its requests with a non-retryable quota error
    const put = await fetch(`${h.sim.url}/_sim/models/gemini-2.0-flash`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults: 'quota;p=0.5' }) });
    expect(put.status).toBe(200);
    const start = await admin('POST', '/admin/experiments', { name: 'flash-for-mini', target: 'gpt-4o-mini', variant: { model: 'gemini-2.0-flash' }, ramp: [25, 100], minStepMinutes: 0, minSamples: 30 });
    expect(start.status).toBe(200);
    let status = start.body;
    for (let round = 0; round < 40 && status.state === 'running'; round++) {
      await traffic('gpt-4o-mini', 60);
      status = (await admin('POST', '/admin/experiments/evaluate')).body.experiments.find((e: { def: { name: string } }) => e.def.name === 'flash-for-mini');
    }
    expect(status).toMatchObject({ state: 'rolled_back', sharePercent: 0 });
    expect(status.reason).toMatch(/^guardrail error_rate: variant 0\.\d+ vs control 0/);
    expect(status.guardrails.find((g: { metric: string }) => g.metric === 'error_rate').verdict).toBe('breached');
    // after the rollback nobody is sent to the variant
    expect(new Set(await traffic('gpt-4o-mini', 20))).toEqual(new Set(['gpt-4o-mini']));
    const [last] = (await admin('GET', '/admin/flags/audit?limit=5')).body.changes;
    expect(last).toMatchObject({ name: 'experiment:flash-for-mini', by: 'experiment:auto', after: { value: 0 } });
    expect(last.reason).toMatch(/rolled back: guardrail error_rate/);
  });

  it('`tollgate experiment start|status|stop` drive it through the admin API', { timeout: 120_000 }, async () => {
    const start = await cli(['experiment', 'start', 'cli-exp', '--target', 'claude-3-5-haiku', '--model', 'gpt-4o-mini', '--ramp', '10,100', '--url', h.gw.url]);
    expect(start.stderr).toBe('');
    expect(start.stdout).toMatch(/^cli-exp on claude-3-5-haiku: running, variant share 10% \(ramp 10 → 100\)/);
    const status = await cli(['experiment', 'status', 'cli-exp', '--json', '--url', h.gw.url]);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'running', sharePercent: 10, guardrails: expect.any(Array) });
    const stop = await cli(['experiment', 'stop', 'cli-exp', '--reason', 'done from the CLI', '--url', h.gw.url]);
    expect(stop.stdout).toMatch(/stopped, variant share 0%/);
    expect((await cli(['experiment', 'status', 'no-such', '--url', h.gw.url])).stderr).toMatch(/404: No experiment 'no-such'/);
  });

  it('refuses a variant the config cannot honour, a second experiment on one target, and a stop without a reason', async () => {
    expect((await admin('POST', '/admin/experiments', { name: 'x', target: 'gpt-4o', variant: { model: 'gpt-5' } })).status).toBe(400);
    expect((await admin('POST', '/admin/experiments', { name: 'x', target: 'gpt-4o', variant: {} })).status).toBe(400);
    expect((await admin('POST', '/admin/experiments', { name: 'x', target: 'gpt-4o', variant: { model: 'claude-3-5-haiku' }, ramp: [50, 20, 100] })).status).toBe(400);
    expect((await admin('POST', '/admin/experiments', { name: 'y', target: 'claude-sonnet-4', variant: { model: 'claude-3-5-haiku' } })).status).toBe(200);
    expect((await admin('POST', '/admin/experiments', { name: 'z', target: 'claude-sonnet-4', variant: { model: 'gpt-4o' } })).status).toBe(400);
    expect((await admin('POST', '/admin/experiments/stop?name=y')).status).toBe(400);
    const stopped = await admin('POST', '/admin/experiments/stop?name=y&reason=not+needed');
    expect(stopped.body).toMatchObject({ state: 'stopped', sharePercent: 0, reason: 'not needed' });
  });
});
