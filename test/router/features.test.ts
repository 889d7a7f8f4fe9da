// The classifier's fused scorer against the explicit feature vector training uses, the hashing
// version guard on weight files, and the regex compiler's flag choice (the decision-time fixes).

import { describe, expect, it } from 'vitest';
import { DENSE_COUNT, HASH_VERSION, featurize, newSparseVec, type FeatureSpec } from '../../src/levers/router/classifier/features.js';
import { RouterClassifier } from '../../src/levers/router/classifier/model.js';
import { seededRandom } from '../../src/lab/router/train.js';
import { compileKeywords, compileRegex } from '../../src/levers/router/conditions.js';
import { routesConfigSchema } from '../../src/levers/router/config.js';
import { createRouterStage } from '../../src/levers/router/index.js';
import { MODELS, record, routerDeps } from './helpers.js';

const spec: FeatureSpec = { dim: 1 << 12, wordNgrams: 3, charNgrams: [3, 5], maxChars: 400, charMaxChars: 120, useTask: true, hashVersion: HASH_VERSION };

function randomWeights(seed: number): Float32Array {
  const r = seededRandom(seed);
  return new Float32Array(spec.dim + DENSE_COUNT).map(() => r() - 0.5);
}

describe('classifier features', () => {
  const texts = [
    '',
    'hi',
    'Let G be a group of order 15.\nA. 1\nB. 3\n(C) 5\nD) 15',
    'function f(x) {\n  return x * 2;\n}\n```js\nconsole.log(f(2))\n```',
    'Ünïcödé tëxt with İ and ß, 数学 and emoji 🎉? '.repeat(12),
  ];

  it('the fused scorer equals the logistic function of the explicit feature vector', () => {
    const w = randomWeights(3);
    const clf = new RouterClassifier(spec, w, 0.1, []);
    const v = newSparseVec(16);
    for (const t of texts) {
      for (const task of [undefined, 'math']) {
        featurize(t, task, spec, v);
        let z = 0.1;
        for (let k = 0; k < v.n; k++) z += w[v.idx[k]!]! * v.val[k]!;
        expect(clf.score(t, task)).toBeCloseTo(1 / (1 + Math.exp(-z)), 5);
      }
    }
  });

  it('caps character n-grams at charMaxChars and every feature at maxChars', () => {
    const v = newSparseVec();
    const count = (t: string, s: FeatureSpec) => featurize(t, undefined, s, v).n;
    const words = 'alpha beta gamma delta '.repeat(40); // 920 chars
    const noChars = { ...spec, charNgrams: [0, 0] as [number, number] };
    // char n-grams beyond 120 chars add nothing; words up to 400 chars still count
    expect(count(words, spec) - count(words, noChars)).toBe(count(words.slice(0, 120), spec) - count(words.slice(0, 120), noChars));
    expect(count(words, noChars)).toBe(count(words.slice(0, 400), noChars));
    expect(count(words.slice(0, 300), noChars)).toBeLessThan(count(words.slice(0, 400), noChars));
  });

  it('counts answer-option lines and code structure in the dense features', () => {
    const v = newSparseVec();
    const dense = (t: string) => {
      featurize(t, undefined, spec, v);
      return Array.from(v.val.slice(v.n - DENSE_COUNT, v.n));
    };
    expect(dense('Q?\nA. x\nB. y\n (C) z\nD) w')[8]).toBeCloseTo(4 / 8, 6);
    expect(dense('plain prose here')[6]).toBe(0);
    expect(dense('int main() {\n  return 0;\n}')[6]).toBe(1);
  });

  it('refuses a weight file from another hashing scheme, naming the fix', () => {
    const clf = new RouterClassifier(spec, randomWeights(1), 0, []);
    const file = clf.toFile();
    expect(RouterClassifier.fromFile(file).score('x')).toBeCloseTo(clf.score('x'), 6);
    const old = { ...file, features: { ...file.features, hashVersion: undefined } };
    expect(() => RouterClassifier.fromFile(old)).toThrow(/hashing v1.*tollgate router train/);
  });
});

describe('rule regexes', () => {
  it('compiles ASCII patterns without the u flag and keeps it where the pattern needs it', () => {
    expect(compileRegex('(?i)\\bprove\\b').flags).toBe('i');
    expect(compileRegex('\\p{Lu}{3}').flags).toBe('u');
    expect(compileRegex('(?i)café').flags).toBe('iu');
    expect(compileRegex('(?i)\\bprove\\b').test('Please PROVE it.')).toBe(true);
    expect(compileRegex('(?i)\\bprove\\b').test('improve it')).toBe(false);
    expect(compileRegex('\\p{Lu}{3}').test('the NATO alliance')).toBe(true);
    expect(compileRegex('(?i)café').test('CAFÉ au lait')).toBe(true);
    expect(() => compileRegex('(')).toThrow(/bad regex/);
  });
});

describe('keyword matching', () => {
  it('agrees with the whole-word lookbehind regex it replaces, Unicode included', () => {
    const keywords = ['indemnify', 'force majeure', 'café', 'c++', 'x'];
    const alt = keywords.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    const reference = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alt})(?![\\p{L}\\p{N}_])`, 'iu');
    const match = compileKeywords(keywords);
    const texts = [
      'We will INDEMNIFY you.',
      'reindemnify is not a word',
      'indemnifying',
      'éindemnify',
      '𝐀indemnify', // an astral letter before the keyword
      '😀indemnify', // an astral non-letter before it
      'Force Majeure applies',
      'force  majeure',
      'un CAFÉ noir',
      'cafés',
      'learn c++ today',
      'x',
      'xx x',
      'xx',
      '_x',
      '1x',
      '',
    ];
    for (const t of texts) expect(match(t), t).toBe(reference.test(t));
  });
});

describe('live latency for SLOs', () => {
  it('counts a non-streaming answer\'s latency as its time to first token', () => {
    const cfg = routesConfigSchema.parse({ r: { tiers: [{ name: 'cheap', models: ['gpt-4o-mini'] }, { name: 'strong', models: ['gpt-4o'] }], slo: { ttft_p95_ms: 100 } } });
    const now = 1_000_000;
    const stage = createRouterStage(cfg, routerDeps({ now: () => now }));
    const mini = MODELS['gpt-4o-mini']!;
    for (let i = 0; i < 5; i++) stage.onRecord({ ...record(mini, 900, 0, now - 10), ttftMs: undefined, stream: false });
    expect(stage.latencyOf(mini)?.ttftP95).toBe(900);
    // a stream cut before its first token says nothing about TTFT
    const gpt = MODELS['gpt-4o']!;
    stage.onRecord({ ...record(gpt, 900, 0, now - 10), ttftMs: undefined, stream: true });
    expect(stage.latencyOf(gpt)?.ttftP95).toBeUndefined();
  });

  it('ignores cache hits (they say nothing about the model) and models no route can choose', () => {
    const cfg = routesConfigSchema.parse({ r: { tiers: [{ name: 'cheap', models: ['gpt-4o-mini'] }], slo: { e2e_p95_ms: 500 } } });
    const now = 1_000_000;
    const stage = createRouterStage(cfg, routerDeps({ now: () => now }));
    const mini = MODELS['gpt-4o-mini']!;
    for (let i = 0; i < 5; i++) stage.onRecord({ ...record(mini, 900, 0, now - 10), cacheStatus: 'hit', latencyMs: 1 });
    for (let i = 0; i < 5; i++) stage.onRecord({ ...record(mini, 900, 0, now - 10), cacheStatus: 'semantic_hit', latencyMs: 2 });
    expect(stage.latencyOf(mini)?.samples ?? 0).toBe(0);
    stage.onRecord({ ...record(mini, 900, 0, now - 10), cacheStatus: 'miss', latencyMs: 900 });
    expect(stage.latencyOf(mini)).toMatchObject({ samples: 1, e2eP95: 900 });
    const gpt = MODELS['gpt-4o']!;
    stage.onRecord({ ...record(gpt, 900, 0, now - 10), latencyMs: 900 });
    expect(stage.latencyOf(gpt)?.samples ?? 0).toBe(0);
  });
});
