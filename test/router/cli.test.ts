// `tollgate router train` / `eval` from the command line (the compiled CLI, as `npx tollgate` runs
// it): help, clear errors on bad input, and a real train → load → eval round trip on the shared data.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RouterClassifier } from '../../src/levers/router/classifier/model.js';
import { REPO_ROOT } from './e2e-helpers.js';

const BIN = join(REPO_ROOT, 'bin/tollgate.mjs');
// the shared data beside the main checkout, or beside the worktrees' parent
const DATA = [join(REPO_ROOT, '..', 'shared', 'data'), join(REPO_ROOT, '..', '..', 'shared', 'data')].find((d) => existsSync(d)) ?? join(REPO_ROOT, '..', 'shared', 'data');
const built = existsSync(join(REPO_ROOT, 'dist/cli/main.js'));
const tmp = mkdtempSync(join(tmpdir(), 'tollgate-router-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The CLI in a child process, awaited (a synchronous spawn would block the test worker's event loop). */
function cli(args: string[], timeout = 300_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      done({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}
const run = (...args: string[]) => cli(['router', ...args]);

describe.skipIf(!built)('tollgate router (compiled CLI)', () => {
  it('train and eval have --help naming their options', { timeout: 60_000 }, async () => {
    const train = await run('train', '--help');
    expect(train.status).toBe(0);
    for (const opt of ['--dataset', '--data', '--out', '--task', '--seed', '--json']) expect(train.stdout).toContain(opt);
    const ev = await run('eval', '--help');
    expect(ev.status).toBe(0);
    for (const opt of ['--weights', '--outcomes', '--weak', '--strong', '--dataset', '--data', '--seed', '--out', '--json']) expect(ev.stdout).toContain(opt);
  });

  it('bad input is a one-line message and exit code 1, not a stack trace', { timeout: 60_000 }, async () => {
    const bad = await run('train', '--dataset', 'nope');
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('tollgate router: unknown dataset "nope" (one of mmlu, mt-bench, llmrouter)');
    const missing = await run('eval', '--dataset', 'mmlu', '--data', join(tmp, 'absent'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^tollgate router: ENOENT.*is --data pointing at the shared data directory\?\)\n$/);
  });

  it.skipIf(!existsSync(DATA))('trains a weight file the router loads, and evaluates on the held-out split', { timeout: 600_000 }, async () => {
    const out = join(tmp, 'llm.json');
    const tr = await run('train', '--dataset', 'llmrouter', '--task', '--data', DATA, '--out', out, '--json');
    expect(tr.stderr).toBe('');
    const train = JSON.parse(tr.stdout);
    expect(train).toMatchObject({ weights: out, dataset: 'llmrouter' });
    expect(train.train).toBeGreaterThan(train.held_out_test);
    const clf = RouterClassifier.load(out);
    expect(clf.spec.useTask).toBe(true);
    expect(clf.thresholdFor({ quality_ge: 0.95 }).threshold).toBeCloseTo(train.thresholdForQuality95, 9);

    expect(train.oodThreshold).toBeGreaterThan(0);
    expect(clf.ood?.threshold).toBe(train.oodThreshold);

    const reportPath = join(tmp, 'eval.json');
    const ev = await run('eval', '--dataset', 'llmrouter', '--data', DATA, '--out', reportPath);
    expect(ev.status).toBe(0);
    expect(ev.stdout).toContain('APGR');
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    const r = report.runs[0];
    expect(r).toMatchObject({ trainedOn: 'llmrouter', evaluatedOn: 'llmrouter', kind: 'within', items: { excludedSeenInTraining: 0 } });
    const by = Object.fromEntries(r.routers.map((f: { router: string }) => [f.router, f]));
    // beside the router: random and the task-tag lookup that ignores the text
    expect(Object.keys(by)).toEqual(['random (expected)', 'task-tag lookup (ignores the text)', 'learned, text only', 'learned, text + task tag', 'oracle (knows the outcomes)']);
    for (const name of ['learned, text only', 'learned, text + task tag']) {
      expect(by[name].apgr).toBeGreaterThan(by['random (expected)'].apgr);
      expect(by[name].deliveredAt95Guarded.refusedShare).toBeLessThan(0.1);
    }
    expect(r.perTask.length).toBeGreaterThan(5);
  });
});
