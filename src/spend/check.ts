// The references pass for budgets and rate limits: what the schema cannot see field by field
// (ids that must name a configured key or route, a downgrade that has somewhere cheaper to go).
// Every issue stops start-up (exit 2) with the path the file spells.

import type { ConfigChecker, ConfigIssue } from '../config/issues.js';
import { list } from '../config/issues.js';

export const checkBudgets: ConfigChecker = (c) => {
  const out: ConfigIssue[] = [];
  const keyIds = new Set(c.auth.keys.map((k) => k.id));
  // in demo mode every unconfigured key is the caller 'demo'
  if (c.auth.mode === 'demo') keyIds.add('demo');
  const routes = c.routes ?? {};
  const models = new Set(c.models.map((m) => m.name));
  const seen = new Map<string, number>();
  c.budgets.forEach((b, i) => {
    const at = `budgets[${i}]`;
    if (b.scope === 'key' && !keyIds.has(b.id)) out.push({ path: `${at}.id`, message: `unknown key id '${b.id}' (auth.keys: ${list(keyIds)})` });
    if (b.scope === 'route' && !(b.id in routes)) out.push({ path: `${at}.id`, message: `unknown route '${b.id}' (routes: ${list(Object.keys(routes))})` });
    if (b.downgradeTo !== undefined && !models.has(b.downgradeTo)) out.push({ path: `${at}.downgradeTo`, message: `unknown model '${b.downgradeTo}' (models: ${list(models)})` });
    if (b.action === 'downgrade' && b.downgradeTo === undefined) {
      const route = b.scope === 'route' ? routes[b.id] : undefined;
      if (!route) out.push({ path: `${at}.action`, message: `a downgrade needs a cheaper model: set downgradeTo (a models: name), or budget a route with a cheaper tier` });
      else if (route.tiers.length < 2) out.push({ path: `${at}.action`, message: `route '${b.id}' has one tier, so there is no cheaper tier to downgrade to: add one or set downgradeTo` });
    }
    if (b.action !== 'downgrade' && b.downgradeTo !== undefined) out.push({ path: `${at}.downgradeTo`, message: `downgradeTo only applies with action: downgrade (this budget's action is ${b.action})` });
    const k = `${b.scope}:${b.id}:${b.period}`;
    const d = seen.get(k);
    if (d !== undefined) out.push({ path: at, message: `a second ${b.period} budget for ${b.scope} '${b.id}' (budgets[${d}])` });
    else seen.set(k, i);
  });
  return out;
};

export const checkRateLimits: ConfigChecker = (c) => {
  const out: ConfigIssue[] = [];
  const keyIds = new Set(c.auth.keys.map((k) => k.id));
  if (c.auth.mode === 'demo') keyIds.add('demo');
  const seen = new Map<string, number>();
  c.rateLimits.forEach((r, i) => {
    const at = `rateLimits[${i}]`;
    if (r.scope === 'key' && !keyIds.has(r.id)) out.push({ path: `${at}.id`, message: `unknown key id '${r.id}' (auth.keys: ${list(keyIds)})` });
    const k = `${r.scope}:${r.id}`;
    const d = seen.get(k);
    if (d !== undefined) out.push({ path: at, message: `a second rate limit for ${r.scope} '${r.id}' (rateLimits[${d}]): put rpm and tpm in one entry` });
    else seen.set(k, i);
  });
  return out;
};
