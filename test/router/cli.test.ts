// `tollgate router train` / `eval` from the command line (the compiled CLI, as `npx tollgate` runs
// it): help, clear errors on bad input, and a real train → load → eval round trip on the shared data.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RouterClassifier } from '../../src/levers/router/classifier/model.js';
import { REPO_ROOT } from './e2e-helpers.js';

const BIN = join(REPO_ROOT, 'bin/tollgate.mjs');
const DATA = join(REPO_ROOT, '..', 'shared', 'data');
const built = existsSync(join(REPO_ROOT, 'dist/cli/main.js'));
const tmp = mkdtempSync(join(tmpdir(), 'tollgate-router-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'router', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });

describe.skipIf(!built)('tollgate router (compiled CLI)', () => {
  it('train and eval have --help naming their options', () => {
    const train = run('train', '--help');
    expect(train.status).toBe(0);
    for (const opt of ['--dataset', '--data', '--out', '--task', '--seed', '--json']) expect(train.stdout).toContain(opt);
    const ev = run('eval', '--help');
    expect(ev.status).toBe(0);
    for (const opt of ['--dataset', '--data', '--seed', '--out', '--json']) expect(ev.stdout).toContain(opt);
  });

  it('bad input is a one-line message and exit code 1, not a stack trace', () => {
    const bad = run('train', '--dataset', 'nope');
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('tollgate router: unknown dataset "nope" (one of mmlu, mt-bench, llmrouter)');
    const missing = run('eval', '--dataset', 'mmlu', '--data', join(tmp, 'absent'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^tollgate router: ENOENT.*is --data pointing at the shared data directory\?\)\n$/);
  });

  it.skipIf(!existsSync(DATA))('trains a weight file the router loads, and evaluates on the held-out split', { timeout: 60_000 }, () => {
    const out = join(tmp, 'llm.json');
    const train = JSON.parse(execFileSync(process.execPath, [BIN, 'router', 'train', '--dataset', 'llmrouter', '--task', '--data', DATA, '--out', out, '--json'], { cwd: REPO_ROOT, encoding: 'utf8' }));
    expect(train).toMatchObject({ weights: out, dataset: 'llmrouter' });
    expect(train.train).toBeGreaterThan(train.held_out_test);
    const clf = RouterClassifier.load(out);
    expect(clf.spec.useTask).toBe(true);
    expect(clf.thresholdFor({ quality_ge: 0.95 }).threshold).toBeCloseTo(train.thresholdForQuality95, 9);

    const reportPath = join(tmp, 'eval.json');
    const ev = run('eval', '--dataset', 'llmrouter', '--data', DATA, '--out', reportPath);
    expect(ev.status).toBe(0);
    expect(ev.stdout).toContain('APGR');
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    const r = report.reports[0];
    expect(r.dataset).toBe('llmrouter');
    // the learned router beats random on the held-out split
    for (const v of r.variants) expect(v.summary.apgr).toBeGreaterThan(r.baselines.random.apgr);
  });
});
