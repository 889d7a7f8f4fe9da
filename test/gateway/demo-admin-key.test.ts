// `tollgate demo` prints its admin key (generated), or takes it from TOLLGATE_ADMIN_KEY and then
// does not echo it; that key is the demo's admin, and any other key a client. `tollgate keys
// create --role admin` makes admin keys. Runs the built CLI (`npm test` builds first).

import { afterEach, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { resolveConfig } from '../../src/config/load.js';
import { hashKey } from '../../src/server/auth.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
let child: ChildProcess | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  child = undefined;
  dataDir = undefined;
});

/** Starts the demo and resolves with its banner once the admin line is out. */
function startDemo(env: Record<string, string | undefined>): Promise<string> {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-demo-'));
  const { TOLLGATE_ADMIN_KEY: _drop, ...base } = process.env;
  child = spawn(process.execPath, [join(root, 'bin/tollgate.mjs'), 'demo', '--port', '0', '--rate', '0', '--latency-scale', '0', '--no-history', '--data-dir', dataDir], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolveBanner, reject) => {
    let out = '';
    child!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (/admin API.*\n/.test(out)) resolveBanner(out);
    });
    child!.once('exit', (code) => reject(new Error(`demo exited (${code}) before its banner: ${out}`)));
  });
}

const status = async (url: string, key: string) => (await fetch(`${url}/admin/upstreams`, { headers: { authorization: `Bearer ${key}` } })).status;

it('generates an admin key and prints it; any other key is a client', { timeout: 120_000 }, async () => {
  const banner = await startDemo({});
  const url = /gateway on (http:\/\/\S+),/.exec(banner)![1]!;
  const key = /admin API \(\/admin\/\*\): Bearer (tg_admin_\S+)/.exec(banner)?.[1];
  expect(key, banner).toBeDefined();
  expect(await status(url, key!)).toBe(200);
  expect(await status(url, 'any')).toBe(403);
});

it('takes the admin key from TOLLGATE_ADMIN_KEY and does not print it', { timeout: 120_000 }, async () => {
  const mine = 'tg_my_own_demo_admin_key';
  const banner = await startDemo({ TOLLGATE_ADMIN_KEY: mine });
  expect(banner).not.toContain(mine);
  expect(banner).toMatch(/TOLLGATE_ADMIN_KEY/);
  const url = /gateway on (http:\/\/\S+),/.exec(banner)![1]!;
  expect(await status(url, mine)).toBe(200);
  expect(await status(url, 'tg_admin_guess')).toBe(403);
});

it('`tollgate keys create --role admin` prints an entry the config accepts as an admin key', { timeout: 120_000 }, async () => {
  const r = spawnSync(process.execPath, [join(root, 'bin/tollgate.mjs'), 'keys', 'create', '--id', 'ops', '--team', 'support', '--role', 'admin'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const key = /key \(shown once\): (\S+)/.exec(r.stdout)![1]!;
  const auth = (parseYaml(r.stdout.slice(r.stdout.indexOf('auth:'))) as { auth: unknown }).auth;
  const cfg = resolveConfig({ providers: [{ name: 'p', kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1' }], auth }, '(test)', {});
  expect(cfg.auth.keys).toEqual([{ id: 'ops', sha256: hashKey(key), team: 'support', role: 'admin' }]);
  const bad = spawnSync(process.execPath, [join(root, 'bin/tollgate.mjs'), 'keys', 'create', '--id', 'x', '--role', 'root'], { encoding: 'utf8' });
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toMatch(/admin, client/);
});
