// `tollgate demo` (what `npm start` runs) on a new data directory: it seeds a month of synthetic
// history, prints the dashboard's URL and how to sign in, and the dashboard's API then answers the
// history plus the live traffic; a second start on the same directory does not seed again. Runs
// the built CLI (`npm test` builds first).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-demo-dash-'));
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function startDemo(records: number, rate: number): Promise<string> {
  const { TOLLGATE_ADMIN_KEY: _drop, ...env } = process.env;
  child = spawn(process.execPath, [join(root, 'bin/tollgate.mjs'), 'demo', '--port', '0', '--rate', String(rate), '--latency-scale', '0', '--history-records', String(records), '--data-dir', dataDir], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((done, fail) => {
    let out = '';
    child!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (/dashboard: .*\n/.test(out)) done(out);
    });
    child!.once('exit', (code) => fail(new Error(`demo exited (${code}) before its banner: ${out}`)));
  });
}

async function overview(url: string, key: string): Promise<{ requests: number; costUsd: number }> {
  const res = await fetch(`${url}/admin/api/overview?from=31d`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { requests: number; costUsd: number };
}

it('seeds a month of demo history once, prints the dashboard and its sign-in, and the dashboard reads history and live traffic', { timeout: 180_000 }, async () => {
  const banner = await startDemo(2000, 5);
  expect(banner).toMatch(/seeding .* with a month of synthetic history \(2,000 demo requests, once; --no-history to skip\)\.\.\. done in [\d.]+ s \(2,000 records\)/);
  const url = /gateway on (http:\/\/\S+),/.exec(banner)![1]!;
  const key = /admin API \(\/admin\/\*\): Bearer (tg_admin_\S+)/.exec(banner)![1]!;
  expect(banner).toContain(`dashboard: ${url}/dashboard   (sign in with the admin key`);
  expect(JSON.parse(readFileSync(join(dataDir, 'demo-history.json'), 'utf8'))).toMatchObject({ synthetic: true, records: 2000 });
  // the sign-in page for a browser, the app for the key
  expect((await fetch(`${url}/dashboard`)).status).toBe(401);
  expect((await fetch(`${url}/dashboard`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
  const first = await overview(url, key);
  expect(first.requests).toBeGreaterThanOrEqual(2000);
  expect(first.costUsd).toBeGreaterThan(0);
  // live traffic lands on top of the history
  let now = first;
  for (let i = 0; i < 60 && now.requests <= first.requests; i++) {
    await new Promise((r) => setTimeout(r, 500));
    now = await overview(url, key);
  }
  expect(now.requests).toBeGreaterThan(first.requests);
});

it('a second start on the same data directory does not seed again', { timeout: 120_000 }, async () => {
  expect(existsSync(join(dataDir, 'demo-history.json'))).toBe(true);
  const banner = await startDemo(2000, 0);
  expect(banner).not.toContain('seeding');
});
