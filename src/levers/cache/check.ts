// The references pass for `cache:`: per-route sections, the verifier and embedder models and files,
// prompt-cache patterns.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { list, regexIssue, resolvable, type ConfigChecker, type ConfigIssue } from '../../config/issues.js';

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
  if (semanticAnywhere && e.kind === 'builtin' && typeof e.pairScorer === 'string' && !existsSync(e.pairScorer)) out.push({ path: 'cache.semantic.embedder.pairScorer', message: `no pair-scorer weights at ${resolve(e.pairScorer)}` });
  if (semanticAnywhere && e.kind === 'onnx') {
    if (!existsSync(e.dir)) out.push({ path: 'cache.semantic.embedder.dir', message: `no model directory at ${resolve(e.dir)}` });
    if (!resolvable('@huggingface/transformers')) out.push({ path: 'cache.semantic.embedder.kind', message: "'onnx' needs the optional package @huggingface/transformers (npm install @huggingface/transformers@3)" });
  }
  const pc = c.cache.promptCache;
  const bad = [regexIssue('cache.promptCache.models', pc.models), ...pc.minTokens.map((m, i) => regexIssue(`cache.promptCache.minTokens[${i}].match`, m.match))];
  for (const b of bad) if (b) out.push(b);
  return out;
};
