// The benchmark grid against the simulator, through an in-process gateway: every cell measured,
// reference answers scored, the run saved, the Pareto frontier marked, and the data-set readers.

import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGridCommand } from '../../src/cli/grid.js';

/** the public data sets beside the checkout (../shared/data); the tests that read them skip without it */
const SHARED = existsSync('../shared/data/arena-hard-v0.1-lite');
import { choiceOf, judgeScore, loadGridItems, markPareto, type GridCell } from '../../src/forecast/grid.js';

async function grid(flags: Parameters<typeof runGridCommand>[0]) {
  let out = '';
  let err = '';
  const code = await runGridCommand({ progress: false, simLatencyScale: 0, ...flags }, { out: (t) => (out += t), err: (t) => (err += t) }, { TOLLGATE_SHARED_DATA: '../shared/data' });
  return { code, out, err };
}

describe('tollgate grid against the simulator', () => {
  it('measures every model x setting cell, scores reference answers, saves the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-grid-'));
    const file = join(dir, 'quiz.jsonl');
    const lines = ['What is 2+2? A. 3 B. 4 C. 5 D. 6', 'Capital of France? A. Paris B. Rome C. Oslo D. Bern', 'H2O is? A. salt B. water C. gold D. iron'].map((q, i) => JSON.stringify({ id: `q${i}`, prompt: q, answer: ['B', 'A', 'B'][i] }));
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await grid({ data: file, models: ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-haiku'], temperatures: [0, 0.7], maxTokens: [64], json: true, dataDir: dir });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const run = JSON.parse(r.out);
    expect(run.cells).toHaveLength(6);
    for (const c of run.cells) {
      expect(c.requests).toBe(3);
      expect(c.errors).toBe(0);
      expect(c.tokens.input).toBeGreaterThan(0);
      expect(c.tokens.output).toBeGreaterThan(0);
      expect(c.tokens.output).toBeLessThanOrEqual(3 * 64);
      expect(c.costUsd).toBeGreaterThan(0);
      expect(c.qualitySource).toBe('reference');
      expect(c.qualityN).toBe(3);
      expect(c.quality).toBeGreaterThanOrEqual(0);
      expect(c.quality).toBeLessThanOrEqual(1);
    }
    const by = (m: string) => run.cells.find((c: GridCell) => c.model === m && c.temperature === 0);
    // list prices: gpt-4o costs more per token than gpt-4o-mini
    expect(by('gpt-4o').costPer1kTokensUsd).toBeGreaterThan(by('gpt-4o-mini').costPer1kTokensUsd);
    expect(run.cells.some((c: GridCell) => c.pareto)).toBe(true);
    const saved = readdirSync(join(dir, 'grid'));
    expect(saved).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, 'grid', saved[0]!), 'utf8')).cells).toHaveLength(6);
    expect(run.savedTo).toContain(join(dir, 'grid'));
  });

  it.skipIf(!SHARED)('prints the playbook table; an unknown model is counted as errors, not a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-grid-'));
    const r = await grid({ data: 'arena-hard', limit: 2, models: ['gpt-4o-mini', 'no-such-model'], maxTokens: [32], dataDir: dir, save: false });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/model\s+temp\s+max tokens\s+avg latency \(ms\)\s+avg TTFT \(ms\)\s+cost \/ 1K tokens \(USD\)\s+per request\s+quality\s+notes/);
    expect(r.out).toMatch(/no-such-model.*2 errors/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('mistakes exit 2', async () => {
    expect((await grid({ models: ['gpt-4o'] })).code).toBe(2);
    const missing = await grid({ data: '/nope.jsonl', models: ['gpt-4o'] });
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no such file/);
  });
});

describe('grid pieces', () => {
  it.skipIf(!SHARED)('reads the named data sets', () => {
    for (const name of ['arena-hard', 'mt-bench', 'mmlu']) {
      const items = loadGridItems(name, '../shared/data', 5);
      expect(items).toHaveLength(5);
      for (const i of items) expect(i.prompt.length).toBeGreaterThan(10);
    }
    expect(loadGridItems('mmlu', '../shared/data', 1)[0]!.prompt).toMatch(/\nA\. /);
  });

  it('scores choices and judge digits', () => {
    expect(choiceOf('The answer is B.')).toBe('B');
    expect(choiceOf('Answer: (C) because')).toBe('C');
    expect(choiceOf('Because it is obvious')).toBeUndefined();
    expect(judgeScore('4')).toBe(4);
    expect(judgeScore('Score: 5/5')).toBe(5);
    expect(judgeScore('great')).toBeUndefined();
  });

  it('marks the Pareto frontier of cost, latency and quality', () => {
    const cell = (model: string, cost: number, lat: number, q?: number): GridCell => ({ model, temperature: 0, maxTokens: 1, requests: 1, errors: 0, avgLatencyMs: lat, p95LatencyMs: lat, avgTtftMs: 0, tokens: { input: 1, cacheRead: 0, output: 1 }, costUsd: cost, costPer1kTokensUsd: cost, costPerRequestUsd: cost, quality: q, qualityN: 1, qualitySource: 'reference', pareto: false, notes: [] });
    const cells = [cell('cheap-fast', 1, 100, 0.5), cell('dear-good', 10, 500, 0.9), cell('dominated', 10, 600, 0.8), cell('slow-cheap', 1, 900, 0.5)];
    markPareto(cells);
    expect(cells.map((c) => c.pareto)).toEqual([true, true, false, false]);
  });
});
