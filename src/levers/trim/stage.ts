// The trim stage: per route, drops retrieved chunks the question does not need and history turns
// beyond a window or a token budget (optionally replaced by a summary), but only when the dollars
// it saves exceed what it costs (the provider's cached prefix it breaks, the summary call). Runs
// after the router (it prices the model that will run) and before prompt-cache (breakpoints go on
// the trimmed request). The request changes only as a new object with `rewritten` set; what was
// removed goes in `ctx.trim` (the record's baseline is the untrimmed request) and the trail.

import { createHash } from 'node:crypto';
import { ZERO_USAGE, type ChatRequest, type Message } from '../../core/canonical.js';
import type { ChatResult, CostOf, GatewayContext, Next, Stage, Target } from '../../pipeline/stage.js';
import { breakEven, PrefixMemory, type BreakEven, type CachePrices } from './break-even.js';
import { settingsFor, trims, trimConfigSchema, type TrimConfig, type TrimConfigInput, type TrimSettings } from './config.js';
import { contextMessagesFrom } from '../../core/prompt-anatomy.js';
import { trimContext } from './context.js';
import { cutForLastTurns, droppable, dropUnits, parsePinHeader, unitsOf, type Unit } from './history.js';
import { RequestMeasure } from './measure.js';
import { callSummary, summaryPart, summaryRequest, SummaryCache } from './summary.js';

export interface TrimStats {
  requests: number;
  trimmed: number;
  /** trims the break-even refused (they would have cost more than they saved) */
  refused: number;
  tokensRemoved: number;
  savedUsd: number;
  summariesMade: number;
}

export interface TrimStage extends Stage {
  stats(): Record<string, TrimStats>;
}

/** What the provider's prompt cache looks like for one target (from the prompt-cache lever's config). */
export interface ProviderCacheInfo {
  /** the route or the request puts cache_control breakpoints (explicit caching) */
  breakpoints(route: string, model: string, request: ChatRequest): boolean;
  ttlSeconds(route: string): number;
}

export interface TrimDeps {
  costOf: CostOf;
  /** a model name from config → where it runs (the summary model's prices) */
  resolveModel(name: string): Target | undefined;
  providerCache: ProviderCacheInfo;
}

const PER_MTOK = 1_000_000;
/** the summary's own framing ("[Summary of N earlier turns ...]") in tokens, for the estimate */
const SUMMARY_FRAME_TOKENS = 16;
/** previous cut points of a conversation considered as candidates (the most recent ones) */
const MAX_REMEMBERED_CUTS = 4;

interface Candidate {
  cut: number;
  request: ChatRequest;
  be: BreakEven;
  cachedAfter: number;
  /** the summary to make before applying (absent: none needed, or already made) */
  needsSummary: boolean;
  droppedTurns: number;
}

export function createTrimStage(input: TrimConfig | TrimConfigInput, deps: TrimDeps): TrimStage {
  const cfg = trimConfigSchema.parse(input);
  const settingsMemo = new Map<string, TrimSettings>();
  const settings = (name: string): TrimSettings => {
    let s = settingsMemo.get(name);
    if (!s) {
      s = settingsFor(cfg, name);
      if (settingsMemo.size < 10_000) settingsMemo.set(name, s);
    }
    return s;
  };
  const memory = new PrefixMemory(cfg.providerCache.prefixMemory);
  const summaries = new SummaryCache(cfg.summaryCacheEntries);
  const stats = new Map<string, TrimStats>();

  const perToken = (target: Target, over: Partial<typeof ZERO_USAGE>): number => deps.costOf(target, { ...ZERO_USAGE, ...over }) / PER_MTOK;

  /** the cache prices that apply to this request on its target, and whether the provider caches it at all */
  const pricesFor = (target: Target | undefined, route: string, req: ChatRequest): { prices: CachePrices; active: boolean; ttlMs: number } => {
    const ttlSeconds = deps.providerCache.ttlSeconds(route);
    const ttlMs = 1000 * (ttlSeconds || cfg.providerCache.cacheTtlSeconds);
    if (!target) return { prices: { input: 0, cacheRead: 0, write: 0 }, active: false, ttlMs };
    const input = perToken(target, { input: PER_MTOK });
    const cacheRead = perToken(target, { cacheRead: PER_MTOK });
    const write = perToken(target, ttlSeconds >= 3600 ? { cacheWrite1h: PER_MTOK } : { cacheWrite5m: PER_MTOK });
    if (cacheRead >= input) return { prices: { input, cacheRead: input, write: input }, active: false, ttlMs };
    // a write surcharge means explicit caching (Anthropic): nothing is cached without breakpoints
    if (write > input) {
      const active = deps.providerCache.breakpoints(route, target.model, req);
      return active ? { prices: { input, cacheRead, write }, active, ttlMs } : { prices: { input, cacheRead: input, write: input }, active: false, ttlMs };
    }
    return { prices: { input, cacheRead, write: input }, active: true, ttlMs };
  };

  // not async: a request its route does not trim adds no promise of its own
  const handle = (ctx: GatewayContext, next: Next): Promise<ChatResult> => {
    const original = ctx.request;
    if (!original?.messages) return next();
    const route = ctx.route ?? original.model;
    const s = settings(route);
    if (!trims(s)) return next();
    return trimThenCall(ctx, next, original, route, s);
  };

  async function trimThenCall(ctx: GatewayContext, next: Next, original: ChatRequest, route: string, s: TrimSettings): Promise<ChatResult> {
    let st = stats.get(route);
    if (!st) {
      if (stats.size >= 10_000) return next();
      stats.set(route, (st = { requests: 0, trimmed: 0, refused: 0, tokensRemoved: 0, savedUsd: 0, summariesMade: 0 }));
    }
    st.requests++;
    const now = Date.now();
    const measure = new RequestMeasure();
    const { prices, active, ttlMs } = pricesFor(ctx.target, route, original);
    const minCache = cfg.providerCache.minCacheableTokens;
    const cachedOf = (req: ChatRequest): number => (active ? memory.cachedTokens(route, measure.prefixes(req), ttlMs, minCache, now) : 0);
    const side = (req: ChatRequest) => ({ tokens: measure.tokensOf(req), cachedTokens: cachedOf(req) });
    const pays = (be: BreakEven) => be.tokensRemoved > 0 && be.netUsd >= s.minSavingsUsd;

    let current = original;
    let removed = 0;
    let saved = 0;
    let cutMark: string | undefined;

    // retrieved context first: the chunks the question does not need
    if (s.contextTopK !== undefined || s.contextMaxTokens !== undefined) {
      const marked = contextMessagesFrom(ctx.headers['x-tollgate-context'], current);
      const c = trimContext(current, { topK: s.contextTopK, maxTokens: s.contextMaxTokens, contextMessages: marked instanceof Set ? marked : undefined });
      if (c) {
        const before = side(current);
        const after = side(c.request);
        const be = breakEven(before, after, prices, 0);
        const data = { chunks: c.chunks, kept: c.kept, ...figures(be), tokensBefore: before.tokens, cachedTokensBefore: before.cachedTokens, cachedTokensAfter: after.cachedTokens };
        if (pays(be)) {
          current = c.request;
          removed += be.tokensRemoved;
          saved += be.netUsd;
          ctx.trail.push({ stage: 'trim', decision: 'context', reason: `kept ${c.kept.length} of ${c.chunks} retrieved chunks (the most relevant to the question, in their order): -${be.tokensRemoved} tokens, $${be.netUsd.toFixed(6)} net`, data });
        } else {
          st.refused++;
          ctx.trail.push({ stage: 'trim', decision: 'keep', reason: `dropping ${c.chunks - c.kept.length} retrieved chunks would save $${be.netUsd.toFixed(6)} net (below $${s.minSavingsUsd})`, data });
        }
      }
    }

    // then history
    if (s.keepLastTurns !== undefined || s.maxInputTokens !== undefined) {
      const pins = { pinFirstTurns: s.pinFirstTurns, pinNames: s.pinNames, pinnedIndices: parsePinHeader(ctx.headers['x-tollgate-pin']) };
      const units = unitsOf(current.messages, pins);
      const drops = droppable(units);
      if (drops.length > 0) {
        const base = current;
        const before = side(base);
        const cutKeys = cutHashes(base, units, drops, s.summary?.model);
        const candidate = (cut: number): Candidate => {
          const key = cutKeys[cut]!;
          const text = s.summary ? summaries.peek(key) : undefined;
          const { request, droppedTurns, dropped } = dropUnits(base, units, cut, text !== undefined ? summaryPart(cut, text) : undefined);
          const needsSummary = s.summary !== undefined && text === undefined && cut > 0;
          const after = side(request);
          if (needsSummary) after.tokens += s.summary!.maxTokens + SUMMARY_FRAME_TOKENS;
          // an earlier cut's summary (cached) is folded in: only the turns dropped since go to the model
          let fromCut = 0;
          for (let c = cut - 1; c > 0 && needsSummary; c--) {
            if (summaries.peek(cutKeys[c]!) !== undefined) {
              fromCut = c;
              break;
            }
          }
          const summaryUsd = needsSummary ? summaryCostEstimate(fromCut > 0 ? dropped.slice(dropped.length - messagesIn(fromCut, cut)) : dropped, fromCut > 0 ? s.summary!.maxTokens : 0, s.summary!, measure) : 0;
          return { cut, request, be: breakEven(before, after, prices, summaryUsd), cachedAfter: after.cachedTokens, needsSummary, droppedTurns };
        };
        /** messages in the droppable units [from, to) */
        const messagesIn = (from: number, to: number) => drops.slice(from, to).reduce((n, k) => n + units[k]!.end - units[k]!.start, 0);
        // tokens each cut removes, for the budget search (O(1) per cut; a candidate is built only for the few compared)
        const removedBy = [0];
        for (const k of drops) {
          let t = 0;
          for (let i = units[k]!.start; i < units[k]!.end; i++) t += measure.tokensOfMessage(base.messages[i]!);
          removedBy.push(removedBy[removedBy.length - 1]! + t);
        }
        const summaryTokens = s.summary ? s.summary.maxTokens + SUMMARY_FRAME_TOKENS : 0;
        const fits = (cut: number, limit: number) => before.tokens - removedBy[cut]! + (cut > 0 ? summaryTokens : 0) <= limit;
        let required = s.keepLastTurns !== undefined ? cutForLastTurns(units, s.keepLastTurns) : 0;
        const cuts = new Set<number>();
        if (s.maxInputTokens !== undefined) {
          const budget = s.maxInputTokens;
          const smallest = (limit: number) => {
            for (let c = required; c <= drops.length; c++) if (fits(c, limit)) return c;
            return drops.length;
          };
          required = smallest(budget);
          // a cut made on an earlier turn of this conversation keeps its prefix (and summary) cached
          let n = 0;
          for (let c = drops.length; c >= required && n < MAX_REMEMBERED_CUTS; c--) {
            if (memory.has(route, cutKeys[c]!, ttlMs, now)) {
              cuts.add(c);
              n++;
            }
          }
          if (n === 0) cuts.add(required === 0 ? 0 : smallest(Math.floor(budget * s.cutToRatio)));
          cuts.add(required);
        } else {
          // a window: the conversation's earlier cut keeps more turns than N, but its prefix is
          // cached; the window moves on when what it removes is worth the cache it breaks
          cuts.add(required);
          let n = 0;
          for (let c = required - 1; c > 0 && n < MAX_REMEMBERED_CUTS; c--) {
            if (memory.has(route, cutKeys[c]!, ttlMs, now)) {
              cuts.add(c);
              n++;
            }
          }
        }
        cuts.delete(0);
        let best: Candidate | undefined;
        for (const c of cuts) {
          const cand = candidate(c);
          if (!best || cand.be.netUsd > best.be.netUsd) best = cand;
        }
        let summaryState: 'none' | 'made' | 'cached' | 'not made' = s.summary ? (best?.needsSummary ? 'not made' : 'cached') : 'none';
        if (best && best.needsSummary && pays(best.be)) {
          const made = await summarize(ctx, base, units, drops, best.cut, cutKeys, s.summary!);
          if (made === undefined) {
            best = undefined;
            ctx.trail.push({ stage: 'trim', decision: 'keep', reason: 'the summary of the dropped turns failed: history kept whole' });
          } else {
            summaryState = made.made ? 'made' : 'cached';
            if (made.made) st.summariesMade++;
            const again = candidate(best.cut);
            best = { ...again, be: breakEven(before, side(again.request), prices, made.costUsd) };
          }
        }
        if (best) {
          const data = { cut: best.cut, droppedTurns: best.droppedTurns, keptTurns: units.length - best.droppedTurns, ...figures(best.be), tokensBefore: before.tokens, cachedTokensBefore: before.cachedTokens, cachedTokensAfter: best.cachedAfter, summary: summaryState };
          if (pays(best.be)) {
            current = best.request;
            removed += best.be.tokensRemoved;
            saved += best.be.netUsd;
            cutMark = cutKeys[best.cut];
            ctx.trail.push({ stage: 'trim', decision: 'history', reason: `dropped ${best.droppedTurns} earlier turn(s)${s.summary ? ' for a summary' : ''}: -${best.be.tokensRemoved} tokens, $${best.be.grossUsd.toFixed(6)} saved, $${best.be.lostCacheUsd.toFixed(6)} of cached prefix lost, $${best.be.summaryUsd.toFixed(6)} summary, $${best.be.netUsd.toFixed(6)} net`, data });
          } else {
            st.refused++;
            ctx.trail.push({ stage: 'trim', decision: 'keep', reason: `trimming ${best.droppedTurns} turn(s) would save $${best.be.grossUsd.toFixed(6)} but cost $${(best.be.lostCacheUsd + best.be.summaryUsd).toFixed(6)} (cached prefix, summary): history kept`, data });
          }
        }
      }
    }

    if (current !== original) {
      ctx.request = current;
      ctx.rewritten = true;
      ctx.trim = { inputTokensRemoved: (ctx.trim?.inputTokensRemoved ?? 0) + removed, savedUsd: (ctx.trim?.savedUsd ?? 0) + saved };
      st.trimmed++;
      st.tokensRemoved += removed;
      st.savedUsd += saved;
    }
    const sent = current;
    const result = await next();
    // what went upstream is (probably) in the provider's cache now; the cut is reusable next turn
    // (later stages may add breakpoints to it: the prefix hashes leave cache_control out)
    if (active) {
      memory.remember(route, measure.prefixes(sent), Date.now());
      if (cutMark) memory.mark(route, cutMark, Date.now());
    }
    return result;
  }

  /** makes (or reuses) the summary for `cut`, folding in the summary of a smaller cut when one is cached */
  async function summarize(ctx: GatewayContext, req: ChatRequest, units: readonly Unit[], drops: readonly number[], cut: number, keys: readonly string[], sum: NonNullable<TrimSettings['summary']>): Promise<{ costUsd: number; made: boolean } | undefined> {
    let from = 0;
    let previous: string | undefined;
    for (let c = cut - 1; c > 0; c--) {
      const t = summaries.peek(keys[c]!);
      if (t !== undefined) {
        from = c;
        previous = t;
        break;
      }
    }
    const messages: Message[] = [];
    for (const k of drops.slice(from, cut)) for (let i = units[k]!.start; i < units[k]!.end; i++) messages.push(req.messages[i]!);
    let costUsd = 0;
    try {
      const { made } = await summaries.getOrMake(keys[cut]!, async () => {
        const r = await callSummary(ctx, summaryRequest(sum.model, sum.maxTokens, previous, messages));
        costUsd = r.costUsd;
        return r.text;
      });
      return { costUsd, made };
    } catch {
      return undefined;
    }
  }

  function summaryCostEstimate(dropped: readonly Message[], previousTokens: number, sum: NonNullable<TrimSettings['summary']>, m: RequestMeasure): number {
    const target = deps.resolveModel(sum.model);
    if (!target) return 0;
    let input = 120 + previousTokens; // the instruction and framing, and the summary folded in
    for (const msg of dropped) input += m.tokensOfMessage(msg);
    return deps.costOf(target, { ...ZERO_USAGE, input, output: sum.maxTokens });
  }

  return {
    name: 'trim',
    handle,
    stats: () => Object.fromEntries(stats),
    adminRoutes: [{ method: 'GET', path: '/admin/trim/stats', handler: async () => ({ status: 200, body: Object.fromEntries(stats) }) }],
  };
}

const figures = (be: BreakEven) => ({ tokensRemoved: be.tokensRemoved, grossUsd: be.grossUsd, lostCacheUsd: be.lostCacheUsd, summaryUsd: be.summaryUsd, netUsd: be.netUsd });

/**
 * keys[c]: the identity of "this conversation with its first c droppable units dropped": the
 * summary model, tools and system, and the dropped messages in order. It keys the summary cache
 * and the memory of cuts made (a later turn of the same conversation has the same dropped prefix).
 */
function cutHashes(req: ChatRequest, units: readonly Unit[], drops: readonly number[], summaryModel: string | undefined): string[] {
  const h = createHash('sha256').update(JSON.stringify([summaryModel ?? null, req.tools ?? null, req.system], (k, v) => (k === 'cacheControl' ? undefined : v)));
  const out = [h.copy().digest('base64url')];
  for (const k of drops) {
    for (let i = units[k]!.start; i < units[k]!.end; i++) h.update('\u0000').update(JSON.stringify(req.messages[i], (key, v) => (key === 'cacheControl' ? undefined : v)));
    out.push(h.copy().digest('base64url'));
  }
  return out;
}
