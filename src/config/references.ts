// The references pass: what the schema cannot see field by field. Runs after the schema, on the
// parsed config, and reports every mistake at once, each with the path the file spells (camelCase).
// One checker per config section, so each can move next to the lever it belongs to when levers
// get their own folder in the registry; a lever that adds a section adds its checker to the list.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { TollgateConfig } from './schema.js';
import { registeredProviderKinds } from '../providers/registry.js';
import '../providers/index.js'; // registers the built-in provider kinds the kind check accepts
import { compileCondition } from '../levers/router/conditions.js';
import { RouterClassifier } from '../levers/router/classifier/model.js';

export interface ConfigIssue {
  /** the field, as the file spells it: `routes.support.tiers[1].models[0]` */
  path: string;
  message: string;
}

export type ConfigChecker = (config: TollgateConfig) => ConfigIssue[];

const list = (names: Iterable<string>): string => [...names].map((n) => `'${n}'`).join(', ') || 'none';

function regexIssue(path: string, pattern: string, flags = 'i'): ConfigIssue | undefined {
  try {
    new RegExp(pattern, flags);
    return undefined;
  } catch (err) {
    return { path, message: `invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}` };
  }
}

function resolvable(pkg: string): boolean {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function duplicates<T>(items: readonly T[], nameOf: (t: T) => string, at: (i: number) => string, what: string): ConfigIssue[] {
  const seen = new Set<string>();
  const out: ConfigIssue[] = [];
  items.forEach((t, i) => {
    const n = nameOf(t);
    if (seen.has(n)) out.push({ path: at(i), message: `duplicate ${what} '${n}'` });
    seen.add(n);
  });
  return out;
}

export const checkProviders: ConfigChecker = (c) => {
  const kinds = registeredProviderKinds();
  const out: ConfigIssue[] = [];
  c.providers.forEach((p, i) => {
    if (!kinds.includes(p.kind)) out.push({ path: `providers[${i}].kind`, message: `unknown provider kind '${p.kind}' (known: ${kinds.join(', ')})` });
  });
  return [...out, ...duplicates(c.providers, (p) => p.name, (i) => `providers[${i}].name`, 'provider name')];
};

export const checkModels: ConfigChecker = (c) => {
  const providers = new Set(c.providers.map((p) => p.name));
  const out: ConfigIssue[] = [];
  c.models.forEach((m, i) => {
    if (!providers.has(m.provider)) out.push({ path: `models[${i}].provider`, message: `unknown provider '${m.provider}' (providers: ${list(providers)})` });
  });
  return [...out, ...duplicates(c.models, (m) => m.name, (i) => `models[${i}].name`, 'model name')];
};

/** relative weight paths: the working directory first, then the data dir (as the router loads them) */
function weightPath(p: string, dataDir: string): string {
  if (isAbsolute(p)) return p;
  const fromCwd = resolve(p);
  return existsSync(fromCwd) ? fromCwd : resolve(dataDir, p);
}

export const checkRoutes: ConfigChecker = (c) => {
  const models = new Set(c.models.map((m) => m.name));
  const out: ConfigIssue[] = [];
  const model = (name: string, path: string) => {
    if (!models.has(name)) out.push({ path, message: `unknown model '${name}' (models: ${list(models)})` });
  };
  for (const [route, r] of Object.entries(c.routes)) {
    const at = `routes.${route}`;
    const tiers = r.tiers.map((t) => t.name);
    const tier = (name: string | undefined, path: string) => {
      if (name !== undefined && !tiers.includes(name)) out.push({ path, message: `unknown tier '${name}' (tiers: ${list(tiers)})` });
    };
    r.tiers.forEach((t, i) => t.models.forEach((m, j) => model(typeof m === 'string' ? m : m.model, `${at}.tiers[${i}].models[${j}]`)));
    out.push(...duplicates(r.tiers, (t) => t.name, (i) => `${at}.tiers[${i}].name`, 'tier name'));
    r.rules.forEach((rule, i) => {
      tier(rule.tier, `${at}.rules[${i}].tier`);
      if (rule.model !== undefined) model(rule.model, `${at}.rules[${i}].model`);
      try {
        compileCondition(rule.when);
      } catch (err) {
        out.push({ path: `${at}.rules[${i}].when`, message: (err as Error).message });
      }
    });
    tier(r.default_tier, `${at}.defaultTier`);
    r.fallbacks.forEach((m, i) => model(m, `${at}.fallbacks[${i}]`));
    if (r.baseline !== undefined) model(r.baseline, `${at}.baseline`);
    if (r.classifier) {
      const cl = r.classifier;
      tier(cl.weak_tier, `${at}.classifier.weakTier`);
      tier(cl.strong_tier, `${at}.classifier.strongTier`);
      const path = weightPath(cl.weights, c.dataDir);
      if (!existsSync(path)) out.push({ path: `${at}.classifier.weights`, message: `no weight file at ${path} (relative paths are tried from the working directory, then the data dir; \`tollgate router train\` writes one)` });
      else {
        try {
          const m = RouterClassifier.load(path);
          if (cl.target) m.thresholdFor(cl.target);
        } catch (err) {
          out.push({ path: `${at}.classifier.weights`, message: (err as Error).message });
        }
      }
    }
    if (r.cascade) {
      const cs = r.cascade;
      if (cs.checks.includes('verifier') && !cs.verifier) out.push({ path: `${at}.cascade.verifier`, message: 'the verifier check needs a verifier: { model } section' });
      if (cs.verifier) {
        model(cs.verifier.model, `${at}.cascade.verifier.model`);
        const bad = regexIssue(`${at}.cascade.verifier.passPattern`, cs.verifier.pass_pattern);
        if (bad) out.push(bad);
      }
      cs.refusal_patterns.forEach((p, i) => {
        const bad = regexIssue(`${at}.cascade.refusalPatterns[${i}]`, p);
        if (bad) out.push(bad);
      });
    }
  }
  return out;
};

export const checkCache: ConfigChecker = (c) => {
  const out: ConfigIssue[] = [];
  const models = new Set(c.models.map((m) => m.name));
  const routes = new Set(Object.keys(c.routes));
  for (const name of Object.keys(c.cache.routes)) {
    if (!routes.has(name) && !models.has(name)) out.push({ path: `cache.routes.${name}`, message: `names no route or model (routes: ${list(routes)}; models: ${list(models)})` });
  }
  const s = c.cache.semantic;
  if (s.verifierModel !== undefined && !models.has(s.verifierModel)) out.push({ path: 'cache.semantic.verifierModel', message: `unknown model '${s.verifierModel}' (models: ${list(models)})` });
  const e = s.embedder;
  if (e.kind === 'openai-compatible' && !models.has(e.model)) out.push({ path: 'cache.semantic.embedder.model', message: `unknown model '${e.model}' (models: ${list(models)})` });
  // the embedder is loaded only when some route uses the semantic cache (levers/cache/stage.ts)
  const semanticAnywhere = s.enabled || Object.values(c.cache.routes).some((r) => r.semantic?.enabled);
  if (semanticAnywhere && e.kind === 'builtin' && e.file !== undefined && !existsSync(e.file)) out.push({ path: 'cache.semantic.embedder.file', message: `no embedder weights at ${resolve(e.file)}` });
  if (semanticAnywhere && e.kind === 'onnx') {
    if (!existsSync(e.dir)) out.push({ path: 'cache.semantic.embedder.dir', message: `no model directory at ${resolve(e.dir)}` });
    if (!resolvable('@huggingface/transformers')) out.push({ path: 'cache.semantic.embedder.kind', message: "'onnx' needs the optional package @huggingface/transformers (npm install @huggingface/transformers@3)" });
  }
  const pc = c.cache.promptCache;
  const bad = [regexIssue('cache.promptCache.models', pc.models), ...pc.minTokens.map((m, i) => regexIssue(`cache.promptCache.minTokens[${i}].match`, m.match))];
  for (const b of bad) if (b) out.push(b);
  return out;
};

/**
 * What the stages need of each other (src/levers/index.ts builds them in this order):
 * the exact/semantic cache keys on the route the client asked for, so it runs before the router
 * rewrites the request; prompt-cache places breakpoints for the target model, so after the
 * router picked it; execute retries and falls back by calling the rest of the chain again, so it
 * is last (the upstream call itself is the pipeline's terminal step).
 */
export const checkPipeline: ConfigChecker = (c) => {
  const out: ConfigIssue[] = [];
  const p = c.pipeline;
  const first = new Map<string, number>();
  p.forEach((s, i) => {
    if (first.has(s)) out.push({ path: `pipeline[${i}]`, message: `'${s}' appears twice (each stage runs once)` });
    else first.set(s, i);
  });
  const at = (s: string) => first.get(s);
  const exec = at('execute');
  if (exec !== undefined && exec !== p.length - 1) out.push({ path: 'pipeline', message: `'execute' must come last (it retries by calling the stages after it): [${p.join(', ')}]` });
  const router = at('router');
  const cache = at('cache');
  const promptCache = at('prompt-cache');
  if (router !== undefined && cache !== undefined && cache > router) out.push({ path: 'pipeline', message: `'cache' must come before 'router' (it keys on the route the client asked for): [${p.join(', ')}]` });
  if (router !== undefined && promptCache !== undefined && promptCache < router) out.push({ path: 'pipeline', message: `'prompt-cache' must come after 'router' (breakpoints depend on the chosen model): [${p.join(', ')}]` });
  return out;
};

export const checkAuth: ConfigChecker = (c) => {
  const out: ConfigIssue[] = [];
  if (c.auth.mode === 'keys' && c.auth.keys.length === 0) {
    out.push({ path: 'auth.keys', message: "auth.mode is 'keys' but there are no keys, so every request would get 401: add one (`tollgate keys create --id NAME`) or set auth.mode: demo" });
  }
  out.push(...duplicates(c.auth.keys, (k) => k.id, (i) => `auth.keys[${i}].id`, 'key id'));
  out.push(...duplicates(c.auth.keys, (k) => k.sha256, (i) => `auth.keys[${i}].sha256`, 'key hash'));
  return out;
};

export const checkDataDir: ConfigChecker = (c) => {
  const dir = resolve(c.dataDir);
  // the nearest part of the path that exists must be a directory we can write into
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  let isDir = false;
  try {
    isDir = statSync(probe).isDirectory();
  } catch {
    /* unreadable: reported below */
  }
  if (!isDir) {
    return [{ path: 'dataDir', message: probe === dir ? `${dir} is not a directory (it is a file)` : `${dir} cannot be created: ${probe} is not a directory` }];
  }
  try {
    accessSync(probe, constants.W_OK | constants.X_OK);
  } catch {
    return [{ path: 'dataDir', message: `${probe} is not writable` }];
  }
  return [];
};

/** Every checker, in the order their issues are reported. */
export const configCheckers: readonly ConfigChecker[] = [checkProviders, checkModels, checkAuth, checkDataDir, checkRoutes, checkCache, checkPipeline];

export function checkReferences(config: TollgateConfig, checkers: readonly ConfigChecker[] = configCheckers): ConfigIssue[] {
  return checkers.flatMap((check) => check(config));
}
