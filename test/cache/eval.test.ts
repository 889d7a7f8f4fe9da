// `tollgate cache eval` and its split: no question of a test pair appears anywhere in training, the
// report is on pairs unseen on both sides, and `--pairs FILE` evaluates any JSONL of labelled pairs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { components, loadPairsFile, loadQqpPairs, rateAtFalseHits, splitPairs, textsOf, type LabelledPair } from '../../src/lab/cache/qqp.js';
import { runCacheEval } from '../../src/lab/cache/run.js';
import { builtinEmbedder } from '../../src/levers/cache/embedders/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const QQP = process.env.TOLLGATE_QQP_DIR ?? join(ROOT, '..', 'shared', 'data', 'gptcache-qqp');
const BIN = join(ROOT, 'bin', 'tollgate.mjs');
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));

const noLeak = (train: LabelledPair[], test: LabelledPair[]): number => {
  const seen = textsOf(train);
  return test.filter((p) => seen.has(p.a) || seen.has(p.b)).length;
};

describe('cache eval split', () => {
  it('keeps a chain of paraphrases in one component, so a partner of a test question never trains', () => {
    // a-b, b-c, c-d form one component; e-f another
    const pairs: LabelledPair[] = [
      { a: 'a', b: 'b', label: 1 }, { a: 'b', b: 'c', label: 0 }, { a: 'd', b: 'c', label: 1 }, { a: 'e', b: 'f', label: 1 },
    ];
    const c = components(pairs);
    expect(c[0]).toBe(c[1]);
    expect(c[1]).toBe(c[2]);
    expect(c[3]).not.toBe(c[0]);
  });

  it.skipIf(!existsSync(QQP))('leaves no question of a test or val pair in training on the QQP pairs', { timeout: 60_000 }, () => {
    const s = splitPairs(loadQqpPairs(QQP));
    expect(s.test.length).toBeGreaterThan(10_000);
    expect(s.val.length).toBeGreaterThan(5_000);
    expect(noLeak(s.train, s.test)).toBe(0);
    expect(noLeak(s.train, s.val)).toBe(0);
    expect(noLeak(s.val, s.test)).toBe(0);
  });

  it('reads the threshold at a false-hit rate with scores strictly above it hitting', () => {
    const r = rateAtFalseHits([0.95, 0.9, 0.5], [0.99, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0], 0.1);
    expect(r.threshold).toBe(0.8); // one of ten negatives (0.99) may hit
    expect(r.hitRate).toBeCloseTo(2 / 3);
  });
});

describe('cache eval on a pairs file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cache-eval-'));
  const file = join(dir, 'pairs.jsonl');
  const rows = [
    ['How do I reset my password?', 'How can I reset my password?', 1],
    ['What is the best way to learn Python?', 'How should I start learning Python?', 1],
    ['How do I cook rice?', 'What is the best way to cook rice?', 1],
    ['How do I enable dark mode?', 'How do I disable dark mode?', 0],
    ['What is the capital of France?', 'What is the capital of Germany?', 0],
    ['How do I cook rice?', 'How do I learn Python?', 0],
  ] as const;
  writeFileSync(file, rows.map(([a, b, l]) => JSON.stringify({ text_a: a, text_b: b, label: l })).join('\n') + '\n');

  it('reports each embedder with and without guards, and the guards veto the hard negatives', async () => {
    const r = await runCacheEval({ dataDir: join(dir, 'no-qqp'), pairsFile: file, embedders: [{ name: 'builtin', embedder: builtinEmbedder() }] });
    expect(r.pairs).toMatchObject({ total: 6, evaluated: 6, checkedAgainstTraining: false });
    expect(r.rows.map((x) => [x.embedder, x.guards])).toEqual([['tfidf-baseline', false], ['tfidf-baseline', true], ['builtin', false], ['builtin', true]]);
    for (const row of r.rows) {
      expect(row.pairs).toEqual({ positives: 3, negatives: 3 });
      expect(row.at1pct.falseHitRate).toBe(0.01);
      expect(row.at5pct.falseHitRate).toBe(0.05);
    }
    // with guards the two lexical look-alikes can never hit: only the unrelated negative scores
    const g = r.rows.find((x) => x.embedder === 'builtin' && x.guards)!;
    expect(g.curve.every((c) => c.falseHitRate <= 1 / 3 + 1e-9)).toBe(true);
    expect(g.hardNegatives!.pairs).toBeGreaterThanOrEqual(299);
  });

  it.skipIf(!existsSync(QQP))('leaves out pairs whose questions the built-in embedder trained on', { timeout: 60_000 }, async () => {
    const s = splitPairs(loadQqpPairs(QQP));
    const mixed = join(dir, 'mixed.jsonl');
    const take = [...s.train.slice(0, 20), ...s.test.slice(0, 30)];
    writeFileSync(mixed, take.map((p) => JSON.stringify({ text_a: p.a, text_b: p.b, label: p.label })).join('\n'));
    const r = await runCacheEval({ dataDir: QQP, pairsFile: mixed, embedders: [] });
    expect(r.pairs).toEqual({ total: 50, unseenBothSides: 30, evaluated: 30, checkedAgainstTraining: true });
  });

  it('names the line of a malformed pairs file', () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, JSON.stringify({ text_a: 'x', text_b: 'y', label: 1 }) + '\n{"text_a": "x"}\n');
    expect(() => loadPairsFile(bad)).toThrow(/bad\.jsonl:2: expected/);
  });

  it.skipIf(!built)('runs as `tollgate cache eval --pairs FILE --json`, and bad input is a one-line error', { timeout: 120_000 }, () => {
    const ok = spawnSync(process.execPath, [BIN, 'cache', 'eval', '--pairs', file, '--data', join(dir, 'no-qqp'), '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 100_000 });
    expect(ok.status, ok.stderr).toBe(0);
    const j = JSON.parse(ok.stdout);
    // tfidf, builtin (the pair scorer's score, what the cache thresholds), builtin-cosine: each with and without guards
    expect(j.rows).toHaveLength(6);
    expect(j.rows.map((r: { embedder: string }) => r.embedder)).toEqual(['tfidf-baseline', 'tfidf-baseline', 'builtin', 'builtin', 'builtin-cosine', 'builtin-cosine']);
    expect(j.rows[2]).toMatchObject({ embedder: 'builtin', guards: false });
    expect(typeof j.rows[2].at1pct.hitRate).toBe('number');
    expect(typeof j.rows[2].at5pct.hitRate).toBe('number');
    const bad = spawnSync(process.execPath, [BIN, 'cache', 'eval', '--pairs', join(dir, 'absent.jsonl')], { cwd: ROOT, encoding: 'utf8', timeout: 100_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe(`tollgate cache: pairs file not found: ${join(dir, 'absent.jsonl')}`);
  });
});
