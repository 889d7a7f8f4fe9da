// A record of a completed request survives `kill -9` of the gateway, under load.
// Runs the built CLI (`npm test` builds first) as a child process so it can really be killed.

import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { startSimulator } from '../../src/sim/index.js';
import { readLedger } from '../../src/ledger/read.js';

const root = resolve(import.meta.dirname, '../..');
let sim: { url: string; close(): Promise<void> };
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, latencyScale: 0, seed: 1 });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-kill9-'));
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function startGatewayProcess(configPath: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/tollgate.mjs'), 'serve', '--config', configPath, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ child, url: m[1]! });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`gateway exited early (${code}): ${out}`)));
  });
}

it('every request whose response completed is in the ledger after kill -9', async () => {
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'tollgate.yaml');
  writeFileSync(
    configPath,
    [
      'server: { host: 127.0.0.1, port: 0 }',
      `dataDir: ${JSON.stringify(dataDir)}`,
      'auth: { mode: demo }',
      'providers:',
      `  - { name: sim, kind: openai, baseUrl: "${sim.url}/v1", headers: { authorization: "Bearer sim" } }`,
      'models:',
      '  - { name: gpt-4o-mini, provider: sim }',
    ].join('\n'),
  );
  const { child, url } = await startGatewayProcess(configPath);
  // whatever happens below, the child must not outlive the test
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  const completed: string[] = [];
  const failures: number[] = [];
  let stop = false;
  const worker = async (w: number) => {
    for (let i = 0; !stop; i++) {
      try {
        const res = await request(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `worker ${w} request ${i}` }], max_tokens: 20 }),
        });
        const id = res.headers['x-tollgate-request-id'] as string;
        await res.body.text();
        if (res.statusCode === 200) completed.push(id);
        else failures.push(res.statusCode);
      } catch {
        return; // the gateway is gone
      }
    }
  };
  const workers = Array.from({ length: 16 }, (_, w) => worker(w));
  // let load build up, then kill without warning once a good number of requests completed
  while (completed.length < 300 && failures.length < 20) await new Promise((r) => setTimeout(r, 20));
  expect(failures).toEqual([]);
  child.kill('SIGKILL');
  stop = true;
  await Promise.all(workers);
  const recorded = new Set(readLedger(dataDir, { last: 1_000_000 }).map((r) => r.requestId));
  const missing = completed.filter((id) => !recorded.has(id));
  expect(completed.length).toBeGreaterThanOrEqual(300);
  expect(missing).toEqual([]);
}, 60_000);
