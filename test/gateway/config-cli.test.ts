// Config mistakes stop start-up with a message naming the field; the CLI's commands answer --help.
// (Every kind of broken config, run through `serve`: test/config/broken-configs.test.ts.)
// No wall-clock expectations: the CLI runs asynchronously (several at once) and the timeouts only
// guard against a hang on a busy machine.

import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfigFile, resolveConfig } from '../../src/config/load.js';

const root = resolve(import.meta.dirname, '../..');
const GUARD = { timeout: 180_000 };
const cli = (args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> =>
  new Promise((done) => {
    execFile(process.execPath, [join(root, 'bin/tollgate.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 150_000 }, (err, stdout, stderr) =>
      done({ status: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });

describe('config validation', () => {
  it('the example config is valid once its keys are in the environment', () => {
    const cfg = loadConfigFile(join(root, 'tollgate.example.yaml'), { OPENAI_API_KEY: 'a', ANTHROPIC_API_KEY: 'b', GEMINI_API_KEY: 'c' });
    expect(cfg.providers.map((p) => p.name)).toEqual(['openai', 'anthropic', 'gemini']);
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('names the missing environment variable', () => {
    expect(() => loadConfigFile(join(root, 'tollgate.example.yaml'), {})).toThrow(/providers\[0\]\.apiKeyEnv: environment variable OPENAI_API_KEY is not set/);
  });

  it('names unknown fields, wrong types and dangling references', () => {
    const base = { auth: { mode: 'demo' }, providers: [{ name: 'p', kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1' }] };
    expect(() => resolveConfig({ ...base, sever: {} })).toThrow(/unknown field sever/);
    expect(() => resolveConfig({ ...base, server: { port: 'eighty' } })).toThrow(/server\.port/);
    expect(() => resolveConfig({ ...base, models: [{ name: 'm', provider: 'nope' }] })).toThrow(/models\[0\]\.provider: unknown provider 'nope'/);
    expect(() => resolveConfig({ providers: [{ name: 'p', kind: 'openai', baseUrl: 'not a url' }] })).toThrow(/providers\[0\]\.baseUrl/);
    expect(() => resolveConfig({ ...base, auth: { keys: [{ id: 'k', sha256: 'short' }] } })).toThrow(ConfigError);
  });

  it('`tollgate serve` with a broken config exits 2 and says which field', GUARD, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-cfg-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'providers:\n  - { name: p, kind: openai, baseUrl: "http://127.0.0.1:1/v1", timeoutMS: 5 }\n');
      const r = await cli(['serve', '--config', file]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/providers\[0\].*timeoutMS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CLI', () => {
  it('has --help everywhere', GUARD, async () => {
    const all = [['--help'], ['serve', '--help'], ['demo', '--help'], ['sim', '--help'], ['ledger', '--help'], ['cache', 'eval', '--help'], ['router', 'train', '--help'], ['router', 'eval', '--help'], ['keys', '--help'], ['config', '--help'], ['config', 'schema', '--help'], ['config', 'check', '--help']];
    // three at a time: quicker than one by one, without flooding a 2-core machine
    const runs: Awaited<ReturnType<typeof cli>>[] = [];
    for (let i = 0; i < all.length; i += 3) runs.push(...(await Promise.all(all.slice(i, i + 3).map((args) => cli(args)))));
    runs.forEach((r, i) => {
      expect(r.status, all[i]!.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: tollgate/);
    });
  });

  it('a bad --port is a one-line usage error, a bad PORT for the demo exits 2; neither prints a stack', GUARD, async () => {
    const flag = await cli(['serve', '--config', 'unused.yaml', '--port', 'abc']);
    expect(flag.stderr).toMatch(/--port <port>.*'abc'/);
    expect(flag.stderr).not.toMatch(/\n\s+at /);
    expect(flag.status).toBe(1);
    const env = await cli(['demo', '--rate', '0'], { PORT: 'eighty' });
    expect(env.stderr).toMatch(/PORT: expected a port number 0-65535, got 'eighty'/);
    expect(env.stderr).not.toMatch(/\n\s+at /);
    expect(env.status).toBe(2);
  });

  it('keys create prints a key whose hash is in the printed entry', GUARD, async () => {
    const r = await cli(['keys', 'create', '--id', 'bob', '--team', 'ml']);
    const key = /key \(shown once\): (\S+)/.exec(r.stdout)![1]!;
    const hash = (await cli(['keys', 'hash', key])).stdout.trim();
    expect(r.stdout).toContain(`sha256: ${hash}`);
    expect(r.stdout).toContain('team: ml');
  });
});
