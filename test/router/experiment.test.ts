// The within/across evaluation on two small synthetic outcome sets: each set is trained on alone and
// together, reported on its own test split and on the other set, with prompts seen in training left
// out, and random and the task-tag lookup beside the learned router.

import { describe, expect, it } from 'vitest';
import type { OutcomeItem, OutcomeSet } from '../../src/lab/router/datasets.js';
import { evaluateMatrix } from '../../src/lab/router/experiment.js';
import { normalisePrompt, splitByGroup } from '../../src/lab/router/splits.js';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'sigma', 'kappa', 'theta', 'lambda', 'zeta'];

/** "hard" prompts (a proof) need the strong model; the others do not. */
function set(name: string, n: number, shape: (i: number) => string, shared: string[] = []): OutcomeSet {
  const items: OutcomeItem[] = [];
  for (let i = 0; i < n; i++) {
    const hard = i % 3 === 0;
    const text = i < shared.length ? shared[i]! : `${shape(i)} ${hard ? 'prove the theorem about' : 'say hello to'} ${WORDS[i % 10]} ${WORDS[(i * 7) % 10]} ${i}`;
    items.push({ group: `${name}${i}`, text, task: hard ? 'proof' : 'chat', weakQ: hard ? 0 : 1, strongQ: 1, inputTokens: 20 });
  }
  return { name, weakModel: 'w', strongModel: 's', prices: { weak: { input: 1, output: 1 }, strong: { input: 10, output: 10 }, source: 'test' }, outputTokens: 10, scale: 1, items, notes: [] };
}

describe('evaluateMatrix', () => {
  const shared = Array.from({ length: 20 }, (_, i) => `A question both sets hold, number ${i}`);
  const a = set('a', 600, (i) => `Question ${i}:`, shared);
  const b = set('b', 600, (i) => `Please, item ${i} -`, shared.map((s) => s.toUpperCase() + '!'));
  const background = { texts: Array.from({ length: 200 }, (_, i) => `unrelated background text number ${i} about cooking and travel`), name: 'test background' };
  const { runs } = evaluateMatrix([a, b], 7, background);
  const run = (train: string, on: string) => runs.find((r) => r.trainedOn === train && r.evaluatedOn === on)!;

  it('reports every trained run within and across, the union included', () => {
    expect(runs.map((r) => `${r.trainedOn}>${r.evaluatedOn}:${r.kind}`).sort()).toEqual(['a+b>a:within', 'a+b>b:within', 'a>a:within', 'a>b:across', 'b>a:across', 'b>b:within']);
  });

  it('across: the whole other set minus the prompts seen in training (after normalisation)', () => {
    const r = run('a', 'b');
    const trained = new Set(splitByGroup(a.items, 7).train.map((it) => normalisePrompt(it.text)));
    const expected = b.items.filter((it) => trained.has(normalisePrompt(it.text))).length;
    expect(expected).toBeGreaterThan(0);
    expect(r.items).toMatchObject({ test: 600 - expected, excludedSeenInTraining: expected });
    expect(r.items.train).toBe(splitByGroup(a.items, 7).train.length);
    // within: no test prompt is a training prompt
    const w = run('a', 'a');
    expect(w.items.excludedSeenInTraining).toBe(0);
    expect(normalisePrompt(shared[0]!)).toBe(normalisePrompt(b.items[0]!.text));
  });

  it('the learned router and the task-tag lookup beat random where the signal is there; figures are complete', () => {
    for (const r of runs) {
      const by = Object.fromEntries(r.routers.map((f) => [f.router, f]));
      expect(by['random (expected)']!.apgr).toBe(0.5);
      expect(by['learned, text only']!.apgr).toBeGreaterThan(0.6);
      expect(by['learned, text only']!.deliveredAt95Guarded).toBeDefined();
      if (r.kind === 'within') expect(by['task-tag lookup (ignores the text)']!.apgr).toBeGreaterThan(0.8); // a perfect split at 1/3 strong: 0.83
      // across, the tags are the same here, so the lookup carries over too
      expect(r.perTask?.map((t) => t.task).sort()).toEqual(['chat', 'proof']);
    }
  });

  it('the guard refuses few prompts like the training prompts', () => {
    const w = run('a', 'a').routers.find((f) => f.router === 'learned, text only')!;
    expect(w.deliveredAt95Guarded!.refusedShare).toBeLessThan(0.1);
  });
});
