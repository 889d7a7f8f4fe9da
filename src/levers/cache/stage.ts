// The cache lever as a pipeline stage: exact hits first, then (when enabled) semantic hits within
// the request's context partition, else the upstream call, whose complete and successful answer
// is stored. Streams pass through chunk by chunk, untouched; they are stored only when they ended
// with a finish and no error, and were not abandoned by the client.

import { hash } from 'node:crypto';
import { GatewayError } from '../../core/errors.js';
import { StreamAccumulator, responseToEvents } from '../../core/stream-accumulator.js';
import type { ChatResponse, Usage } from '../../core/canonical.js';
import type { AdminContext, AdminRoute, ChatResult, GatewayContext, Next, Stage, Target } from '../../pipeline/stage.js';
import type { StreamChunk } from '../../providers/contract.js';
import type { SyncLoadCachePersistence } from '../../stores/cache-persistence.js';
import { codecFor } from '../../providers/registry.js';
import { cacheConfigSchema, type CacheConfig, type CacheConfigInput } from './config.js';
import { parseControls, type CacheControls } from './controls.js';
import { contextHash, exactKey, lastUserText } from './key.js';
import { CacheStore, type CacheEntry } from './store.js';
import { BUILTIN_MAX_CHARS, createEmbedder, type EmbedFn, type Embedder } from './embedders/index.js';
import { signature, veto, type Signature } from './guards.js';

export interface VerifyResult {
  /** true when both requests want the same answer */
  same: boolean;
  /** what the verifier call cost, for the ledger */
  costUsd?: number;
}

export interface CacheDeps {
  /** where cache.sqlite lives (the gateway's data directory) */
  dataDir: string;
  /** price of a usage on a target: the counterfactual cost a hit saved */
  costOf(target: { provider: string; model: string }, usage: Usage): number;
  /** OpenAI-compatible /v1/embeddings through the gateway's providers (embedder: openai-compatible) */
  embed?: EmbedFn;
  /**
   * Optional verifier for borderline semantic similarities (cache.semantic.verifyFrom ≤ s < threshold):
   * typically a cheap model asked whether the two questions want the same answer.
   */
  verify?: (query: string, candidate: string, ctx: GatewayContext) => Promise<VerifyResult>;
  /** clock, for tests */
  now?: () => number;
  /** where entries persist; default: SQLite in `dataDir` (loaded only then: the SDK can do without it) */
  persistence?: SyncLoadCachePersistence;
}

/** the gateway's default: `<dataDir>/cache.sqlite` */
async function sqlitePersistence(dataDir: string): Promise<SyncLoadCachePersistence> {
  const [{ mkdirSync }, { join }, { CACHE_DB_FILE, SqliteCachePersistence }] = await Promise.all([
    import('node:fs'),
    import('node:path'),
    import('../../stores/sqlite/cache-persistence.js'),
  ]);
  mkdirSync(dataDir, { recursive: true });
  return new SqliteCachePersistence(join(dataDir, CACHE_DB_FILE));
}

export interface RouteStats {
  lookups: number;
  hits: number;
  semanticHits: number;
  /** hits served from an entry older than the route's freshness target */
  staleHits: number;
  misses: number;
  bypasses: number;
  vetoes: number;
  stores: number;
  /** entries dropped at lookup because the route's policy version changed */
  superseded: number;
  savedCostUsd: number;
}

/** a cache policy's semantic threshold, as live quality evaluation sees it (src/quality/) */
export interface SemanticPolicyInfo {
  threshold: number;
  /** the threshold the config gives */
  baseThreshold: number;
  maxFalseHitRate: number;
  tightenStep: number;
  tightened: number;
}

export interface CacheStage extends Stage {
  readonly store: CacheStore;
  readonly embedder?: Embedder;
  stats(): Record<string, RouteStats & { staleRatio: number; hitRate: number }>;
  /** the semantic threshold of a policy (a route or model name); undefined when it has no semantic cache */
  semanticPolicy(name: string): SemanticPolicyInfo | undefined;
  /** raise a policy's threshold one step (said once in its next semantic lookup's trail); undefined at 1 */
  tightenSemantic(name: string, why: string): { from: number; to: number } | undefined;
  /** put back a threshold tightening had raised before a restart (silently: it was said then) */
  restoreSemantic(name: string, threshold: number, tightened: number): boolean;
}

interface Policy {
  name: string;
  optIn: boolean | undefined;
  ttlMs: number;
  freshMs: number;
  version: string;
  semantic: boolean;
  threshold: number;
}

/** raw-body -> key memo entries (bounded; oldest forgotten first) */
const KEY_MEMO_SIZE = 10_000;

const emptyStats = (): RouteStats => ({ lookups: 0, hits: 0, semanticHits: 0, staleHits: 0, misses: 0, bypasses: 0, vetoes: 0, stores: 0, superseded: 0, savedCostUsd: 0 });

export async function createCacheStage(input: CacheConfig | CacheConfigInput, deps: CacheDeps): Promise<CacheStage> {
  const cfg: CacheConfig = cacheConfigSchema.parse(input);
  const now = deps.now ?? Date.now;
  const store = new CacheStore({
    persistence: deps.persistence ?? (await sqlitePersistence(deps.dataDir)),
    maxEntries: cfg.maxEntries,
    maxBytes: cfg.maxBytes,
    flushIntervalMs: cfg.flushIntervalMs,
    hnswMinEntries: cfg.semantic.hnswMinEntries,
    hnsw: cfg.semantic.hnsw,
    now,
  });
  const semanticAnywhere = cfg.semantic.enabled || Object.values(cfg.routes).some((r) => r.semantic?.enabled);
  const embedder = semanticAnywhere ? await createEmbedder(cfg.semantic.embedder, deps.embed) : undefined;
  // per tenant (the caller's team; undefined = keys with no team), then per route: a tenant admin
  // sees only its own figures. Teams come from configured keys, so the map stays small.
  const stats = new Map<string | undefined, Map<string, RouteStats>>();
  const sigs = new WeakMap<CacheEntry, Signature>();
  const statsOf = (ctx: GatewayContext, name: string): RouteStats => {
    let byRoute = stats.get(ctx.caller.team);
    if (!byRoute) stats.set(ctx.caller.team, (byRoute = new Map()));
    let s = byRoute.get(name);
    if (!s) byRoute.set(name, (s = emptyStats()));
    return s;
  };

  // thresholds raised by live quality evaluation (src/quality/), per policy name; `pending` is said
  // once, in the next semantic lookup's trail
  const tightenedBy = new Map<string, { threshold: number; tightened: number; pending?: { from: number; to: number; why: string } }>();
  const baseThresholdOf = (name: string): number => cfg.routes[name]?.semantic?.threshold ?? cfg.semantic.threshold;

  const policyOf = (ctx: GatewayContext): Policy => {
    const name = ctx.route ?? ctx.request.model;
    const r = cfg.routes[name] ?? {};
    const ttlS = r.ttlSeconds ?? cfg.ttlSeconds;
    return {
      name,
      optIn: r.enabled,
      ttlMs: ttlS * 1000,
      freshMs: (r.freshnessSeconds ?? ttlS) * 1000,
      version: r.policyVersion ?? '',
      semantic: r.semantic?.enabled ?? cfg.semantic.enabled,
      threshold: tightenedBy.get(name)?.threshold ?? r.semantic?.threshold ?? cfg.semantic.threshold,
    };
  };

  const semanticPolicy = (name: string): SemanticPolicyInfo | undefined => {
    const r = cfg.routes[name];
    if (!embedder || !(r?.semantic?.enabled ?? cfg.semantic.enabled)) return undefined;
    const base = baseThresholdOf(name);
    const t = tightenedBy.get(name);
    return { threshold: t?.threshold ?? base, baseThreshold: base, maxFalseHitRate: r?.semantic?.maxFalseHitRate ?? cfg.semantic.maxFalseHitRate, tightenStep: cfg.semantic.tightenStep, tightened: t?.tightened ?? 0 };
  };

  const tightenSemantic = (name: string, why: string): { from: number; to: number } | undefined => {
    const info = semanticPolicy(name);
    if (!info || info.threshold >= 1) return undefined;
    const from = info.threshold;
    // rounded: thresholds are read by people in the trail and the config
    const to = Math.min(1, Math.round((from + info.tightenStep) * 1e6) / 1e6);
    tightenedBy.set(name, { threshold: to, tightened: info.tightened + 1, pending: { from, to, why } });
    return { from, to };
  };

  const restoreSemantic = (name: string, threshold: number, tightened: number): boolean => {
    if (!semanticPolicy(name) || !(threshold >= -1 && threshold <= 1)) return false;
    tightenedBy.set(name, { threshold, tightened });
    return true;
  };

  const scopeOf = (ctx: GatewayContext): string =>
    cfg.scope === 'global' ? '' : cfg.scope === 'key' ? 'k:' + ctx.caller.keyId : ctx.caller.team !== undefined ? 't:' + ctx.caller.team : 'k:' + ctx.caller.keyId;

  /** why a request may not use the cache at all, or undefined when it may */
  const ineligible = (ctx: GatewayContext, p: Policy): string | undefined => {
    if (!cfg.enabled) return 'cache disabled';
    if (p.optIn === false) return `route ${p.name} opts out`;
    const req = ctx.request;
    if (req.n !== undefined && req.n > 1) return 'n > 1';
    if (p.optIn === true) return undefined;
    if (req.stream && !cfg.eligible.streaming) return 'streaming requests not eligible';
    if (req.tools?.length && !cfg.eligible.tools) return 'requests with tools not eligible';
    const max = cfg.eligible.maxTemperature;
    if (max !== null && (req.temperature ?? 1) > max) return `temperature ${req.temperature ?? 'default (1)'} > ${max}`;
    return undefined;
  };

  /** Why an entry cannot answer now, or undefined when it can. */
  const unusable = (e: CacheEntry, p: Policy, c: CacheControls, t: number, s: RouteStats): string | undefined => {
    if (e.expiresAt <= t) {
      store.delete(e);
      return 'expired';
    }
    if (e.policyVersion !== p.version) {
      store.delete(e);
      s.superseded++;
      return `policy version ${e.policyVersion || '(none)'} superseded by ${p.version || '(none)'}`;
    }
    if (c.maxAgeMs !== undefined && t - e.createdAt > c.maxAgeMs) return 'older than max-age';
    return undefined;
  };

  /**
   * What a hit on this entry saves: the price of its usage on its target. The same for every hit,
   * so priced once per entry and minute (prices can change by effective date; the gateway's own
   * price lookups are remembered for a minute too).
   */
  const savedMemo = new WeakMap<CacheEntry, { target: Target; usd: number; until: number }>();
  const savedCostOf = (e: CacheEntry, target: Target, t: number): number => {
    const m = savedMemo.get(e);
    if (m && m.until > t && m.target.provider === target.provider && m.target.model === target.model) return m.usd;
    let usd = 0;
    try {
      usd = deps.costOf(target, e.response.usage);
    } catch {
      usd = 0; // unknown price: no saving claimed
    }
    savedMemo.set(e, { target, usd, until: t + 60_000 });
    return usd;
  };

  const serve = (ctx: GatewayContext, e: CacheEntry, p: Policy, s: RouteStats, t: number, semantic?: { similarity: number; threshold: number }): ChatResult => {
    store.touch(e);
    const age = t - e.createdAt;
    s.hits++;
    if (semantic) s.semanticHits++;
    if (age > p.freshMs) s.staleHits++;
    const target = e.target ?? ctx.target ?? { provider: '', model: e.response.model };
    const saved = savedCostOf(e, target, t);
    s.savedCostUsd += saved;
    ctx.cache = { status: semantic ? 'semantic_hit' : 'hit', savedCostUsd: saved, savedMs: Math.max(0, e.latencyMs - (t - ctx.receivedAt)) };
    ctx.responseHeaders['x-tollgate-cache'] = 'hit';
    if (semantic) ctx.responseHeaders['x-tollgate-cache-similarity'] = semantic.similarity.toFixed(4);
    ctx.trail.push({
      stage: 'cache',
      decision: semantic ? 'semantic_hit' : 'hit',
      reason: semantic ? 'a stored answer to a near-identical question in the same context' : 'identical request seen before',
      // a semantic hit names its policy and the entry's model: what live quality evaluation shadows it with
      data: { key: e.key.slice(0, 12), entryId: e.id, ageMs: Math.round(age), stale: age > p.freshMs, ...(semantic ? { ...semantic, policy: p.name, ...(e.target ? { target: e.target } : {}) } : {}) },
    });
    const response: ChatResponse = { ...e.response, content: e.response.content.map((c) => ({ ...c })), usage: { ...e.response.usage } };
    if (!ctx.request.stream) {
      const body = renderedBody(ctx, e);
      return body ? { kind: 'complete', response, raw: { format: ctx.format, body }, source: 'cache' } : { kind: 'complete', response, source: 'cache' };
    }
    const events = responseToEvents(response);
    return {
      kind: 'stream',
      source: 'cache',
      chunks: (async function* () {
        yield { raw: Buffer.alloc(0), events } satisfies StreamChunk;
      })(),
    };
  };

  /**
   * An entry's answer rendered in the client's wire format: the first rendering is kept on the entry
   * (accounted in the store's bytes, as a string: a Buffer per entry would pin an 8 KiB pool slab),
   * so a hit in that format and model costs no render and no JSON.stringify; another format or model
   * renders per hit. Only for entries whose rendering is fixed (an id and a created time to reuse).
   */
  const renderedBody = (ctx: GatewayContext, e: CacheEntry): Buffer | undefined => {
    const r = e.response;
    if (!r.id || !r.created) return undefined;
    // the model the server would name when rendering (see writeComplete)
    const model = r.model || ctx.target?.model || ctx.request.model;
    const k = ctx.format + '\u0000' + model;
    if (e.rendered?.key === k) return Buffer.from(e.rendered.body);
    let body: string;
    try {
      body = JSON.stringify(codecFor(ctx.format).renderChatResponse(r, { model }));
    } catch {
      return undefined; // no codec for this format here (a stage used on its own): the server renders
    }
    if (!e.rendered) store.setRendered(e, k, body);
    return Buffer.from(body);
  };

  // the built-in embedder's pair scorer re-scores the index's candidates (best first again); its
  // score is then the similarity every threshold below is compared with. A candidate's text is
  // prepared per lookup (~15 µs) rather than kept per entry: its word and n-gram sets would cost
  // kilobytes per entry outside the cache's byte bound.
  const rescore = <C extends { entry: CacheEntry; similarity: number }>(query: string, cands: C[]): (C & { cosine?: number })[] => {
    const r = embedder?.rescorer;
    if (!r || !cands.length) return cands;
    const q = r.prepare(query);
    return cands
      .map((c) => (c.entry.query === undefined ? c : { ...c, similarity: r.score(q, r.prepare(c.entry.query), c.similarity), cosine: c.similarity }))
      .sort((a, b) => b.similarity - a.similarity);
  };

  const semanticLookup = async (ctx: GatewayContext, p: Policy, c: CacheControls, scope: string, s: RouteStats, query: string, vecOut: { v?: Float32Array }): Promise<ChatResult | undefined> => {
    if (!embedder) return undefined;
    const pending = tightenedBy.get(p.name)?.pending;
    if (pending) {
      tightenedBy.get(p.name)!.pending = undefined;
      ctx.trail.push({ stage: 'cache', decision: 'tightened', reason: `semantic threshold ${pending.from} -> ${pending.to}: ${pending.why}`, data: { policy: p.name, from: pending.from, to: pending.to, tightened: tightenedBy.get(p.name)!.tightened } });
    }
    const t0 = performance.now();
    const [v] = await embedder.embed([query], (a) => ctx.attempts.push(a), ctx);
    const embedMs = performance.now() - t0;
    if (!v) return undefined;
    vecOut.v = v;
    const ch = contextHash(ctx.request, p.name, scope);
    const cands = rescore(query, store.nearest(embedder.id, ch, v, 4));
    const qsig = signature(query);
    const verifyFrom = cfg.semantic.verifyFrom;
    for (const { entry, similarity, cosine } of cands) {
      const floor = deps.verify && verifyFrom !== undefined ? Math.min(verifyFrom, p.threshold) : p.threshold;
      if (similarity < floor) break;
      const t = now();
      if (unusable(entry, p, c, t, s) || entry.query === undefined) continue;
      let esig = sigs.get(entry);
      if (!esig) sigs.set(entry, (esig = signature(entry.query)));
      const v2 = veto(qsig, esig, cfg.semantic.guards);
      if (v2) {
        s.vetoes++;
        ctx.trail.push({ stage: 'cache', decision: 'veto', reason: `semantic candidate vetoed: ${v2.reason} differs`, data: { entryId: entry.id, similarity, threshold: p.threshold, guard: v2.reason, detail: v2.detail } });
        continue;
      }
      if (similarity < p.threshold) {
        const r = await deps.verify!(query, entry.query, ctx);
        ctx.trail.push({ stage: 'cache', decision: r.same ? 'verified' : 'verify_rejected', reason: 'borderline similarity sent to the verifier', data: { entryId: entry.id, similarity, threshold: p.threshold, verifierCostUsd: r.costUsd ?? 0 } });
        if (!r.same) continue;
      }
      return serve(ctx, entry, p, s, t, { similarity, threshold: p.threshold, embedMs: Math.round(embedMs * 1000) / 1000, ...(cosine !== undefined ? { cosine } : {}) } as { similarity: number; threshold: number });
    }
    return undefined;
  };

  const store_ = (ctx: GatewayContext, p: Policy, c: CacheControls, key: string, scope: string, response: ChatResponse, startedAt: number, query: string | undefined, vec: { v?: Float32Array }): void => {
    if (response.finishReason === 'error') return;
    const t = now();
    const s = statsOf(ctx, p.name);
    const put = (embedding?: Float32Array): void => {
      store.put({
        key,
        scope,
        name: p.name,
        policyVersion: p.version,
        createdAt: t,
        expiresAt: t + p.ttlMs,
        tags: c.tags,
        response,
        latencyMs: t - startedAt,
        target: ctx.target ? { provider: ctx.target.provider, model: ctx.target.model } : undefined,
        ...(embedding && embedder && query !== undefined ? { contextHash: contextHash(ctx.request, p.name, scope), query, embedder: embedder.id, embedding } : {}),
      });
      s.stores++;
    };
    if (p.semantic && embedder && query !== undefined) {
      if (vec.v) put(vec.v);
      else void embedder.embed([query], undefined, ctx).then(([v]) => put(v), () => put());
    } else put();
  };

  const wrapStream = (src: AsyncIterable<StreamChunk>, onComplete: (r: ChatResponse) => void): AsyncIterable<StreamChunk> =>
    (async function* () {
      const acc = new StreamAccumulator();
      let finished = false;
      try {
        for await (const chunk of src) {
          for (const ev of chunk.events) acc.push(ev);
          yield chunk;
        }
        finished = true;
      } finally {
        // abandoned (client gone: return() called), thrown, cut or errored streams are never stored
        if (finished && acc.complete) onComplete(acc.toResponse());
      }
    })();

  // Hot-path shortcut: the same client bytes always normalise to the same key, and hashing the raw
  // body (native) is far cheaper than normalising the parsed request. Only for unrewritten requests.
  const keyMemo = new Map<string, string>();
  const keyOf = (ctx: GatewayContext, name: string, scope: string): string => {
    if (ctx.rewritten || ctx.rawBody.length === 0) return exactKey(ctx.request, name, scope);
    // one-shot hash (no Hash object per request), then the route and scope appended
    const raw = hash('sha256', ctx.rawBody, 'base64') + '\u0000' + name + '\u0000' + scope;
    let k = keyMemo.get(raw);
    if (k === undefined) {
      k = exactKey(ctx.request, name, scope);
      if (keyMemo.size >= KEY_MEMO_SIZE) keyMemo.delete(keyMemo.keys().next().value as string);
      keyMemo.set(raw, k);
    }
    return k;
  };

  // not async on the bypass path: an ineligible request goes on without a promise of this stage's own
  const handle = (ctx: GatewayContext, next: Next): Promise<ChatResult> => {
    const p = policyOf(ctx);
    const s = statsOf(ctx, p.name);
    const c = parseControls(ctx.headers);
    const why = ineligible(ctx, p) ?? (!c.read && !c.write ? c.reason : undefined);
    if (why) {
      if (c.onlyIfCached) return Promise.reject(new GatewayError('only_if_cached_miss', `only-if-cached: this request cannot be served from the cache (${why})`));
      s.bypasses++;
      ctx.cache = { status: 'bypass' };
      ctx.responseHeaders['x-tollgate-cache'] = 'bypass';
      ctx.trail.push({ stage: 'cache', decision: 'bypass', reason: why });
      return next();
    }
    return lookup(ctx, next, p, s, c);
  };

  const lookup = async (ctx: GatewayContext, next: Next, p: Policy, s: RouteStats, c: CacheControls): Promise<ChatResult> => {
    const scope = scopeOf(ctx);
    const key = keyOf(ctx, p.name, scope);
    // a last turn longer than any embedder takes is an exact-only request: no guard signature (linear
    // in its length, ~47 ms at 640 KB) and no embedding on the event loop
    const text = p.semantic ? lastUserText(ctx.request) : undefined;
    const query = text !== undefined && text.length <= BUILTIN_MAX_CHARS ? text : undefined;
    const vec: { v?: Float32Array } = {};
    if (c.read) {
      s.lookups++;
      const t = now();
      const e = store.get(key);
      const bad = e && unusable(e, p, c, t, s);
      if (e && !bad) return serve(ctx, e, p, s, t);
      if (query !== undefined) {
        // the semantic cache is an optimisation: an embedder or verifier that fails makes a miss,
        // never a failed request (the failed call is in ctx.attempts, with its error class)
        let hit: ChatResult | undefined;
        try {
          hit = await semanticLookup(ctx, p, c, scope, s, query, vec);
        } catch (err) {
          ctx.trail.push({ stage: 'cache', decision: 'semantic_error', reason: `semantic lookup failed: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}` });
        }
        if (hit) return hit;
      }
      if (c.onlyIfCached) throw new GatewayError('only_if_cached_miss', 'only-if-cached: no cached answer for this request');
      s.misses++;
      ctx.trail.push({ stage: 'cache', decision: 'miss', reason: bad ? `entry ${bad}` : 'not cached', data: { key: key.slice(0, 12) } });
    } else {
      if (c.onlyIfCached) throw new GatewayError('only_if_cached_miss', `only-if-cached: reading is off (${c.reason})`);
      s.misses++;
      ctx.trail.push({ stage: 'cache', decision: 'miss', reason: c.reason ?? 'read disabled', data: { key: key.slice(0, 12), write: c.write } });
    }
    ctx.cache = { status: 'miss' };
    ctx.responseHeaders['x-tollgate-cache'] = 'miss';
    const startedAt = ctx.receivedAt;
    const result = await next();
    if (!c.write) return result;
    if (result.kind === 'complete') {
      store_(ctx, p, c, key, scope, result.response, startedAt, query, vec);
      return result;
    }
    return { ...result, chunks: wrapStream(result.chunks, (r) => store_(ctx, p, c, key, scope, r, startedAt, query, vec)) };
  };

  /** The entry scopes a tenant owns; undefined = every scope (an admin of all tenants). */
  const scopesOf = (admin: AdminContext): string[] | undefined => {
    if (admin.tenant === undefined) return undefined;
    if (cfg.scope === 'global') {
      throw new GatewayError('forbidden', "cache.scope is 'global': every tenant shares the cached answers, so purging needs an admin key with no team.");
    }
    return cfg.scope === 'team' ? ['t:' + admin.tenant] : admin.tenantKeyIds.map((id) => 'k:' + id);
  };

  const purge = async (body: unknown, _q: URLSearchParams, admin: AdminContext): Promise<{ status: number; body: unknown }> => {
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw new GatewayError('invalid_request', 'The purge body must be a JSON object.');
    }
    const b = (body ?? {}) as { tags?: unknown; route?: unknown; all?: unknown; scope?: unknown };
    if (b.tags !== undefined && !(Array.isArray(b.tags) && b.tags.every((t) => typeof t === 'string'))) throw new GatewayError('invalid_request', "'tags' must be an array of strings.", { param: 'tags' });
    if (b.route !== undefined && typeof b.route !== 'string') throw new GatewayError('invalid_request', "'route' must be a string.", { param: 'route' });
    if (b.all !== undefined && typeof b.all !== 'boolean') throw new GatewayError('invalid_request', "'all' must be a boolean.", { param: 'all' });
    if (b.scope !== undefined && typeof b.scope !== 'string') throw new GatewayError('invalid_request', "'scope' must be a string.", { param: 'scope' });
    const tags = b.tags as string[] | undefined;
    const route = b.route as string | undefined;
    const all = b.all === true;
    if (!all && !route && !tags?.length) throw new GatewayError('invalid_request', 'purge needs {"all": true}, {"route": "<name>"} or {"tags": ["..."]}');
    const own = scopesOf(admin);
    let scopes: (string | undefined)[];
    if (own === undefined) scopes = [b.scope as string | undefined];
    else if (b.scope === undefined) scopes = own;
    else if (own.includes(b.scope as string)) scopes = [b.scope as string];
    else throw new GatewayError('forbidden', `scope '${String(b.scope)}' does not belong to team '${admin.tenant}'.`, { param: 'scope' });
    let purged = 0;
    for (const scope of scopes) purged += store.purge({ all, route, tags, scope });
    return { status: 200, body: { purged } };
  };

  const statsRoute = async (_b: unknown, _q: URLSearchParams, admin: AdminContext): Promise<{ status: number; body: unknown }> => {
    if (admin.tenant === undefined) return { status: 200, body: { entries: store.size, routes: statsSnapshot() } };
    // under a global scope the entries are shared: none of them is this tenant's own
    const own = cfg.scope === 'global' ? [] : scopesOf(admin)!;
    const entries = own.reduce((n, scope) => n + store.countScope(scope), 0);
    return { status: 200, body: { tenant: admin.tenant, entries, routes: snapshotOf([stats.get(admin.tenant)]) } };
  };

  const adminRoutes: AdminRoute[] = [
    { method: 'POST', path: '/admin/cache/purge', scope: 'tenant', handler: purge },
    { method: 'GET', path: '/admin/cache/stats', scope: 'tenant', handler: statsRoute },
  ];

  /** route -> figures summed over the given tenants' maps */
  const snapshotOf = (maps: Iterable<Map<string, RouteStats> | undefined>): Record<string, RouteStats & { staleRatio: number; hitRate: number }> => {
    const sum = new Map<string, RouteStats>();
    for (const byRoute of maps) {
      for (const [route, v] of byRoute ?? []) {
        let t = sum.get(route);
        if (!t) sum.set(route, (t = emptyStats()));
        for (const k of Object.keys(t) as (keyof RouteStats)[]) t[k] += v[k];
      }
    }
    return Object.fromEntries([...sum].map(([k, v]) => [k, { ...v, staleRatio: v.hits ? v.staleHits / v.hits : 0, hitRate: v.lookups ? v.hits / v.lookups : 0 }]));
  };
  const statsSnapshot = () => snapshotOf(stats.values());

  return {
    name: 'cache',
    store,
    embedder,
    handle,
    adminRoutes,
    stats: statsSnapshot,
    semanticPolicy,
    tightenSemantic,
    restoreSemantic,
    close: async () => store.close(),
  };
}
