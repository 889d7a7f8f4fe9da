// Shadow evaluation and self-tightening end to end: the openai SDK → the gateway (a judge in
// config) → the simulator with answer quality on. The estimate's interval must contain the gap the
// simulator's own probabilities give on the test's questions; degrading the weak model must make
// the router send more traffic to the strong tier; the judge's calls are their own ledger records.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { readLedger } from '../../src/ledger/read.js';
import { expectedJudgedScore } from '../../src/sim/quality.js';
import { HARNESS_ADMIN_KEY, startHarness, type Harness } from '../gateway/helpers.js';
import { MMLU_WEIGHTS, simModel } from '../router/e2e-helpers.js';

const routes = {
  // no classifier: everything goes to the cheap tier, so the route's quality ratio is the weak model's
  'gap-chat': {
    tiers: [
      { name: 'cheap', models: ['gpt-4o-mini'] },
      { name: 'strong', models: ['gpt-4o'] },
    ],
    default_tier: 'cheap',
  },
  learned: {
    tiers: [
      { name: 'cheap', models: ['gpt-4o-mini'] },
      { name: 'strong', models: ['gpt-4o'] },
    ],
    classifier: { weights: MMLU_WEIGHTS, target: { quality_ge: 0.95 } },
  },
};

// MMLU-style questions (in the MMLU weights' distribution, as in test/router/eval-outcomes.test.ts):
// equations (mostly sent weak) and "which of these" questions (mostly strong)
const CATEGORIES = ['a noble gas', 'a prime number', 'a mammal', 'an igneous rock', 'a primary colour', 'a renewable energy source'];
const mmlu = (i: number): string => {
  if (i % 2 === 0) {
    const [a, b] = [2 + (i % 7), 3 + (i % 11)];
    const x = 1 + (i % 9);
    return `Find the value of x if ${a}x + ${b} = ${a * x + b + i * a}.\nA. ${x}\nB. ${x + 2}\nC. ${x + 5}\nD. ${2 * x + 1}\nAnswer:`;
  }
  return `Which of the following is ${CATEGORIES[i % CATEGORIES.length]}? (question ${i})\nA. Oxygen\nB. Neon\nC. Granite\nD. Basalt\nAnswer:`;
};

let h: Harness;
let ai: OpenAI;

async function ask(model: string, content: string): Promise<string> {
  const r = await ai.chat.completions.create({ model, messages: [{ role: 'user', content }], max_tokens: 4096 });
  return r.model;
}

async function quality(): Promise<{ dropped: number; routes: Record<string, { n: number; estimate: number; interval: [number, number]; target: number | null; threshold: number | null; tightened: number; weakMean: number; strongMean: number }> }> {
  const res = await fetch(`${h.gw.url}/admin/quality`, { headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

beforeAll(async () => {
  h = await startHarness(
    { routes, judge: { model: 'gpt-4o', sampleRate: 0, shadowRate: 1, minSamples: 20, queueSize: 1000, tightenStep: 0.1 } },
    { quality: true },
  );
  ai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'test-key', maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
});

describe('shadow evaluation', () => {
  it("estimates the weak tier's quality ratio with an interval that contains the simulator's true gap", { timeout: 300_000 }, async () => {
    const questions = Array.from({ length: 200 }, (_, i) => `Question ${i}: ${i % 3 === 0 ? 'derive' : 'state'} the value of item ${i * 13} in the catalogue.`);
    for (const q of questions) expect(await ask('gap-chat', q)).toBe('gpt-4o-mini');
    await h.gw.engine.quality!.idle();
    const r = (await quality()).routes['gap-chat']!;
    // what the simulator's judge scores on average, from its own probabilities (strengths 0.85 / 0.95)
    const truth = questions.reduce((s, q) => s + expectedJudgedScore(0.85, q), 0) / questions.reduce((s, q) => s + expectedJudgedScore(0.95, q), 0);
    console.log(`[shadow] true ratio ${truth.toFixed(3)}; estimate ${r.estimate.toFixed(3)} [${r.interval.map((x) => x.toFixed(3)).join(', ')}] (weak ${r.weakMean.toFixed(3)}, strong ${r.strongMean.toFixed(3)})`);
    expect(r.n).toBe(200);
    expect(r.interval[0]).toBeLessThanOrEqual(truth);
    expect(r.interval[1]).toBeGreaterThanOrEqual(truth);
    expect(r.interval[1] - r.interval[0]).toBeLessThan(0.3);
    expect(r.weakMean).toBeLessThan(r.strongMean);
    // no classifier target: nothing to tighten
    expect(r.target).toBeNull();
    expect(r.tightened).toBe(0);
  });

  it('writes the judge and shadow calls as their own priced records, not as user traffic', async () => {
    await h.gw.ledger.flush();
    const records = readLedger(h.dataDir, { last: 5000 });
    const judged = records.filter((r) => r.endpoint === 'internal:judge');
    const shadows = records.filter((r) => r.endpoint === 'internal:shadow');
    expect(judged.length).toBe(400);
    expect(shadows.length).toBe(200);
    for (const r of [...judged, ...shadows]) expect(r.keyId).toBe('tollgate:judge');
    expect(judged.every((r) => r.attempts?.length === 1 && r.attempts[0]!.purpose === 'judge' && r.attempts[0]!.costUsd > 0 && r.costUsd > 0)).toBe(true);
    expect(shadows.every((r) => r.attempts?.[0]?.purpose === 'shadow' && r.model === 'gpt-4o')).toBe(true);
    // the user's own records carry none of these attempts
    const user = records.filter((r) => r.route === 'gap-chat');
    expect(user.length).toBe(200);
    expect(user.every((r) => (r.attempts ?? []).every((a) => a.purpose === undefined))).toBe(true);
  });
});

describe('the router tightens itself', () => {
  it('raises the strong share of a route when the simulator degrades its weak model', { timeout: 600_000 }, async () => {
    const probe = Array.from({ length: 60 }, (_, i) => mmlu(i));
    const strongShare = async (): Promise<number> => {
      let strong = 0;
      for (const q of probe) if ((await ask('learned', q)) === 'gpt-4o') strong++;
      return strong / probe.length;
    };
    // a weak model as good as the strong one: the estimate holds the target, nothing moves
    await simModel(h, 'gpt-4o-mini', { strength: 1 });
    const before = await strongShare();
    await h.gw.engine.quality!.idle();
    let q = await quality();
    const initialThreshold = q.routes['learned']!.threshold!;
    expect(q.routes['learned']!.tightened).toBe(0);
    expect(q.routes['learned']!.target).toBe(0.95);
    expect(before).toBeLessThan(0.9);

    // degrade it: the shadow pairs show the loss and the route tightens
    await simModel(h, 'gpt-4o-mini', { strength: 0.2 });
    for (let round = 0; round < 4 && q.routes['learned']!.tightened === 0; round++) {
      for (let i = 0; i < 60; i++) await ask('learned', mmlu(100 + round * 60 + i));
      await h.gw.engine.quality!.idle();
      q = await quality();
    }
    expect(q.routes['learned']!.tightened).toBeGreaterThanOrEqual(1);
    expect(q.routes['learned']!.threshold!).toBeLessThan(initialThreshold);

    const after = await strongShare();
    expect(after).toBeGreaterThan(before);

    // the trail says so, once, on the next routed request
    await h.gw.ledger.flush();
    const tightened = readLedger(h.dataDir, { last: 5000 }).filter((r) => r.route === 'learned' && r.trail.some((t) => t.stage === 'router' && t.decision === 'tightened'));
    expect(tightened.length).toBeGreaterThanOrEqual(1);
    expect(tightened[0]!.trail.find((t) => t.decision === 'tightened')!.reason).toMatch(/upper bound .* < target 0\.95/);
    expect(q.dropped).toBe(0);
  });
});
