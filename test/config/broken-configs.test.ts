// Every kind of broken config stops `tollgate serve` with exit code 2 and one message naming the
// field, never a stack trace. Runs the compiled CLI (npm test builds first) as a user would.

import { afterAll, beforeAll, describe, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

const root = resolve(import.meta.dirname, '../..');

interface Run {
  status: number | null;
  stderr: string;
  stdout: string;
}

/** Generous: it only guards against a gateway that starts when it should not (the kill ends it). */
const HANG_GUARD_MS = 90_000;

function serve(file: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, 'bin/tollgate.mjs'), 'serve', '--config', file], {
      env: { PATH: process.env.PATH ?? '', TMPDIR: process.env.TMPDIR ?? tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      // a gateway that started when it should not: stop it now rather than at the guard
      if (/listening on/.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('close', (status) => {
      clearTimeout(guard);
      done({ status, stderr, stdout });
    });
  });
}

let dir: string;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-broken-'));
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((r) => busy.close(r));
  rmSync(dir, { recursive: true, force: true });
});

type Cfg = Record<string, any>;

/** A config that starts (checked by the last case); each broken one changes one thing in it. */
function base(n: number): Cfg {
  return {
    server: { host: '127.0.0.1', port: 0 },
    // one each: the cases run side by side, and a few get as far as opening the ledger
    dataDir: join(dir, `data-${n}`),
    auth: { mode: 'demo' },
    providers: [
      { name: 'oa', kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' },
      { name: 'an', kind: 'anthropic', baseUrl: 'http://127.0.0.1:9' },
    ],
    models: [
      { name: 'small', provider: 'oa' },
      { name: 'big', provider: 'an' },
      { name: 'embed', provider: 'oa' },
    ],
    routes: {
      support: {
        tiers: [
          { name: 'cheap', models: ['small'] },
          { name: 'strong', models: ['big'] },
        ],
        rules: [{ name: 'long', when: { inputTokensGt: 2000 }, tier: 'strong' }],
        fallbacks: ['big'],
      },
    },
    pipeline: ['cache', 'router', 'prompt-cache', 'execute'],
  };
}

interface Case {
  name: string;
  /** the config text, or a change to the base config */
  yaml?: string;
  edit?: (c: Cfg) => void;
  /** a path instead of a written file */
  file?: () => string;
  env?: Record<string, string>;
  stderr: RegExp;
}

const cases: Case[] = [
  { name: 'missing config file', file: () => join(dir, 'nope.yaml'), stderr: /cannot read config file .*nope\.yaml/ },
  { name: 'not YAML', yaml: 'providers: [\n  - {name: a\n', stderr: /is not valid YAML/ },
  { name: 'YAML that is not a mapping', yaml: '- a\n- b\n', stderr: /\(root\): .*object/i },
  { name: 'empty file', yaml: '', stderr: /providers/ },
  { name: 'unknown top-level key', edit: (c) => (c.sever = {}), stderr: /unknown field sever/ },
  { name: 'port of the wrong type', edit: (c) => (c.server.port = 'eighty'), stderr: /server\.port/ },
  { name: 'port out of range', edit: (c) => (c.server.port = 70000), stderr: /server\.port/ },
  { name: 'unknown provider kind', edit: (c) => (c.providers[0].kind = 'opneai'), stderr: /providers\[0\]\.kind: unknown provider kind 'opneai' \(known: .*openai-compatible/ },
  { name: 'baseUrl not a URL', edit: (c) => (c.providers[0].baseUrl = 'api.openai.com'), stderr: /providers\[0\]\.baseUrl/ },
  { name: 'API key variable not set', edit: (c) => (c.providers[0].apiKeyEnv = 'TG_TEST_UNSET_KEY'), stderr: /providers\[0\]\.apiKeyEnv: environment variable TG_TEST_UNSET_KEY is not set/ },
  { name: 'duplicate provider', edit: (c) => (c.providers[1].name = 'oa'), stderr: /providers\[1\]\.name: duplicate provider name 'oa'/ },
  { name: 'model on an unknown provider', edit: (c) => (c.models[0].provider = 'nope'), stderr: /models\[0\]\.provider: unknown provider 'nope'/ },
  { name: 'duplicate model', edit: (c) => (c.models[1].name = 'small'), stderr: /models\[1\]\.name: duplicate model name 'small'/ },
  { name: 'tier naming an unknown model', edit: (c) => (c.routes.support.tiers[1].models = ['gpt-5x']), stderr: /routes\.support\.tiers\[1\]\.models\[0\]: unknown model 'gpt-5x'/ },
  { name: 'duplicate tier name', edit: (c) => (c.routes.support.tiers[1].name = 'cheap'), stderr: /routes\.support\.tiers\[1\]\.name: duplicate tier name 'cheap'/ },
  { name: 'rule naming an unknown tier', edit: (c) => (c.routes.support.rules[0].tier = 'premium'), stderr: /routes\.support\.rules\[0\]\.tier: unknown tier 'premium'/ },
  { name: 'rule naming an unknown model', edit: (c) => (c.routes.support.rules[0] = { when: { stream: true }, model: 'gpt-5x' }), stderr: /routes\.support\.rules\[0\]\.model: unknown model 'gpt-5x'/ },
  { name: 'rule with a broken regex', edit: (c) => (c.routes.support.rules[0].when = { regex: '(?i)[unclosed' }), stderr: /routes\.support\.rules\[0\]\.when/ },
  { name: 'unknown default tier', edit: (c) => (c.routes.support.defaultTier = 'mid'), stderr: /routes\.support\.defaultTier: unknown tier 'mid'/ },
  { name: 'unknown fallback model', edit: (c) => (c.routes.support.fallbacks = ['gemini-9']), stderr: /routes\.support\.fallbacks\[0\]: unknown model 'gemini-9'/ },
  { name: 'unknown baseline model', edit: (c) => (c.routes.support.baseline = 'gpt-5x'), stderr: /routes\.support\.baseline: unknown model 'gpt-5x'/ },
  { name: 'missing classifier weights', edit: (c) => (c.routes.support.classifier = { weights: join(dir, 'no-such-weights.json'), threshold: 0.5 }), stderr: /routes\.support\.classifier\.weights: .*no-such-weights\.json/ },
  { name: 'classifier naming an unknown tier', edit: (c) => (c.routes.support.classifier = { weights: join(root, 'data/router/mmlu.json'), threshold: 0.5, strongTier: 'top' }), stderr: /routes\.support\.classifier\.strongTier: unknown tier 'top'/ },
  { name: 'cascade verifier check with no verifier', edit: (c) => (c.routes.support.cascade = { checks: ['verifier'] }), stderr: /routes\.support\.cascade\.verifier: the verifier check needs/ },
  { name: 'cascade verifier on an unknown model', edit: (c) => (c.routes.support.cascade = { checks: ['verifier'], verifier: { model: 'judge' } }), stderr: /routes\.support\.cascade\.verifier\.model: unknown model 'judge'/ },
  { name: 'cascade refusal pattern that is no regex', edit: (c) => (c.routes.support.cascade = { refusalPatterns: ['(unclosed'] }), stderr: /routes\.support\.cascade\.refusalPatterns\[0\]: invalid regular expression/ },
  { name: 'cache.routes key that is neither route nor model', edit: (c) => (c.cache = { routes: { suport: { ttlSeconds: 60 } } }), stderr: /cache\.routes\.suport: names no route or model/ },
  { name: 'unknown semantic verifier model', edit: (c) => (c.cache = { semantic: { enabled: true, verifierModel: 'judge' } }), stderr: /cache\.semantic\.verifierModel: unknown model 'judge'/ },
  { name: 'unknown embedder model', edit: (c) => (c.cache = { semantic: { enabled: true, embedder: { kind: 'openai-compatible', model: 'ada-9' } } }), stderr: /cache\.semantic\.embedder\.model: unknown model 'ada-9'/ },
  { name: 'missing built-in embedder file', edit: (c) => (c.cache = { routes: { support: { semantic: { enabled: true } } }, semantic: { embedder: { kind: 'builtin', file: join(dir, 'no-embedder.bin') } } }), stderr: /cache\.semantic\.embedder\.file: .*no-embedder\.bin/ },
  { name: 'missing built-in pair-scorer file', edit: (c) => (c.cache = { routes: { support: { semantic: { enabled: true } } }, semantic: { embedder: { kind: 'builtin', pairScorer: join(dir, 'no-scorer.bin') } } }), stderr: /cache\.semantic\.embedder\.pairScorer: .*no-scorer\.bin/ },
  { name: 'onnx embedder without its model directory', edit: (c) => (c.cache = { semantic: { enabled: true, embedder: { kind: 'onnx', dir: join(dir, 'no-model') } } }), stderr: /cache\.semantic\.embedder\.dir: no model directory at .*no-model/ },
  { name: 'prompt-cache pattern that is no regex', edit: (c) => (c.cache = { promptCache: { models: 'claude(' } }), stderr: /cache\.promptCache\.models: invalid regular expression/ },
  { name: 'pipeline with execute before the router', edit: (c) => (c.pipeline = ['execute', 'router']), stderr: /pipeline\[0\]: 'execute' must be the last stage/ },
  { name: 'pipeline naming no lever', edit: (c) => (c.pipeline = ['cach', 'execute']), stderr: /pipeline\[0\]: unknown lever 'cach' \(known: cache, router, (\S+, )*prompt-cache, execute\)/ },
  { name: 'pipeline with a stage twice', edit: (c) => (c.pipeline = ['cache', 'cache', 'execute']), stderr: /pipeline\[1\]: 'cache' is listed twice/ },
  { name: 'pipeline with an unknown stage', edit: (c) => (c.pipeline = ['cache', 'retry', 'execute']), stderr: /pipeline\[1\]/ },
  { name: 'telemetry endpoint that is no URL', edit: (c) => (c.telemetry = { endpoint: 'collector:4318' }), stderr: /telemetry\.endpoint/ },
  { name: 'telemetry endpoint over gRPC', edit: (c) => (c.telemetry = { endpoint: 'grpc://collector:4317' }), stderr: /telemetry\.endpoint: must be an http:\/\/ or https:\/\/ URL/ },
  { name: 'telemetry sampling ratio above 1', edit: (c) => (c.telemetry = { endpoint: 'http://127.0.0.1:4318', samplingRatio: 2 }), stderr: /telemetry\.samplingRatio/ },
  { name: 'telemetry batch larger than its queue', edit: (c) => (c.telemetry = { endpoint: 'http://127.0.0.1:4318', maxQueueSize: 10, maxExportBatchSize: 100 }), stderr: /telemetry\.maxExportBatchSize: maxExportBatchSize must not exceed maxQueueSize/ },
  { name: 'unknown telemetry key', edit: (c) => (c.telemetry = { endpoint: 'http://127.0.0.1:4318', sampleRate: 0.5 }), stderr: /unknown field telemetry\.sampleRate/ },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT that is no URL', edit: () => {}, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, stderr: /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/ },
  { name: 'auth.mode keys with no keys', edit: (c) => (c.auth = { mode: 'keys' }), stderr: /auth\.keys: .*no keys/ },
  { name: 'retry with an unknown error class', edit: (c) => (c.retry = { neverRetry: ['quota', 'bogus'] }), stderr: /retry\.neverRetry\[1\]/ },
  { name: 'dataDir that is a file', edit: (c) => { writeFileSync(join(dir, 'a-file'), 'x'); c.dataDir = join(dir, 'a-file'); }, stderr: /dataDir: .*a-file.* not a directory/ },
  { name: 'dataDir under a file', edit: (c) => { writeFileSync(join(dir, 'b-file'), 'x'); c.dataDir = join(dir, 'b-file', 'sub'); }, stderr: /dataDir: .*b-file/ },
  { name: 'alert rule scoped to an unknown route', edit: (c) => (c.alerts = { rules: [{ name: 'r', metric: 'spend_usd', threshold: 1, scope: { route: 'suport' } }] }), stderr: /alerts\.rules\[0\]\.scope\.route: unknown route 'suport'/ },
  { name: 'judge on an unknown model', edit: (c) => (c.judge = { model: 'gpt-5x' }), stderr: /judge\.model: unknown model 'gpt-5x'/ },
  { name: 'judge on a route', edit: (c) => (c.judge = { model: 'support' }), stderr: /judge\.model: unknown model 'support' .*a route cannot judge/ },
  { name: 'judge sample rate above 1', edit: (c) => (c.judge = { model: 'big', sampleRate: 1.5 }), stderr: /judge\.sampleRate/ },
  { name: 'judge with an unknown key', edit: (c) => (c.judge = { model: 'big', sample_rate: 0.1 }), stderr: /judge.*sample_rate|judge\.sampleRate/ },
  { name: 'alert rule sending to an unknown channel', edit: (c) => (c.alerts = { rules: [{ name: 'r', metric: 'spend_usd', threshold: 1, channels: ['pager'] }] }), stderr: /alerts\.rules\.0\.channels|alerts\.rules\[0\]\.channels/ },
  { name: 'port in use', edit: (c) => (c.server.port = busyPort), stderr: new RegExp(`server\\.port: 127\\.0\\.0\\.1:${'\\d+'} is already in use`) },
  { name: 'listen host that does not resolve', edit: (c) => (c.server.host = 'no-such-host.invalid'), stderr: /server\.host: cannot resolve no-such-host\.invalid/ },
  { name: 'listen address that is not this host', edit: (c) => (c.server.host = '203.0.113.7'), stderr: /server\.host: cannot listen on 203\.0\.113\.7/ },
];

// concurrent (vitest runs up to 5 at once): each case is a process that mostly waits for the loader
describe.concurrent('tollgate serve with a broken config', () => {
  cases.forEach((c, n) => {
    it(`${c.name}: exit 2, names the field, no stack trace`, { timeout: HANG_GUARD_MS + 30_000 }, async ({ expect }) => {
      let file: string;
      if (c.file) file = c.file();
      else {
        file = join(dir, `case-${n}.yaml`);
        let text = c.yaml;
        if (text === undefined) {
          const cfg = base(n);
          c.edit!(cfg);
          text = stringify(cfg);
        }
        writeFileSync(file, text);
      }
      const r = await serve(file, c.env);
      expect(r.stdout).not.toMatch(/listening on/);
      expect(r.stderr).toMatch(c.stderr);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack frames
      expect(r.status).toBe(2);
    });
  });

  it('the base config these cases break does start (so each case fails for its own reason)', { timeout: HANG_GUARD_MS + 30_000 }, async ({ expect }) => {
    mkdirSync(join(dir, 'ok'), { recursive: true });
    const file = join(dir, 'ok.yaml');
    const cfg = base(-1);
    cfg.dataDir = join(dir, 'ok', 'data');
    writeFileSync(file, stringify(cfg));
    const r = await serve(file);
    expect(r.stdout).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(r.stderr).not.toMatch(/deprecated/);
  });

  it('a config in the old snake_case spelling still starts, with one warning line naming each key', { timeout: HANG_GUARD_MS + 30_000 }, async ({ expect }) => {
    const file = join(dir, 'snake.yaml');
    const cfg = base(-2);
    const support = cfg.routes.support;
    support.rules[0].when = { input_tokens_gt: 2000 };
    support.default_tier = 'cheap';
    cfg.retry = { max_retries: 1, budget: { window_s: 5 } };
    writeFileSync(file, stringify(cfg));
    const r = await serve(file);
    expect(r.stdout).toMatch(/listening on/);
    const warnings = r.stderr.split('\n').filter((l) => /deprecated/.test(l));
    expect(warnings).toHaveLength(1);
    for (const k of ['routes.support.rules[0].when.input_tokens_gt → routes.support.rules[0].when.inputTokensGt', 'routes.support.default_tier → routes.support.defaultTier', 'retry.max_retries → retry.maxRetries', 'retry.budget.window_s → retry.budget.windowSeconds']) {
      expect(warnings[0]).toContain(k);
    }
  });
});
