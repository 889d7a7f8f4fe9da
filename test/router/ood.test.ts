// The learned router's out-of-distribution guard, through the route decision with the shipped MMLU
// weights: a prompt like the training traffic is scored; a prompt unlike it (here: chat and coding
// requests) goes to the strong tier, and the header and trail say why.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { routesConfigSchema } from '../../src/levers/router/config.js';
import { createRouterStage } from '../../src/levers/router/index.js';
import { RouterClassifier, type WeightFile } from '../../src/levers/router/classifier/model.js';
import { hashFeatures, newScratch } from '../../src/levers/router/classifier/features.js';
import { MMLU_WEIGHTS } from './e2e-helpers.js';
import { MODELS, makeCtx, request, response, routerDeps, scriptedTerminal } from './helpers.js';

const tiers = [
  { name: 'cheap', models: ['gpt-4o-mini'] },
  { name: 'strong', models: ['claude-sonnet-4'] },
];

function stage(weights: string) {
  return createRouterStage(routesConfigSchema.parse({ 'support-chat': { tiers, classifier: { weights, target: { quality_ge: 0.95 } } } }), routerDeps());
}

async function routeOf(s: ReturnType<typeof stage>, text: string) {
  const ctx = makeCtx(request(text));
  const t = scriptedTerminal(ctx, () => response('fine'));
  await s.handle(ctx, t.next);
  return { ctx, calls: t.calls, header: ctx.responseHeaders['x-tollgate-route'] as string };
}

const MMLU_LIKE = [
  'Which of the following is the body cavity that contains the pituitary gland?\nA. Abdominal\nB. Cranial\nC. Pleural\nD. Spinal\nAnswer:',
  'The longest wavelength of light a hydrogen atom emits in the Balmer series is\nA. 656 nm\nB. 486 nm\nC. 434 nm\nD. 410 nm\nAnswer:',
  'Which of these countries is landlocked?\nA. Chile\nB. Bolivia\nC. Peru\nD. Ecuador\nAnswer:',
];
const UNLIKE = [
  'hey can you write me a short poem about my cat for her birthday, she loves tuna',
  'Write a Python function that parses an ISO 8601 date string and returns a datetime, with tests.',
  'What is the best way to learn to play the guitar as an adult?',
];

describe('out-of-distribution guard (data/router/mmlu.json)', () => {
  const model = RouterClassifier.load(MMLU_WEIGHTS);
  const guard = model.ood!;

  it('the shipped weights carry a guard whose threshold came from validation', () => {
    expect(guard).toBeDefined();
    expect(guard.threshold).toBeGreaterThan(0);
    expect(guard.threshold).toBeLessThan(1);
    expect(guard.basis).toMatch(/percentile of \d+ validation prompts/);
  });

  it('scores prompts like its training traffic and refuses others to the strong tier', async () => {
    const s = stage(MMLU_WEIGHTS);
    const { threshold } = model.thresholdFor({ quality_ge: 0.95 });
    for (const p of MMLU_LIKE) {
      const a = model.assess(p);
      expect(a.ood).toBeLessThanOrEqual(guard.threshold);
      const r = await routeOf(s, p);
      expect(r.header).toMatch(/by=classifier:0\.\d+(>=|<)0\.\d+/);
      expect(r.calls[0]).toEqual(a.score >= threshold ? MODELS['claude-sonnet-4'] : MODELS['gpt-4o-mini']);
      expect(r.ctx.trail[0]!.data).not.toHaveProperty('ood');
    }
    for (const p of UNLIKE) {
      const a = model.assess(p);
      expect(a.ood).toBeGreaterThan(guard.threshold);
      const r = await routeOf(s, p);
      expect(r.calls[0]).toEqual(MODELS['claude-sonnet-4']);
      expect(r.header).toContain(';by=classifier:ood:');
      expect(r.ctx.trail[0]!.data).toMatchObject({ by: 'classifier', tier: 'strong' });
      expect(r.ctx.trail[0]!.data!.ood as number).toBeCloseTo(a.ood, 3);
      expect(r.ctx.trail[0]!.reason).toMatch(/out of the classifier's training distribution/);
    }
  });

  it('a weight file without a guard (written before it existed) scores every prompt', async () => {
    const f = JSON.parse(readFileSync(MMLU_WEIGHTS, 'utf8')) as WeightFile;
    delete f.ood;
    const path = join(mkdtempSync(join(tmpdir(), 'tg-ood-')), 'w.json');
    writeFileSync(path, JSON.stringify(f));
    const r = await routeOf(stage(path), UNLIKE[0]!);
    expect(r.header).toMatch(/by=classifier:0\.\d+(>=|<)0\.\d+/);
    expect(Number.isNaN(RouterClassifier.load(path).assess(UNLIKE[0]!).ood)).toBe(true);
  });

  it('assess gives the same score as score() (one fused pass for both models)', () => {
    for (const p of [...MMLU_LIKE, ...UNLIKE, '', 'x'.repeat(5000)]) expect(model.assess(p).score).toBeCloseTo(model.score(p), 9);
    for (const p of [...MMLU_LIKE, ...UNLIKE]) {
      expect(model.assess(p).ood).toBeCloseTo(guard.score(hashFeatures(p, undefined, model.spec, newScratch())), 9);
    }
  });
});
