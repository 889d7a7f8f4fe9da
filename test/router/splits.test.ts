// Leak-free splits: no question of a test item appears anywhere in training, within a data set
// (duplicates after normalisation share a split) and across data sets (items trained on are left
// out of the other set); the weight file's training-prompt hashes find them again.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMmlu, type OutcomeItem, type OutcomeSet } from '../../src/lab/router/datasets.js';
import { deliveredAt } from '../../src/lab/router/metrics.js';
import { TaskTable } from '../../src/lab/router/experiment.js';
import { leakFreeGroups, normalisePrompt, seenInTraining, splitByGroup, trainingPrompts, unseenBy } from '../../src/lab/router/splits.js';
import { REPO_ROOT } from './e2e-helpers.js';

// the shared data beside the main checkout, or beside the worktrees' parent
const DATA = [join(REPO_ROOT, '..', 'shared', 'data'), join(REPO_ROOT, '..', '..', 'shared', 'data')].find((d) => existsSync(d)) ?? join(REPO_ROOT, '..', 'shared', 'data');
const item = (group: string, text: string, task = 't', weakQ = 0, strongQ = 1): OutcomeItem => ({ group, text, task, weakQ, strongQ, inputTokens: 10 });

describe('normalisation and groups', () => {
  it('case, Unicode form, punctuation and spacing do not make a question new', () => {
    expect(normalisePrompt('  What is 2+2?\nA. 4 ')).toBe(normalisePrompt('what is 2 + 2 ?  a 4'));
    expect(normalisePrompt('Ｆｕｌｌｗｉｄｔｈ')).toBe('fullwidth');
    expect(normalisePrompt('What is 2+2?')).not.toBe(normalisePrompt('What is 2+3?'));
  });

  it('joins groups that share a normalised prompt, transitively, and keeps the others apart', () => {
    const items = [item('a', 'Same question?'), item('b', 'same  QUESTION'), item('c', 'other'), item('b', 'third text'), item('d', 'Third text!')];
    const groups = leakFreeGroups(items).map((g) => g.map((i) => i.group).sort().join(''));
    expect(groups.sort()).toEqual(['abbd', 'c']);
  });

  it('a split never puts a duplicate on both sides', () => {
    const items: OutcomeItem[] = [];
    for (let i = 0; i < 300; i++) items.push(item(`g${i}`, `question number ${i % 120}`));
    for (const seed of [1, 2, 3]) {
      const s = splitByGroup(items, seed);
      const train = new Set(s.train.map((i) => normalisePrompt(i.text)));
      expect(s.test.length).toBeGreaterThan(0);
      expect(s.test.filter((i) => train.has(normalisePrompt(i.text)))).toEqual([]);
      expect(s.val.filter((i) => train.has(normalisePrompt(i.text)))).toEqual([]);
      expect(s.train.length + s.val.length + s.test.length).toBe(items.length);
    }
  });

  it.skipIf(!existsSync(join(DATA, 'routellm-evals')))('MMLU (which repeats 105 prompts): no test prompt is in training', () => {
    const set = loadMmlu(DATA);
    const s = splitByGroup(set.items, 7);
    const train = new Set(s.train.map((i) => normalisePrompt(i.text)));
    expect(s.test.filter((i) => train.has(normalisePrompt(i.text))).length).toBe(0);
    // the old split by row would have leaked some of them
    const rows = set.items.map((it, i) => ({ ...it, group: `row${i}` }));
    const counts = new Map<string, number>();
    for (const it of rows) counts.set(normalisePrompt(it.text), (counts.get(normalisePrompt(it.text)) ?? 0) + 1);
    expect([...counts.values()].filter((c) => c > 1).length).toBeGreaterThan(50);
  });
});

describe('across data sets', () => {
  it('items trained on are left out of the other set', () => {
    const trained = [item('1', 'Shared Question'), item('2', 'only in training')];
    const other = [item('x', 'shared question.'), item('y', 'new one')];
    expect(unseenBy(other, trained)).toEqual({ kept: [other[1]], excluded: 1 });
  });

  it("the weight file's training-prompt hashes find the same prompts again, normalised", () => {
    const tp = trainingPrompts([item('1', 'Alpha beta?'), item('2', 'gamma'), item('3', 'alpha  BETA')]);
    expect(tp.count).toBe(2);
    const seen = seenInTraining(tp)!;
    expect(seen('ALPHA, beta')).toBe(true);
    expect(seen('gamma')).toBe(true);
    expect(seen('delta')).toBe(false);
    expect(seenInTraining({ ...tp, scheme: 'other' })).toBeNull();
    expect(seenInTraining(undefined)).toBeNull();
  });
});

describe('the task-tag baseline and delivered quality', () => {
  const set: OutcomeSet = { name: 's', weakModel: 'w', strongModel: 's', prices: { weak: { input: 1, output: 1 }, strong: { input: 10, output: 10 }, source: 'test' }, outputTokens: 0, scale: 1, items: [], notes: [] };

  it("scores each item by its task's mean gain in training, ignoring the text; unseen tasks get the overall mean", () => {
    const train = [item('1', 'a', 'math', 0, 1), item('2', 'b', 'math', 1, 1), item('3', 'c', 'chat', 1, 1), item('4', 'd', 'chat', 1, 0)];
    const table = new TaskTable([{ set, train, val: train }]);
    const scores = table.evalItems(set, [item('5', 'zzz', 'math'), item('6', 'a', 'chat'), item('7', 'a', 'new')]).map((e) => e.score);
    expect(scores).toEqual([0.5, -0.5, 0]);
  });

  it('delivered quality counts the guard as sending to strong', () => {
    const items = [
      { score: 0.9, ood: 0, weakQ: 0, strongQ: 1, weakCost: 1, strongCost: 10 },
      { score: 0.1, ood: 0, weakQ: 0, strongQ: 1, weakCost: 1, strongCost: 10 },
      { score: 0.1, ood: 0.9, weakQ: 0, strongQ: 1, weakCost: 1, strongCost: 10 },
      { score: 0.1, ood: 0, weakQ: 1, strongQ: 1, weakCost: 1, strongCost: 10 },
    ];
    expect(deliveredAt(items, 0.5)).toEqual({ threshold: 0.5, strongShare: 0.25, qualityRatio: 0.5, costReduction: 1 - 13 / 40 });
    expect(deliveredAt(items, 0.5, 0.5)).toEqual({ threshold: 0.5, strongShare: 0.5, qualityRatio: 0.75, costReduction: 1 - 22 / 40, refusedShare: 0.25 });
  });
});
