// The routing lever end to end: the official openai SDK → the real gateway (demo config + routes) →
// the simulator. Rules, the learned classifier, cascades, fallbacks on error classes and the quota
// rule are checked on what the client sees (x-tollgate-route) and on what the ledger keeps.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { RouterClassifier } from '../../src/levers/router/classifier/model.js';
import { startHarness, type Harness } from '../gateway/helpers.js';
import { chat, client, MMLU_WEIGHTS, parseRouteHeader, recordOf, simModel, simRequests } from './e2e-helpers.js';

const routes = {
  'support-chat': {
    tiers: [
      { name: 'cheap', models: ['gpt-4o-mini'] },
      { name: 'strong', models: ['gpt-4o'] },
    ],
    rules: [
      { name: 'legal', when: { keywords: ['indemnify', 'force majeure', 'arbitration'] }, tier: 'strong' },
      { name: 'math', when: { regex: ['(?i)\\bprove\\b'] }, tier: 'strong' },
      { name: 'short', when: { input_tokens_lt: 200 }, tier: 'cheap' },
    ],
    default_tier: 'strong',
    baseline: 'gpt-4o',
  },
  'learned-chat': {
    tiers: [
      { name: 'cheap', models: ['gpt-4o-mini'] },
      { name: 'strong', models: ['gpt-4o'] },
    ],
    classifier: { weights: MMLU_WEIGHTS, target: { quality_ge: 0.95 } },
  },
  'cascade-chat': {
    tiers: [
      { name: 'cheap', models: ['gpt-4o-mini'] },
      { name: 'strong', models: ['gpt-4o'] },
    ],
    cascade: { checks: ['empty', 'truncated'] },
    baseline: 'gpt-4o',
  },
  'fallback-chat': {
    tiers: [{ name: 'cheap', models: ['gpt-4o-mini'] }],
    fallbacks: ['claude-3-5-haiku'],
  },
  'haiku-first': {
    tiers: [{ name: 'cheap', models: ['claude-3-5-haiku'] }],
    fallbacks: ['gpt-4o-mini'],
  },
  'quota-chat': {
    // both tiers at one provider: out of money at OpenAI means out of money for gpt-4o too
    tiers: [
      { name: 'cheap', models: ['gpt-4o-mini'] },
      { name: 'strong', models: ['gpt-4o'] },
    ],
  },
};

const retry = {
  max_retries: 1,
  base_delay_ms: 1,
  max_delay_ms: 5,
  // the breaker has its own test file; here one failing model must not trip it
  breaker: { enabled: false },
};

let h: Harness;
let ai: OpenAI;

beforeAll(async () => {
  h = await startHarness({ routes, retry });
  ai = client(h);
});
afterAll(async () => {
  await h?.close();
});
afterEach(async () => {
  await simModel(h, 'gpt-4o-mini', { faults: '' });
  await simModel(h, 'claude-3-5-haiku', { faults: '' });
});

describe('rules through the gateway', () => {
  it('a keyword sends a request to the strong tier, a short one to the cheap tier; header and ledger say why', async () => {
    const legal = await chat(ai, { model: 'support-chat', content: 'Does clause 7 require us to indemnify the vendor for late delivery?' });
    expect(legal.ok).toBe(true);
    expect(parseRouteHeader(legal.route)).toMatchObject({ route: 'support-chat', tier: 'strong', model: 'gpt-4o', by: 'rule:legal' });

    const short = await chat(ai, { model: 'support-chat', content: 'What are your opening hours?' });
    expect(short.ok).toBe(true);
    expect(parseRouteHeader(short.route)).toMatchObject({ route: 'support-chat', tier: 'cheap', model: 'gpt-4o-mini', by: 'rule:short' });

    // a long prompt with no keyword matches no rule: the default tier
    const long = await chat(ai, { model: 'support-chat', content: 'Please summarise our refund policy for a customer. '.repeat(40) });
    expect(parseRouteHeader(long.route)).toMatchObject({ tier: 'strong', by: 'default' });

    const legalRec = await recordOf(h, legal.id);
    expect(legalRec).toMatchObject({ route: 'support-chat', requestedModel: 'support-chat', model: 'gpt-4o', status: 'ok', baselineModel: 'gpt-4o' });
    const legalRoute = legalRec.trail.find((t) => t.stage === 'router' && t.decision === 'route');
    expect(legalRoute?.data).toMatchObject({ tier: 'strong', model: 'gpt-4o', by: 'rule', rule: 'legal' });
    // asked-for = routed-to: the baseline is what was paid
    expect(legalRec.baselineCostUsd).toBeCloseTo(legalRec.costUsd, 12);

    const shortRec = await recordOf(h, short.id);
    expect(shortRec).toMatchObject({ route: 'support-chat', model: 'gpt-4o-mini', provider: 'sim-openai', status: 'ok', baselineModel: 'gpt-4o' });
    expect(shortRec.trail.find((t) => t.stage === 'router')?.reason).toContain('rule short');
    expect(shortRec.attempts).toHaveLength(1);
    expect(shortRec.costUsd).toBeGreaterThan(0);
    // the counterfactual: the same tokens on gpt-4o cost ~16x more than on gpt-4o-mini
    expect(shortRec.baselineCostUsd!).toBeGreaterThan(shortRec.costUsd * 10);
  });

  it('a regex rule matches case-insensitively', async () => {
    const r = await chat(ai, { model: 'support-chat', content: 'PROVE that the square root of 2 is irrational.' });
    expect(parseRouteHeader(r.route)).toMatchObject({ tier: 'strong', by: 'rule:math' });
  });
});

describe('routes for every client and mode', () => {
  it('routes a streaming request; the header arrives with the stream and the ledger has the routed model', async () => {
    const { data: stream, response } = await ai.chat.completions
      .create({ model: 'support-chat', messages: [{ role: 'user', content: 'Can we invoke force majeure for the delay?' }], stream: true, stream_options: { include_usage: true } }, { headers: { 'x-sim-output-tokens': '12' } })
      .withResponse();
    expect(parseRouteHeader(response.headers.get('x-tollgate-route'))).toMatchObject({ tier: 'strong', model: 'gpt-4o', by: 'rule:legal' });
    let text = '';
    let usage: { completion_tokens: number } | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBe(12);
    const rec = await recordOf(h, response.headers.get('x-tollgate-request-id')!);
    expect(rec).toMatchObject({ route: 'support-chat', model: 'gpt-4o', stream: true, status: 'ok' });
  });

  it('never cascades a stream (its first bytes are already with the client)', async () => {
    const { data: stream, response } = await ai.chat.completions
      .create({ model: 'cascade-chat', messages: [{ role: 'user', content: 'Explain refunds.' }], max_tokens: 8, stream: true }, { headers: { 'x-sim-output-tokens': '200' } })
      .withResponse();
    let finish: string | null | undefined;
    for await (const c of stream) finish = c.choices[0]?.finish_reason ?? finish;
    expect(finish).toBe('length');
    const hdr = parseRouteHeader(response.headers.get('x-tollgate-route'));
    expect(hdr).toMatchObject({ route: 'cascade-chat', model: 'gpt-4o-mini' });
    expect(hdr.mode).toBeUndefined();
    expect(hdr.cascade).toBeUndefined();
    const rec = await recordOf(h, response.headers.get('x-tollgate-request-id')!);
    expect(rec.model).toBe('gpt-4o-mini');
    expect(rec.attempts).toHaveLength(1);
  });

  it('an Anthropic client asking for a route is answered by the OpenAI model the rules chose, in Anthropic format', async () => {
    const anthropic = new Anthropic({ baseURL: h.gw.url, apiKey: 'test-key', maxRetries: 0 });
    const { data: msg, response } = await anthropic.messages
      .create({ model: 'support-chat', max_tokens: 50, messages: [{ role: 'user', content: 'What are your opening hours?' }] })
      .withResponse();
    expect(msg.type).toBe('message');
    expect(msg.content[0]?.type).toBe('text');
    expect(parseRouteHeader(response.headers.get('x-tollgate-route'))).toMatchObject({ tier: 'cheap', model: 'gpt-4o-mini', by: 'rule:short' });
    const rec = await recordOf(h, response.headers.get('x-tollgate-request-id')!);
    expect(rec).toMatchObject({ apiFormat: 'anthropic', route: 'support-chat', provider: 'sim-openai', model: 'gpt-4o-mini', status: 'ok' });
    expect(msg.usage.output_tokens).toBe(rec.usage.output);
  });
});

describe('the learned classifier', () => {
  it('decides by score against the threshold the weight file gives for quality ≥ 95%', async () => {
    const model = RouterClassifier.load(MMLU_WEIGHTS);
    const { threshold } = model.thresholdFor({ quality_ge: 0.95 });
    const prompts = [
      'What is the capital of France?\nA. Paris\nB. Rome\nC. Berlin\nD. Madrid',
      'Which of the following is a synonym for happy?\nA. sad\nB. joyful\nC. angry\nD. tired',
      'Let G be a group of order 15. Find the number of Sylow 5-subgroups of G and prove that G is cyclic.\nA. 1\nB. 3\nC. 5\nD. 15',
      'Find the degree of the field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6',
      'Compute the integral of x^2 * e^(3x) dx from 0 to 1 and the eigenvalues of the matrix [[2,1],[1,3]].',
      'Statement 1 | Every homomorphic image of a group is isomorphic to a factor group. Statement 2 | If H is a normal subgroup of G then G/H is abelian.\nA. True, True\nB. False, False\nC. True, False\nD. False, True',
      'hi',
    ];
    // prompts the out-of-distribution guard refuses go to strong unscored (test/router/ood.test.ts)
    const scored = prompts
      .filter((p) => !(model.assess(p).ood > model.ood!.threshold))
      .map((p) => ({ p, s: model.score(p) }))
      .sort((a, b) => a.s - b.s);
    const low = scored[0]!;
    const high = scored.at(-1)!;
    // the probe set straddles the operating point, so both branches are exercised
    expect(low.s).toBeLessThan(threshold);
    expect(high.s).toBeGreaterThanOrEqual(threshold);

    for (const { p, s } of [low, high]) {
      const r = await chat(ai, { model: 'learned-chat', content: p });
      expect(r.ok).toBe(true);
      const hdr = parseRouteHeader(r.route);
      const want = s >= threshold ? { tier: 'strong', model: 'gpt-4o' } : { tier: 'cheap', model: 'gpt-4o-mini' };
      expect(hdr).toMatchObject({ route: 'learned-chat', ...want });
      expect(hdr.by).toMatch(/^classifier:/);
      const [score, thr] = hdr.by!.slice('classifier:'.length).split(/>=|</).map(Number);
      expect(score).toBeCloseTo(s, 3);
      expect(thr).toBeCloseTo(threshold, 3);

      const rec = await recordOf(h, r.id);
      expect(rec.model).toBe(want.model);
      const route = rec.trail.find((t) => t.stage === 'router' && t.decision === 'route')!;
      expect(route.data).toMatchObject({ by: 'classifier' });
      expect(route.data!.score as number).toBeCloseTo(s, 3);
      expect(String(route.data!.basis)).toContain('quality_ge 0.95');
    }
  });
});

describe('cascade', () => {
  it('escalates a truncated cheap answer to the strong tier; both attempts are in the ledger with their costs', async () => {
    // the simulator is asked for 200 tokens, max_tokens cuts it at 8: finish_reason "length"
    const r = await chat(ai, { model: 'cascade-chat', content: 'Explain how a refund is processed.', max_tokens: 8 }, { 'x-sim-output-tokens': '200' });
    expect(r.ok).toBe(true);
    expect(r.route).toContain('cascade=cheap(truncated)>strong');
    expect(parseRouteHeader(r.route)).toMatchObject({ tier: 'strong', model: 'gpt-4o' });

    const rec = await recordOf(h, r.id);
    expect(rec.model).toBe('gpt-4o');
    expect(rec.attempts!.map((a) => a.model)).toEqual(['gpt-4o-mini', 'gpt-4o']);
    for (const a of rec.attempts!) {
      expect(a.status).toBe(200);
      expect(a.costUsd).toBeGreaterThan(0);
    }
    // the request pays for both answers
    const sum = rec.attempts!.reduce((s, a) => s + a.costUsd, 0);
    expect(rec.costUsd).toBeCloseTo(sum, 12);
    const esc = rec.trail.find((t) => t.stage === 'router' && t.decision === 'escalate');
    expect(esc?.data).toMatchObject({ from: 'gpt-4o-mini', to: 'gpt-4o' });
    expect(String(esc?.reason)).toContain('length');
  });

  it('keeps a complete cheap answer: one attempt, no escalation', async () => {
    const r = await chat(ai, { model: 'cascade-chat', content: 'Say thanks.', max_tokens: 100 }, { 'x-sim-output-tokens': '10' });
    expect(r.ok).toBe(true);
    expect(r.route).not.toContain('cascade=');
    const rec = await recordOf(h, r.id);
    expect(rec.model).toBe('gpt-4o-mini');
    expect(rec.attempts).toHaveLength(1);
    expect(rec.trail.some((t) => t.decision === 'escalate')).toBe(false);
  });
});

describe('fallbacks on error classes', () => {
  it.each([
    { route: 'fallback-chat', failing: 'gpt-4o-mini', fault: '503;retry-after=0', errorClass: 'server', status: 503, to: 'claude-3-5-haiku' },
    { route: 'haiku-first', failing: 'claude-3-5-haiku', fault: '529;retry-after=0', errorClass: 'overloaded', status: 529, to: 'gpt-4o-mini' },
  ])('$failing answering $status: the request succeeds on $to and the ledger has the failed attempts', async ({ route, failing, fault, errorClass, status, to }) => {
    await simModel(h, failing, { faults: fault });
    const before = await simRequests(h, failing);
    const r = await chat(ai, { model: route, content: 'Where is my order?' });
    expect(r.ok).toBe(true);
    expect(r.status).toBe(200);

    const rec = await recordOf(h, r.id);
    expect(rec.status).toBe('ok');
    expect(rec.model).toBe(to);
    // first attempt + one retry (max_retries: 1) on the failing model, then the fallback
    const failed = rec.attempts!.filter((a) => a.status !== 200);
    expect(failed.length).toBe(2);
    for (const a of failed) expect(a).toMatchObject({ model: failing, status, errorClass });
    expect(rec.attempts!.at(-1)).toMatchObject({ model: to, status: 200 });
    expect(await simRequests(h, failing)).toBe(before + 2);
    const decisions = rec.trail.filter((t) => t.stage === 'execute').map((t) => t.decision);
    expect(decisions).toEqual(['retry', 'no_retry', 'fallback', 'fallback_ok']);
    expect(rec.trail.find((t) => t.decision === 'no_retry')?.reason).toContain('max_retries 1 reached');
    expect(rec.trail.find((t) => t.decision === 'fallback')?.data).toMatchObject({ errorClass });
  });

  it('without a fallback the client gets the upstream error, and every attempt is recorded', async () => {
    await simModel(h, 'gpt-4o-mini', { faults: '503;retry-after=0' });
    const r = await chat(ai, { model: 'gpt-4o-mini', content: 'hello' });
    expect(r.ok).toBe(false);
    const rec = await recordOf(h, r.id);
    expect(rec.status).toBe('error');
    expect(rec.attempts!.map((a) => a.status)).toEqual([503, 503]);
  });
});

describe('quota errors are never retried', () => {
  it('a plain model: exactly one attempt', async () => {
    const before = await simRequests(h, 'gpt-4o-mini');
    const r = await chat(ai, { model: 'gpt-4o-mini', content: 'hello' }, { 'x-sim-fault': 'quota' });
    expect(r.ok).toBe(false);
    expect(r.status).toBe(429);
    expect(JSON.stringify(r.error?.error)).toContain('insufficient_quota');
    const rec = await recordOf(h, r.id);
    expect(rec.errorClass).toBe('quota');
    expect(rec.attempts).toHaveLength(1);
    expect(rec.trail.find((t) => t.decision === 'no_retry')?.reason).toContain('never retried');
    expect(await simRequests(h, 'gpt-4o-mini')).toBe(before + 1);
  });

  it('a route: the same provider\'s other models are not tried either', async () => {
    const r = await chat(ai, { model: 'quota-chat', content: 'hello' }, { 'x-sim-fault': 'quota' });
    expect(r.ok).toBe(false);
    expect(r.status).toBe(429);
    const rec = await recordOf(h, r.id);
    expect(rec.route).toBe('quota-chat');
    expect(rec.attempts).toHaveLength(1);
    expect(rec.attempts![0]).toMatchObject({ model: 'gpt-4o-mini', status: 429, errorClass: 'quota' });
  });
});
