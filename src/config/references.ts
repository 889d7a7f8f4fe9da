// The references pass: what the schema cannot see field by field. Runs after the schema, on the
// parsed config, and reports every mistake at once, each with the path the file spells (camelCase).
// One checker per config section; a lever's own section is checked by the lever (its `check`, next
// to it in its folder), and the pipeline's order by the registry's constraints.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TollgateConfig } from './schema.js';
import { registeredProviderKinds } from '../providers/registry.js';
import '../providers/index.js'; // registers the built-in provider kinds the kind check accepts
import { LEVERS, pipelineProblems } from '../levers/registry.js';
import { duplicates, list, type ConfigChecker, type ConfigIssue } from './issues.js';
import { checkBudgets, checkRateLimits } from '../spend/check.js';

export type { ConfigChecker, ConfigIssue } from './issues.js';

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

/** alert rules: the routes and models their scopes and `models` name must be served */
export const checkAlerts: ConfigChecker = (c) => {
  const routes = new Set(Object.keys(c.routes ?? {}));
  const served = new Set([...c.models.map((m) => m.name), ...routes]);
  const out: ConfigIssue[] = [];
  c.alerts.rules.forEach((r, i) => {
    const at = `alerts.rules[${i}]`;
    if (r.scope?.route !== undefined && !routes.has(r.scope.route)) out.push({ path: `${at}.scope.route`, message: `unknown route '${r.scope.route}' (routes: ${list(routes)})` });
    if (r.scope?.model !== undefined && !served.has(r.scope.model)) out.push({ path: `${at}.scope.model`, message: `unknown model '${r.scope.model}' (not in models: or routes:)` });
    (r.models ?? []).forEach((m, j) => {
      if (!served.has(m)) out.push({ path: `${at}.models[${j}]`, message: `unknown model '${m}' (not in models:)` });
    });
    const f = r.action?.setFlag;
    if (f?.target !== undefined && f.target !== '*' && !served.has(f.target)) out.push({ path: `${at}.action.setFlag.target`, message: `unknown route or model '${f.target}'` });
  });
  return out;
};

/** the judge's model must be a served model (a route's answer could not be graded the same way twice) */
export const checkJudge: ConfigChecker = (c) => {
  const j = c.judge;
  if (!j) return [];
  const models = new Set(c.models.map((m) => m.name));
  if (!models.has(j.model)) return [{ path: 'judge.model', message: `unknown model '${j.model}' (not in models:${Object.keys(c.routes ?? {}).includes(j.model) ? '; a route cannot judge' : ''})` }];
  return [];
};

/** unknown, repeated or misordered levers (each lever's after/before/last in the registry) */
export const checkPipeline: ConfigChecker = (c) => pipelineProblems(c.pipeline);

/** Every checker, in the order their issues are reported. */
export const configCheckers: readonly ConfigChecker[] = [checkProviders, checkModels, checkAuth, checkDataDir, checkBudgets, checkRateLimits, ...LEVERS.flatMap((l) => (l.check ? [l.check] : [])), checkPipeline, checkAlerts, checkJudge];

export function checkReferences(config: TollgateConfig, checkers: readonly ConfigChecker[] = configCheckers): ConfigIssue[] {
  return checkers.flatMap((check) => check(config));
}
