// A synthetic ledger: believable RequestRecords (models, routes, teams, keys, caches, retries,
// prompt caching, errors, a daily and weekly rhythm) for the rollup benchmark, the dashboard's
// demo history and the report's tests. Deterministic: the same options give the same records.
//
// The records are shaped like the gateway's (src/engine/record.ts), with savedByLever built by the
// same telescoping chain (src/engine/savings.ts), priced with fixed per-model list prices so that
// millions of records generate in seconds. They are demo data: every record says so in
// `trail[0]` (stage 'synthetic').

import type { AttemptRecord, RequestRecord } from '../ledger/record.js';
import type { Usage } from '../core/canonical.js';
import { DAY_MS, HOUR_MS } from './rollup-model.js';
import { seededRandom } from '../core/seeded-random.js';

export interface SyntheticLedgerOptions {
  /** epoch ms, first record at or after */
  from: number;
  /** epoch ms, last record before */
  to: number;
  /** how many records */
  count: number;
  /** PRNG seed (default 1) */
  seed?: number;
  /** prefix of request ids (default 'syn') */
  idPrefix?: string;
}

interface ModelSpec {
  provider: string;
  model: string;
  /** USD per 1M tokens */
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  latencyMs: number;
  ttftMs: number;
}

const M: Record<string, ModelSpec> = {
  'gpt-4o': { provider: 'openai', model: 'gpt-4o', input: 2.5, output: 10, cacheRead: 1.25, cacheWrite5m: 2.5, latencyMs: 2200, ttftMs: 450 },
  'gpt-4o-mini': { provider: 'openai', model: 'gpt-4o-mini', input: 0.15, output: 0.6, cacheRead: 0.075, cacheWrite5m: 0.15, latencyMs: 1200, ttftMs: 300 },
  'o3-mini': { provider: 'openai', model: 'o3-mini', input: 1.1, output: 4.4, cacheRead: 0.55, cacheWrite5m: 1.1, latencyMs: 6000, ttftMs: 2500 },
  'claude-sonnet-4-0': { provider: 'anthropic', model: 'claude-sonnet-4-0', input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, latencyMs: 3000, ttftMs: 700 },
  'claude-3-5-haiku-latest': { provider: 'anthropic', model: 'claude-3-5-haiku-latest', input: 0.8, output: 4, cacheRead: 0.08, cacheWrite5m: 1, latencyMs: 1400, ttftMs: 380 },
  'gemini-2.0-flash': { provider: 'gemini', model: 'gemini-2.0-flash', input: 0.1, output: 0.4, cacheRead: 0.025, cacheWrite5m: 0.1, latencyMs: 900, ttftMs: 250 },
};

interface RouteSpec {
  name: string | undefined;
  /** the model the caller would have used without Tollgate */
  baseline: string;
  /** models the route sends to, with weights */
  targets: Array<[string, number]>;
  weight: number;
  inputTokens: number;
  outputTokens: number;
  cache: boolean;
  promptCaching: boolean;
  trim: boolean;
  tools: boolean;
  cascade: boolean;
  teams: string[];
}

const ROUTES: RouteSpec[] = [
  { name: 'support-chat', baseline: 'claude-sonnet-4-0', targets: [['claude-3-5-haiku-latest', 0.62], ['claude-sonnet-4-0', 0.38]], weight: 0.3, inputTokens: 3500, outputTokens: 350, cache: true, promptCaching: true, trim: true, tools: false, cascade: true, teams: ['support', 'growth'] },
  { name: 'search-summarize', baseline: 'gpt-4o', targets: [['gpt-4o-mini', 0.7], ['gpt-4o', 0.3]], weight: 0.25, inputTokens: 6000, outputTokens: 300, cache: true, promptCaching: false, trim: true, tools: false, cascade: false, teams: ['search'] },
  { name: 'agent', baseline: 'claude-sonnet-4-0', targets: [['claude-sonnet-4-0', 1]], weight: 0.12, inputTokens: 14000, outputTokens: 800, cache: false, promptCaching: true, trim: false, tools: true, cascade: false, teams: ['platform', 'research'] },
  { name: 'classify', baseline: 'gpt-4o-mini', targets: [['gemini-2.0-flash', 0.8], ['gpt-4o-mini', 0.2]], weight: 0.18, inputTokens: 700, outputTokens: 20, cache: true, promptCaching: false, trim: false, tools: false, cascade: false, teams: ['search', 'growth', 'support'] },
  { name: 'code-review', baseline: 'o3-mini', targets: [['o3-mini', 1]], weight: 0.05, inputTokens: 9000, outputTokens: 1500, cache: false, promptCaching: false, trim: true, tools: true, cascade: false, teams: ['platform'] },
  { name: undefined, baseline: 'gpt-4o', targets: [['gpt-4o', 0.6], ['gpt-4o-mini', 0.4]], weight: 0.1, inputTokens: 2000, outputTokens: 400, cache: false, promptCaching: false, trim: false, tools: false, cascade: false, teams: ['research', 'growth'] },
];

export const SYNTHETIC_TEAMS = ['search', 'support', 'platform', 'growth', 'research'];
const KEYS_PER_TEAM = 4;
const USERS_PER_TEAM = 40;


/** relative traffic at time t: busy working hours (UTC 8-18), quieter weekends */
function rhythm(t: number): number {
  const hour = (t % DAY_MS) / HOUR_MS;
  const day = new Date(t).getUTCDay();
  const daily = 0.35 + 0.65 * Math.max(0, Math.sin(((hour - 6) / 14) * Math.PI));
  return daily * (day === 0 || day === 6 ? 0.45 : 1);
}

const costOf = (m: ModelSpec, u: Usage): number =>
  (u.input * m.input + u.cacheRead * m.cacheRead + (u.cacheWrite5m + u.cacheWrite1h) * m.cacheWrite5m + u.output * m.output) / 1e6;
const plainCost = (m: ModelSpec, input: number, output: number): number => (input * m.input + output * m.output) / 1e6;

/** The records, oldest first. */
export function* syntheticRecords(opts: SyntheticLedgerOptions): Generator<RequestRecord> {
  const rand = seededRandom(opts.seed ?? 1);
  const prefix = opts.idPrefix ?? 'syn';
  const span = opts.to - opts.from;
  if (!(span > 0) || !(opts.count > 0)) return;
  // records per hour follow the rhythm; the carry keeps the total exact
  const hours = Math.ceil(span / HOUR_MS);
  const weights: number[] = [];
  let total = 0;
  for (let h = 0; h < hours; h++) {
    const start = opts.from + h * HOUR_MS;
    const w = rhythm(start + HOUR_MS / 2) * (Math.min(opts.to, start + HOUR_MS) - start);
    weights.push(w);
    total += w;
  }
  const pickRoute = weighted(ROUTES.map((r) => [r, r.weight] as [RouteSpec, number]), rand);
  const pickers = new Map(ROUTES.map((r) => [r, weighted(r.targets, rand)]));
  let seq = 0;
  let carry = 0;
  for (let h = 0; h < hours; h++) {
    const start = opts.from + h * HOUR_MS;
    const end = Math.min(opts.to, start + HOUR_MS);
    const exact = (opts.count * weights[h]!) / total + carry;
    let n = Math.floor(exact);
    if (h === hours - 1) n = opts.count - seq;
    carry = exact - n;
    const step = (end - start) / Math.max(1, n);
    for (let i = 0; i < n; i++) {
      const t = start + (i + rand() * 0.999) * step;
      yield oneRecord(t, seq++, prefix, rand, pickRoute(), pickers);
    }
  }
}

function weighted<T>(items: Array<[T, number]>, rand: () => number): () => T {
  const sum = items.reduce((s, [, w]) => s + w, 0);
  return () => {
    let x = rand() * sum;
    for (const [v, w] of items) if ((x -= w) <= 0) return v;
    return items[items.length - 1]![0];
  };
}

function oneRecord(t: number, seq: number, prefix: string, rand: () => number, route: RouteSpec, pickers: Map<RouteSpec, () => string>): RequestRecord {
  const team = route.teams[Math.floor(rand() * route.teams.length)]!;
  const keyId = `key-${team}-${1 + Math.floor(rand() * rand() * KEYS_PER_TEAM)}`;
  const user = `${team}-user-${Math.floor(rand() * USERS_PER_TEAM)}`;
  const modelName = pickers.get(route)!();
  const m = M[modelName]!;
  const base = M[route.baseline]!;
  const stream = rand() < 0.6;
  const size = 0.3 + rand() * rand() * 3;
  const promptTokens = Math.round(route.inputTokens * size);
  const output = Math.max(1, Math.round(route.outputTokens * (0.2 + rand() * 1.6)));
  const trimmed = route.trim && rand() < 0.35 ? Math.round(promptTokens * (0.1 + rand() * 0.3)) : 0;

  const roll = rand();
  const status: RequestRecord['status'] = roll < 0.014 ? 'error' : roll < 0.017 ? 'aborted' : 'ok';
  const errorClass = status === 'error' ? (['rate_limit', 'server', 'timeout'] as const)[Math.floor(rand() * 3)] : status === 'aborted' ? 'aborted' : undefined;
  const c = rand();
  const cacheStatus: RequestRecord['cacheStatus'] = !route.cache ? undefined : status !== 'ok' ? 'miss' : c < 0.09 ? 'hit' : c < 0.15 ? 'semantic_hit' : c < 0.97 ? 'miss' : 'bypass';
  const hit = cacheStatus === 'hit' || cacheStatus === 'semantic_hit';

  // prompt caching: a stable prefix per route and key, read most of the time, written now and then
  let usage: Usage;
  let promptCache: RequestRecord['promptCache'];
  const stable = route.promptCaching || route.tools ? Math.round(promptTokens * (0.45 + rand() * 0.3)) : Math.round(promptTokens * 0.15);
  if (route.promptCaching && m.provider === 'anthropic') {
    const window = Math.floor(t / (5 * 60_000));
    const prefixHash = `${route.name}:${keyId}:${window}:${Math.floor(rand() * 1.15)}`;
    const write = rand() < 0.18;
    usage = write
      ? { input: promptTokens - stable, cacheRead: 0, cacheWrite5m: stable, cacheWrite1h: 0, output, reasoning: 0 }
      : { input: promptTokens - stable, cacheRead: stable, cacheWrite5m: 0, cacheWrite1h: 0, output, reasoning: 0 };
    promptCache = { prefixHash, writeTokens: usage.cacheWrite5m, readTokens: usage.cacheRead, ttlSeconds: 300 };
  } else if (m.provider === 'openai' && promptTokens > 1024 && rand() < 0.4) {
    const read = Math.floor(stable / 128) * 128;
    usage = { input: promptTokens - read, cacheRead: read, cacheWrite5m: 0, cacheWrite1h: 0, output, reasoning: 0 };
  } else {
    usage = { input: promptTokens, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output, reasoning: 0 };
  }
  if (modelName === 'o3-mini') usage.reasoning = Math.round(output * 0.6);

  const latencyMs = Math.max(40, m.latencyMs * (0.4 + rand() * rand() * 2.5) * (output / route.outputTokens) ** 0.5);
  const overheadMs = 0.3 + rand() * 1.5;
  const ttftMs = stream ? Math.min(latencyMs * 0.9, m.ttftMs * (0.5 + rand() * 1.5)) : undefined;
  const attempts: AttemptRecord[] = [];
  let failedUsd = 0;
  if (status === 'ok' && !hit && rand() < 0.03) {
    const at = t + overheadMs;
    attempts.push({ provider: m.provider, model: m.model, status: 529, errorClass: 'overloaded', startedAt: at, endedAt: at + 300, costUsd: 0 });
  }
  if (status === 'error' && errorClass === 'timeout') {
    const usd = plainCost(m, promptTokens, Math.round(output / 2));
    failedUsd += usd;
    attempts.push({ provider: m.provider, model: m.model, status: null, errorClass: 'timeout', startedAt: t, endedAt: t + latencyMs, costUsd: usd });
  }
  let ownUsd = 0;
  if (cacheStatus && cacheStatus !== 'bypass' && rand() < 0.6) {
    const usd = (promptTokens * 0.02) / 1e6;
    ownUsd += usd;
    attempts.push({ purpose: 'cache-embedder', provider: 'openai', model: 'text-embedding-3-small', status: 200, startedAt: t, endedAt: t + 25, costUsd: usd });
  }
  if (route.cascade && !hit && status === 'ok' && rand() < 0.25) {
    const usd = plainCost(M['claude-3-5-haiku-latest']!, 600, 5);
    ownUsd += usd;
    attempts.push({ purpose: 'cascade-verifier', provider: 'anthropic', model: 'claude-3-5-haiku-latest', status: 200, startedAt: t + latencyMs * 0.8, endedAt: t + latencyMs * 0.95, costUsd: usd });
  }
  let answerUsd = 0;
  if (status === 'ok' && !hit) {
    answerUsd = costOf(m, usage);
    attempts.push({ provider: m.provider, model: m.model, status: 200, startedAt: t + overheadMs, endedAt: t + latencyMs, usage, costUsd: answerUsd });
  }
  const costUsd = answerUsd + failedUsd + ownUsd;

  // the same chain as src/engine/savings.ts
  const saved: Record<string, number> = {};
  const put = (k: string, v: number): void => {
    if (v !== 0) saved[k] = v;
  };
  const plainInput = promptTokens;
  if (hit) {
    put(cacheStatus === 'hit' ? 'exact_cache' : 'semantic_cache', plainCost(base, plainInput + trimmed, output));
  } else if (status === 'ok') {
    const baseUntrimmed = plainCost(base, plainInput + trimmed, output);
    const ranUntrimmed = plainCost(m, plainInput + trimmed, output);
    const ranPlain = plainCost(m, plainInput, output);
    put('tiering', baseUntrimmed - ranUntrimmed);
    put('trimming', ranUntrimmed - ranPlain);
    put('prompt_caching', ranPlain - answerUsd);
  }
  put('retries', -failedUsd);
  put('own_calls', -ownUsd);

  const sys = Math.round(promptTokens * (route.tools ? 0.12 : 0.2));
  const tools = route.tools ? Math.round(promptTokens * 0.3) : 0;
  const context = route.name === 'search-summarize' || route.name === 'support-chat' ? Math.round(promptTokens * 0.4) : 0;
  const userT = Math.max(1, Math.round(promptTokens * 0.08));
  const history = Math.max(0, promptTokens - sys - tools - context - userT);
  const tokensByComponent: Record<string, number> = { system: sys, history, user: userT };
  if (tools) tokensByComponent.tools = tools;
  if (context) tokensByComponent.context = context;
  // the input's dollars are the answer's: nothing for a hit or a request with no answer
  const inputUsd = hit || status !== 'ok' ? 0 : (usage.input * m.input + usage.cacheRead * m.cacheRead + usage.cacheWrite5m * m.cacheWrite5m) / 1e6;
  const costByComponent: Record<string, number> = {};
  for (const [k, v] of Object.entries(tokensByComponent)) costByComponent[k] = (inputUsd * v) / promptTokens;

  const receivedAt = t;
  const completedAt = t + latencyMs;
  const rec: RequestRecord = {
    requestId: `${prefix}_${seq.toString(36).padStart(8, '0')}`,
    keyId,
    team,
    user,
    route: route.name,
    endpoint: m.provider === 'anthropic' && rand() < 0.5 ? '/v1/messages' : '/v1/chat/completions',
    apiFormat: 'openai',
    requestedModel: route.name ?? modelName,
    provider: m.provider,
    model: m.model,
    stream,
    receivedAt,
    upstreamSentAt: hit ? undefined : t + overheadMs,
    firstTokenAt: ttftMs !== undefined ? t + ttftMs : undefined,
    lastTokenAt: ttftMs !== undefined ? completedAt - 0.2 : undefined,
    completedAt,
    latencyMs: hit ? 2 + rand() * 6 : latencyMs,
    ttftMs: hit ? (stream ? 1 + rand() * 4 : undefined) : ttftMs,
    upstreamMs: hit ? undefined : latencyMs - overheadMs,
    overheadMs,
    usage,
    costUsd,
    costByComponent,
    tokensByComponent,
    savedByLever: Object.keys(saved).length ? saved : undefined,
    promptCache: hit ? undefined : promptCache,
    cacheWritePremiumUsd: !hit && usage.cacheWrite5m > 0 ? (usage.cacheWrite5m * (m.cacheWrite5m - m.input)) / 1e6 : undefined,
    stablePrefixTokens: stable,
    baselineModel: route.baseline,
    baselineCostUsd: hit || status === 'ok' ? plainCost(base, plainInput + trimmed, output) : 0,
    failedAttemptsCostUsd: failedUsd > 0 ? failedUsd : undefined,
    attempts: attempts.length ? attempts : undefined,
    cacheStatus,
    savedCostUsd: hit ? costOf(m, usage) : undefined,
    trail: [{ stage: 'synthetic', decision: 'demo', reason: 'generated by src/insights/synthetic-ledger.ts' }],
    status,
    httpStatus: status === 'ok' ? 200 : status === 'aborted' ? 499 : errorClass === 'rate_limit' ? 429 : errorClass === 'timeout' ? 504 : 502,
    errorClass,
    finishReason: status === 'ok' ? 'stop' : undefined,
  };
  if (route.name === 'agent' && rand() < 0.5) rec.variant = rand() < 0.5 ? 'A' : 'B';
  if (hit && rand() < 0.2) rec.trail.push({ stage: 'cache', decision: cacheStatus!, data: { stale: true } });
  if (status === 'ok' && !hit && !(route.promptCaching && m.provider === 'anthropic')) delete rec.promptCache;
  return rec;
}
