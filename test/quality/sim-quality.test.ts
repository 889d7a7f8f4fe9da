// The simulator's answer quality: a right or wrong final answer by (model, question), the judge
// prompt scored by that token, run-time degradation through the admin endpoint, and off by default.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startSimulator, type SimulatorHandle } from '../../src/sim/index.js';
import { difficulty, isCorrect, pCorrect, rightToken } from '../../src/sim/quality.js';
import { judgePrompt, parseScore } from '../../src/quality/rubric.js';

const SEED = 11;
let sim: SimulatorHandle;
let off: SimulatorHandle;
let ai: OpenAI;

const questions = Array.from({ length: 40 }, (_, i) => `Question ${i}: what is the capital of region ${i * 7}, and why?`);

beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0, seed: SEED, quality: true });
  off = await startSimulator({ port: 0, latencyScale: 0, seed: SEED });
  ai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'sk-sim', maxRetries: 0 });
});
afterAll(async () => {
  await sim?.close();
  await off?.close();
});

async function ask(client: OpenAI, model: string, q: string): Promise<string> {
  const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: q }] });
  return r.choices[0]!.message.content ?? '';
}

describe('simulated answer quality', () => {
  it('difficulty and P(correct) are deterministic, and weak models lose more on hard questions', () => {
    const easy = 'Name a colour.';
    const hard = `Prove, step by step, that ${'the series converges '.repeat(30)}`;
    expect(difficulty(hard)).toBeGreaterThan(difficulty(easy));
    expect(difficulty(easy)).toBe(difficulty(easy));
    const gapEasy = pCorrect(0.95, easy) - pCorrect(0.85, easy);
    const gapHard = pCorrect(0.95, hard) - pCorrect(0.85, hard);
    expect(gapHard).toBeGreaterThan(gapEasy);
  });

  it("an answer ends with the question's right token exactly when the model is right", async () => {
    let right = 0;
    for (const q of questions) {
      const text = await ask(ai, 'gpt-4o-mini', q);
      const m = /Final answer: (Q\d+)\.$/.exec(text);
      expect(m, text.slice(-80)).not.toBeNull();
      const ok = isCorrect(SEED, 'gpt-4o-mini', 0.85, q);
      expect(m![1] === rightToken(q)).toBe(ok);
      if (ok) right++;
    }
    // some right, some wrong: the draw is not degenerate
    expect(right).toBeGreaterThan(0);
    expect(right).toBeLessThan(questions.length);
  });

  it('the Anthropic wire answers with the same quality model', async () => {
    const claude = new Anthropic({ baseURL: sim.url, apiKey: 'sk-ant-sim', maxRetries: 0 });
    const q = questions[3]!;
    const r = await claude.messages.create({ model: 'claude-3-5-haiku', max_tokens: 4096, messages: [{ role: 'user', content: q }] });
    const text = r.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    const token = /Final answer: (Q\d+)\.$/.exec(text)![1];
    expect(token === rightToken(q)).toBe(isCorrect(SEED, 'claude-3-5-haiku', 0.82, q));
  });

  it('the judge prompt is scored by the final token (mostly: the noise is small)', async () => {
    let agree = 0;
    for (const q of questions) {
      const answer = await ask(ai, 'gpt-4o-mini', q);
      const verdict = await ask(ai, 'gpt-4o', judgePrompt(undefined, q, answer));
      const score = parseScore(verdict);
      expect(score).not.toBeUndefined();
      if ((score! >= 0.5) === isCorrect(SEED, 'gpt-4o-mini', 0.85, q)) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(questions.length - 5);
  });

  it('degrading a model through the admin endpoint makes it wrong', async () => {
    const put = await fetch(`${sim.url}/_sim/models/gpt-4o-mini`, { method: 'PUT', body: JSON.stringify({ strength: 0 }) });
    expect(put.status).toBe(200);
    for (const q of questions.slice(0, 10)) {
      const text = await ask(ai, 'gpt-4o-mini', q);
      expect(text.endsWith(`Final answer: ${rightToken(q)}.`)).toBe(false);
    }
    const bad = await fetch(`${sim.url}/_sim/models/gpt-4o-mini`, { method: 'PUT', body: JSON.stringify({ strength: 2 }) });
    expect(bad.status).toBe(400);
    await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
  });

  it('is off unless configured, and switchable at run time', async () => {
    const plain = new OpenAI({ baseURL: `${off.url}/v1`, apiKey: 'sk-sim', maxRetries: 0 });
    expect(await ask(plain, 'gpt-4o', questions[0]!)).not.toContain('Final answer:');
    const put = await fetch(`${off.url}/_sim/config`, { method: 'PUT', body: JSON.stringify({ quality: true }) });
    expect(((await put.json()) as { quality: boolean }).quality).toBe(true);
    expect(await ask(plain, 'gpt-4o', questions[0]!)).toMatch(/Final answer: Q\d+\.$/);
  });
});
