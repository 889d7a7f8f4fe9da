// The references pass for `routes:`: tiers, rules, models, the classifier's weights, the cascade.

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { duplicates, list, regexIssue, type ConfigChecker, type ConfigIssue } from '../../config/issues.js';
import { RouterClassifier } from './classifier/model.js';
import { compileCondition } from './conditions.js';

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
