// The references pass for `trim:`: per-route sections name routes or models, summary models exist,
// and a summary needs a model.

import { list, type ConfigChecker, type ConfigIssue } from '../../config/issues.js';

export const checkTrim: ConfigChecker = (c) => {
  const out: ConfigIssue[] = [];
  const models = new Set(c.models.map((m) => m.name));
  const routes = new Set(Object.keys(c.routes));
  const t = c.trim;
  const summary = (s: { enabled?: boolean; model?: string } | undefined, at: string, inherited?: string) => {
    if (s?.model !== undefined && !models.has(s.model)) out.push({ path: `${at}.summary.model`, message: `unknown model '${s.model}' (models: ${list(models)})` });
    if (s?.enabled && s.model === undefined && inherited === undefined) out.push({ path: `${at}.summary.model`, message: 'a summary needs a model (a cheap one from models:)' });
  };
  summary(t.summary, 'trim');
  for (const [name, r] of Object.entries(t.routes)) {
    const at = `trim.routes.${name}`;
    if (!routes.has(name) && !models.has(name)) out.push({ path: at, message: `names no route or model (routes: ${list(routes)}; models: ${list(models)})` });
    summary(r.summary, at, t.summary.model);
  }
  if (t.enabled || Object.values(t.routes).some((r) => r.enabled)) {
    if (!c.pipeline.includes('trim')) out.push({ path: 'trim', message: "trimming is enabled but 'trim' is not in pipeline (add it after 'router', before 'prompt-cache')" });
  }
  return out;
};
