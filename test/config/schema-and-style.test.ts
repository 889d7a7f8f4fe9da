// `tollgate config schema` / `config check` from the compiled CLI, and the one key style
// (camelCase, with the old snake_case spellings as deprecated aliases).

import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ConfigError, deprecationWarning, resolveConfig } from '../../src/config/load.js';
import { camelKey } from '../../src/config/case-style.js';
import { checkReferences, configCheckers } from '../../src/config/references.js';
import { demoConfig } from '../../src/config/demo.js';
import { registerProviderKind } from '../../src/providers/registry.js';

const root = resolve(import.meta.dirname, '../..');
const exampleFile = join(root, 'tollgate.example.yaml');
/** generous: a guard against hangs on a busy machine, not a speed requirement */
const SLOW = { timeout: 120_000 };
/** ajv without ajv-formats: `uri` is checked the way zod checks it (new URL) */
const ajvOf = () => new Ajv2020({ strict: false, allErrors: true, formats: { uri: (v: string) => URL.canParse(v) } });

function cli(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(root, 'bin/tollgate.mjs'), ...args], { env: { PATH: process.env.PATH ?? '', TMPDIR: process.env.TMPDIR ?? tmpdir(), ...env }, timeout: 100_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      done({ status: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const provider = { name: 'p', kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' };
const dataDir = () => mkdtempSync(join(tmpdir(), 'tollgate-style-'));
const minimal = () => ({ auth: { mode: 'demo' }, dataDir: dataDir(), providers: [provider], models: [{ name: 'a', provider: 'p' }, { name: 'b', provider: 'p' }] });

describe('tollgate config schema', () => {
  it('prints a JSON Schema that accepts the example config and rejects a typo', SLOW, async () => {
    const r = await cli(['config', 'schema']);
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout);
    const validate = ajvOf().compile(schema);
    const example = parse(readFileSync(exampleFile, 'utf8'));
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);

    const typo = structuredClone(example);
    typo.retry.maxRetrys = 3;
    expect(validate(typo)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain('maxRetrys');

    const wrongType = structuredClone(example);
    wrongType.server.port = 'eighty';
    expect(validate(wrongType)).toBe(false);
    const badUrl = structuredClone(example);
    badUrl.providers[0].baseUrl = 'api.openai.com';
    expect(validate(badUrl)).toBe(false);
  });

  it('shows camelCase names and keeps the old spellings, marked deprecated', SLOW, async () => {
    const schema = JSON.parse((await cli(['config', 'schema'])).stdout);
    const retry = schema.properties.retry.properties;
    expect(retry.maxRetries.type).toBe('integer');
    expect(retry.max_retries.deprecated).toBe(true);
    expect(retry.budget.properties.windowSeconds).toBeDefined();
    expect(retry.budget.default).toEqual({ ratio: 0.2, minPerSecond: 1, windowSeconds: 10 });
    // a file still written in the old spelling validates in editors too
    const validate = ajvOf().compile(schema);
    expect(validate({ providers: [provider], retry: { max_retries: 1, budget: { min_per_second: 2 } } })).toBe(true);
  });
});

describe('tollgate config check', () => {
  it('exit 0 for the example (with its key variables set), 2 naming the variable without them', SLOW, async () => {
    const ok = await cli(['config', 'check', '--config', exampleFile], { OPENAI_API_KEY: 'a', ANTHROPIC_API_KEY: 'b', GEMINI_API_KEY: 'c' });
    expect(ok.stdout).toMatch(/is valid/);
    expect(ok.status).toBe(0);
    const noEnv = await cli(['config', 'check', '--config', exampleFile]);
    expect(noEnv.stderr).toMatch(/providers\[0\]\.apiKeyEnv: environment variable OPENAI_API_KEY is not set/);
    expect(noEnv.status).toBe(2);
    const skip = await cli(['config', 'check', '--config', exampleFile, '--skip-env']);
    expect(skip.status).toBe(0);
  });

  it('exit 2 listing every reference mistake at once', SLOW, async () => {
    const file = join(dataDir(), 'bad.yaml');
    writeFileSync(file, JSON.stringify({ ...minimal(), routes: { r: { tiers: [{ name: 't', models: ['zz'] }], defaultTier: 'u' } }, pipeline: ['execute', 'cache'] }));
    const r = await cli(['config', 'check', '--config', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/routes\.r\.tiers\[0\]\.models\[0\]: unknown model 'zz'/);
    expect(r.stderr).toMatch(/routes\.r\.defaultTier: unknown tier 'u'/);
    expect(r.stderr).toMatch(/pipeline\[0\]: 'execute' must be the last stage/);
  });
});

describe('one key style', () => {
  it('camelKey spells the old names the camelCase way', () => {
    expect(camelKey('max_retries')).toBe('maxRetries');
    expect(camelKey('window_s')).toBe('windowSeconds');
    expect(camelKey('ttft_p95_ms')).toBe('ttftP95Ms');
    expect(camelKey('input_tokens_gt')).toBe('inputTokensGt');
  });

  it('camelCase and the deprecated snake_case give the same config; only the latter warns', () => {
    const route = (style: 'camel' | 'snake') =>
      style === 'camel'
        ? { tiers: [{ name: 'c', models: ['a'] }, { name: 's', models: ['b'] }], defaultTier: 'c', fallbackOn: ['server'], rules: [{ when: { any: [{ inputTokensGt: 10 }, { jsonPath: { path: '$.x', equals: 1 } }] }, tier: 's' }], slo: { ttftP95Ms: 100, windowSeconds: 5 } }
        : { tiers: [{ name: 'c', models: ['a'] }, { name: 's', models: ['b'] }], default_tier: 'c', fallback_on: ['server'], rules: [{ when: { any: [{ input_tokens_gt: 10 }, { json_path: { path: '$.x', equals: 1 } }] }, tier: 's' }], slo: { ttft_p95_ms: 100, window_s: 5 } };
    const base = minimal();
    const camel = resolveConfig({ ...base, routes: { r: route('camel') }, retry: { maxRetries: 1, budget: { minPerSecond: 3 } } }, '(t)', {});
    const snake = resolveConfig({ ...base, routes: { r: route('snake') }, retry: { max_retries: 1, budget: { min_per_second: 3 } } }, '(t)', {});
    const { deprecatedKeys: dc, ...c } = camel;
    const { deprecatedKeys: ds, ...s } = snake;
    expect(c).toEqual(s);
    expect(c.routes.r!.default_tier).toBe('c');
    expect(c.retry.max_retries).toBe(1);
    expect(dc).toEqual([]);
    expect(deprecationWarning(camel)).toBeUndefined();
    expect(ds).toContain('retry.max_retries → retry.maxRetries');
    expect(ds).toContain('routes.r.rules[0].when.any[0].input_tokens_gt → routes.r.rules[0].when.any[0].inputTokensGt');
    expect(deprecationWarning(snake)!.split('\n')).toHaveLength(1);
  });

  it('names that are data (routes, metadata keys, headers) are never renamed', () => {
    const cfg = resolveConfig(
      { ...minimal(), routes: { my_route: { tiers: [{ name: 'c', models: ['a'] }], rules: [{ when: { metadata: { user_id: 'x' }, header: { x_tenant: 'y' } }, tier: 'c' }] } }, cache: { routes: { my_route: { ttlSeconds: 5 } } } },
      '(t)',
      {},
    );
    expect(Object.keys(cfg.routes)).toEqual(['my_route']);
    expect(cfg.routes.my_route!.rules[0]!.when.metadata).toEqual({ user_id: 'x' });
    expect(cfg.routes.my_route!.rules[0]!.when.header).toEqual({ x_tenant: 'y' });
    expect(cfg.deprecatedKeys).toEqual([]);
  });

  it('errors name the camelCase path whichever spelling was used; both spellings at once is an error', () => {
    expect(() => resolveConfig({ ...minimal(), retry: { max_retries: -1 } }, '(t)', {})).toThrow(/retry\.maxRetries:/);
    expect(() => resolveConfig({ ...minimal(), retry: { maxRetries: 'two' } }, '(t)', {})).toThrow(/retry\.maxRetries:/);
    expect(() => resolveConfig({ ...minimal(), retry: { budget: { windowSeconds: 0 } } }, '(t)', {})).toThrow(/retry\.budget\.windowSeconds:/);
    expect(() => resolveConfig({ ...minimal(), retry: { maxRetries: 1, max_retries: 2 } }, '(t)', {})).toThrow(/retry\.maxRetries: give either maxRetries or max_retries/);
    expect(() => resolveConfig({ ...minimal(), retry: { maxretries: 1 } }, '(t)', {})).toThrow(/unknown field retry\.maxretries/);
  });
});

describe("the README's config examples", () => {
  it('the routing/retry and cache examples are valid and in the one key style', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const yamlAfter = (heading: string) => parse(readme.slice(readme.indexOf(heading)).split('```yaml\n')[1]!.split('```')[0]!);
    const models = ['gpt-4o-mini', 'claude-3-5-haiku', 'claude-sonnet-4', 'gpt-4o', 'gemini-2.0-flash'].map((name) => ({ name, provider: 'p' }));
    const routing = resolveConfig({ ...minimal(), models, ...yamlAfter('## Routing, fallbacks and retries') }, 'README routing', {});
    expect(routing.deprecatedKeys).toEqual([]);
    expect(routing.retry.budget.min_per_second).toBe(1);
    const oneTier = { tiers: [{ name: 'a', models: ['gpt-4o'] }] };
    const cache = resolveConfig({ ...minimal(), models, ...yamlAfter('### Example\n'), routes: { 'support-faq': oneTier, agent: oneTier, creative: oneTier } }, 'README cache', {});
    expect(cache.deprecatedKeys).toEqual([]);
  });
});

describe('references pass', () => {
  it('the demo config has no issues, and every checker is in the exported list', () => {
    const cfg = resolveConfig(demoConfig({ simUrl: 'http://127.0.0.1:9', port: 0, dataDir: dataDir() }), '(demo)', {});
    expect(checkReferences(cfg)).toEqual([]);
    expect(configCheckers.length).toBeGreaterThanOrEqual(7);
  });

  it('a provider kind is any registered kind: a plugin that registers one is accepted, an unknown one is named', () => {
    const withKind = (kind: string) => ({ ...minimal(), providers: [{ ...provider, kind }] });
    expect(() => resolveConfig(withKind('bedrock-test'), '(t)', {})).toThrow(/providers\[0\]\.kind: unknown provider kind 'bedrock-test' \(known: openai, anthropic, openai-compatible/);
    registerProviderKind('bedrock-test', () => {
      throw new Error('not created in this test');
    });
    expect(resolveConfig(withKind('bedrock-test'), '(t)', {}).providers[0]!.kind).toBe('bedrock-test');
  });

  it('collects every issue into one ConfigError', () => {
    let err: unknown;
    try {
      resolveConfig({ ...minimal(), auth: { mode: 'keys' }, models: [{ name: 'a', provider: 'nope' }], pipeline: ['router', 'router'] }, '(t)', {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/models\[0\]\.provider: unknown provider 'nope'/);
    expect(msg).toMatch(/auth\.keys: auth\.mode is 'keys' but there are no keys/);
    expect(msg).toMatch(/pipeline\[1\]: 'router' is listed twice/);
  });
});
