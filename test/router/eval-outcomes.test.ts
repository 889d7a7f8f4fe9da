// `tollgate router eval --weights FILE --outcomes FILE.csv` from the compiled CLI, on small outcome
// CSVs written here: detection of the weak and strong columns, the figures it reports (checked
// against the weights' own decisions), a case where the weight file's "95%" threshold delivers far
// less, rows the weights were trained on left out, and bad input as a one-line message, exit code 1.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RouterClassifier, type WeightFile } from '../../src/levers/router/classifier/model.js';
import { trainingPrompts } from '../../src/lab/router/splits.js';
import { MMLU_WEIGHTS, REPO_ROOT } from './e2e-helpers.js';

const BIN = join(REPO_ROOT, 'bin/tollgate.mjs');
const built = existsSync(join(REPO_ROOT, 'dist/cli/main.js'));
const tmp = mkdtempSync(join(tmpdir(), 'tollgate-router-outcomes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The CLI in a child process, awaited (a synchronous spawn would block the test worker's event loop). */
function cli(args: string[], timeout = 300_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      done({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}
const run = (...args: string[]) => cli(['router', 'eval', ...args]);
const csvField = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
function writeCsv(name: string, header: string[], rows: (string | number)[][]): string {
  const path = join(tmp, name);
  writeFileSync(path, [header, ...rows].map((r) => r.map((v) => csvField(String(v))).join(',')).join('\n') + '\n');
  return path;
}

// MMLU-style questions the weights never saw (written for this test), so the guard lets them
// through: equations (which the MMLU weights mostly send weak) and "which of these" questions (mostly strong)
const CATEGORIES = ['a noble gas', 'a prime number', 'a mammal', 'an igneous rock', 'a primary colour', 'a renewable energy source'];
const QUESTIONS = Array.from({ length: 120 }, (_, i) => {
  if (i % 2 === 0) {
    const [a, b] = [2 + (i % 7), 3 + (i % 11)];
    const x = 1 + (i % 9);
    return `Find the value of x if ${a}x + ${b} = ${a * x + b}.\nA. ${x}\nB. ${x + 2}\nC. ${x + 5}\nD. ${2 * x + 1}\nAnswer:`;
  }
  const c = CATEGORIES[i % CATEGORIES.length]!;
  return `Which of the following is ${c}? (question ${i})\nA. Oxygen\nB. Neon\nC. Granite\nD. Basalt\nAnswer:`;
});

describe.skipIf(!built)('tollgate router eval --weights --outcomes (compiled CLI)', () => {
  const model = RouterClassifier.load(MMLU_WEIGHTS);
  const { threshold } = model.thresholdFor({ quality_ge: 0.95 });

  it('has the options in --help', { timeout: 120_000 }, async () => {
    const h = await run('--help');
    expect(h.status).toBe(0);
    for (const opt of ['--weights', '--outcomes', '--weak', '--strong', '--json']) expect(h.stdout).toContain(opt);
  });

  it('detects the two correctness columns and reports a delivered quality below 95% where the weights pick wrongly', { timeout: 120_000 }, async () => {
    // the strong model is right everywhere; the weak one is wrong exactly where the weights would send it:
    // what the file's "95%" threshold delivers is then the share it sends to strong
    const assessed = QUESTIONS.map((q) => ({ q, ...model.assess(q) }));
    const toStrong = assessed.map((a) => a.score >= threshold || a.ood > model.ood!.threshold);
    // an id column is numeric too, but never taken for a model's outcomes
    const rows = assessed.map((a, i) => [i, `subject ${i % 5}`, a.q, toStrong[i] ? 'True' : 'False', 'True']);
    const path = writeCsv('wrong.csv', ['id', 'subject', 'prompt', 'small_correct', 'big_correct'], rows);
    const r = await run('--weights', MMLU_WEIGHTS, '--outcomes', path, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e).toMatchObject({ weak: 'small_correct', strong: 'big_correct', rows: 120, evaluated: 120, excludedSeenInTraining: 0 });
    const strongShare = toStrong.filter(Boolean).length / 120;
    expect(strongShare).toBeLessThan(0.9); // the probe set has to exercise both branches
    expect(strongShare).toBeGreaterThan(0.1);
    expect(e.delivered.strongShare).toBeCloseTo(strongShare, 3);
    // weak quality = share sent to strong; delivered = (strong's 1 on those) / always-strong (1)
    expect(e.deliveredQualityAt95).toBeCloseTo(strongShare, 3);
    expect(e.deliveredQualityAt95).toBeLessThan(0.95);
    expect(e.delivered.validationQualityRatio).toBeGreaterThanOrEqual(0.95);
    expect(typeof e.apgr).toBe('number');
    expect(e.costReductionAt95).toBeGreaterThanOrEqual(0);
    // the text output says it plainly
    const text = await run('--weights', MMLU_WEIGHTS, '--outcomes', path);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/warning: below 95% of the strong model's quality/);
  });

  it('reports a delivered quality of at least 95% where the weights pick rightly, and APGR above random', { timeout: 120_000 }, async () => {
    // the weak model fails exactly where the weights' score is high (the strong model is needed there)
    const assessed = QUESTIONS.map((q) => ({ q, ...model.assess(q) }));
    const sorted = [...assessed].sort((a, b) => b.score - a.score);
    const hard = new Set(sorted.slice(0, 30).map((a) => a.q));
    const rows = assessed.map((a) => [a.q, hard.has(a.q) ? 0 : 1, 1]);
    const path = writeCsv('right.csv', ['prompt', 'weak_ok', 'strong_ok'], rows);
    const e = JSON.parse((await run('--weights', MMLU_WEIGHTS, '--outcomes', path, '--json')).stdout);
    expect(e.apgr).toBeGreaterThan(0.5);
    expect(e.at95.qualityRatio).toBeGreaterThanOrEqual(0.95);
    expect(e.costReductionAt95).toBeGreaterThan(e.random.costReductionAt95);
  });

  it('--weak/--strong pick columns among several; rows the weights were trained on are left out', { timeout: 120_000 }, async () => {
    const f = JSON.parse(readFileSync(MMLU_WEIGHTS, 'utf8')) as WeightFile;
    const trained = QUESTIONS.slice(0, 10);
    f.trainingPrompts = trainingPrompts(trained.map((text, i) => ({ group: `${i}`, text, task: '', weakQ: 0, strongQ: 0, inputTokens: 0 })));
    const weights = join(tmp, 'w.json');
    writeFileSync(weights, JSON.stringify(f));
    const rows = QUESTIONS.slice(0, 40).map((q, i) => [q.replace('Answer:', 'ANSWER :'), i % 2, 1, i % 3 === 0 ? 1 : 0]);
    const path = writeCsv('three.csv', ['prompt', 'a', 'b', 'c'], rows);
    const ambiguous = await run('--weights', weights, '--outcomes', path);
    expect(ambiguous.status).toBe(1);
    expect(ambiguous.stderr).toBe('tollgate router: three.csv has 3 correctness columns (a, b, c); name the models\' columns with --weak and --strong\n');
    const e = JSON.parse((await run('--weights', weights, '--outcomes', path, '--weak', 'c', '--strong', 'b', '--json')).stdout);
    expect(e).toMatchObject({ weak: 'c', strong: 'b', rows: 40, evaluated: 30, excludedSeenInTraining: 10 });
  });

  it('bad input is a one-line message and exit code 1', { timeout: 300_000 }, async () => {
    const good = writeCsv('ok.csv', ['prompt', 'w', 's'], [[QUESTIONS[0]!, 0, 1]]);
    const cases: [string[], RegExp][] = [
      [['--weights', MMLU_WEIGHTS], /^--weights and --outcomes go together$/],
      [['--weights', join(tmp, 'absent.json'), '--outcomes', good], /^cannot read router weights .*absent\.json: ENOENT/],
      [['--weights', MMLU_WEIGHTS, '--outcomes', join(tmp, 'absent.csv')], /^cannot read --outcomes .*absent\.csv: ENOENT$/],
      [['--weights', MMLU_WEIGHTS, '--outcomes', writeCsv('noprompt.csv', ['text', 'w', 's'], [['x', 0, 1]])], /^noprompt\.csv has no "prompt" column \(columns: text, w, s\)$/],
      [['--weights', MMLU_WEIGHTS, '--outcomes', writeCsv('empty.csv', ['prompt', 'w', 's'], [])], /^empty\.csv has no data rows/],
      [['--weights', MMLU_WEIGHTS, '--outcomes', writeCsv('bad.csv', ['prompt', 'w', 's'], [['x', 0, 1], ['y', 'maybe', 1]]), '--weak', 'w', '--strong', 's'], /^bad\.csv row 3: "maybe" in column "w" is not a number or true\/false$/],
      [['--weights', MMLU_WEIGHTS, '--outcomes', writeCsv('ragged.csv', ['prompt', 'w', 's'], [['x', 0]])], /^ragged\.csv row 2 has 2 fields, the header has 3$/],
      [['--weights', MMLU_WEIGHTS, '--outcomes', good, '--weak', 'nope'], /^ok\.csv has no column "nope" \(columns: prompt, w, s\)$/],
      [['--weights', MMLU_WEIGHTS, '--outcomes', good, '--weak', 's', '--strong', 's'], /^--weak and --strong name the same column "s"$/],
      [['--weights', MMLU_WEIGHTS, '--outcomes', good, '--prices', '1,2,3'], /^--prices takes four non-negative numbers/],
      [['--weights', good, '--outcomes', good], /^cannot read router weights .*ok\.csv: /],
    ];
    for (const [args, want] of cases) {
      const r = await run(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.endsWith('\n') && r.stderr.split('\n').length === 2, r.stderr).toBe(true);
      expect(r.stderr.replace(/^tollgate router: /, '').trimEnd()).toMatch(want);
    }
  });
});
