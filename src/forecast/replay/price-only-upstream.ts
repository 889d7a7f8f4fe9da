// The price-only upstream: a provider adapter that calls nothing. It answers each replayed request
// with the token counts it had when it was served (and the provider's prefix cache simulated
// across the replay), so the engine prices, routes, caches and records it exactly as it would a
// real answer. A real component of replay, not a test double: replay puts it in place of every
// provider of the policy under test (kind `price-only`, base URL `price-only://<session>/<format>`).
//
// Usage of a request, in order:
// 1. the same upstream model as recorded and the prompt unchanged (same text length): the recorded
//    usage, cache reads included, as is; so an unchanged policy costs exactly what the ledger says;
// 2. otherwise: the recorded input size when the prompt is unchanged, else the rewritten prompt's
//    counted tokens (trimming); output as recorded, capped by max_tokens; cache reads and writes from
//    the prefix cache below, which holds the item's prefix when the system prompt and tools are as
//    sent (a lever that cut only messages, such as trim, leaves the prefix cacheable).
// Prefix cache: each model keeps the prefix blocks it has seen for 5 minutes of replay time (the
// providers' default lifetime), refreshed on use; a request reads its leading blocks that are held,
// if they reach 1,024 tokens (OpenAI's and Anthropic's minimum). A model whose catalog price
// charges more for a cache write than for input (Anthropic) caches only when the request carries a
// breakpoint, and is charged the write; others cache automatically (OpenAI, Gemini).

import type { ChatRequest, ChatResponse, Usage, WireFormat } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import type { ModelPrice } from '../../core/prices/catalog.js';
import { estimateInputTokens } from '../../core/tokens.js';
import type { ProviderAdapter, UpstreamComplete } from '../../providers/contract.js';
import { registerProviderKind } from '../../providers/registry.js';
import { declaredInputTokens, prefixSignature, promptSignature, type ReplayItem } from './item.js';

export const REPLAY_ID_HEADER = 'x-tollgate-replay-id';
export const PRICE_ONLY_KIND = 'price-only';
const PREFIX_TTL_MS = 5 * 60_000;
const MIN_CACHE_TOKENS = 1024;
/** prefix blocks kept per model; the oldest go first past it */
const MAX_BLOCKS_PER_MODEL = 1_000_000;
const EMPTY = Buffer.alloc(0);

export interface ReplaySession {
  /** the item being replayed, by id (the driver sets and clears them) */
  readonly items: Map<string, ReplayItem & { signature: number; prefixSignature: number }>;
  /** replay time: the arrival of the request being replayed */
  clock: number;
  priceOf(model: string): ModelPrice | undefined;
  /** calls answered, for the report */
  calls: number;
  /** the policy adds prompt-cache breakpoints (stands in for them on synthesised prompts) */
  promptCacheLever: boolean;
}

const sessions = new Map<string, ReplaySession>();
let nextSession = 0;

export function openSession(priceOf: (model: string) => ModelPrice | undefined): { id: string; session: ReplaySession; close(): void } {
  const id = `s${++nextSession}`;
  const session: ReplaySession = { items: new Map(), clock: 0, priceOf, calls: 0, promptCacheLever: false };
  sessions.set(id, session);
  return { id, session, close: () => sessions.delete(id) };
}

export function priceOnlyBaseUrl(sessionId: string, format: WireFormat): string {
  return `price-only://${sessionId}/${format}`;
}

class PrefixCache {
  private readonly byModel = new Map<string, Map<string | number, number>>();
  /** tokens of the leading held blocks; then every block is held (refreshed) until now + TTL */
  touch(model: string, blocks: ReplayItem['prefix'], now: number, store: boolean): number {
    if (!blocks?.length) return 0;
    let held = this.byModel.get(model);
    if (!held) this.byModel.set(model, (held = new Map()));
    let read = 0;
    let leading = true;
    for (const b of blocks) {
      const until = held.get(b.hash);
      if (leading && until !== undefined && until >= now) read += b.tokens;
      else leading = false;
      if (store) held.set(b.hash, now + PREFIX_TTL_MS);
    }
    if (held.size > MAX_BLOCKS_PER_MODEL) {
      // past the bound, the blocks first seen longest ago go, half at a time (amortised)
      let drop = held.size >> 1;
      for (const k of held.keys()) {
        if (drop-- <= 0) break;
        held.delete(k);
      }
    }
    return read;
  }
}

function hasBreakpoint(req: ChatRequest): boolean {
  return req.system.some((p) => p.cacheControl) || req.messages.some((m) => m.content.some((p) => 'cacheControl' in p && p.cacheControl)) || (req.tools?.some((t) => t.cacheControl) ?? false);
}

function createPriceOnlyAdapter(name: string, session: ReplaySession, wireFormat: WireFormat): ProviderAdapter {
  const cache = new PrefixCache();
  return {
    name,
    kind: PRICE_ONLY_KIND,
    wireFormat,
    otelProviderName: name,
    async chat(req, opts): Promise<UpstreamComplete> {
      const id = opts.headers?.[REPLAY_ID_HEADER];
      const item = id === undefined ? undefined : session.items.get(id);
      if (!item) throw new GatewayError('internal', `the price-only upstream answers replayed requests only (no ${REPLAY_ID_HEADER})`);
      session.calls++;
      const t = session.clock;
      opts.timings.upstreamSentAt = t;
      const unchanged = promptSignature(req) === item.signature;
      let usage: Usage;
      const rec = item.recorded;
      if (rec?.model === opts.model && unchanged && rec.status === 'ok') {
        usage = rec.usage;
        cache.touch(opts.model, item.prefix, t, true);
      } else {
        const total = unchanged ? item.inputTokens : (declaredInputTokens.get(req) ?? estimateInputTokens(req));
        const price = session.priceOf(opts.model);
        const explicit = price !== undefined && price.cacheWrite5m > price.input;
        const caches = !explicit || hasBreakpoint(req) || (item.synthetic && session.promptCacheLever);
        const samePrefix = unchanged || prefixSignature(req) === item.prefixSignature;
        const prefixTokens = samePrefix ? (item.prefix ?? []).reduce((a, b) => a + b.tokens, 0) : 0;
        let read = caches && samePrefix ? cache.touch(opts.model, item.prefix, t, true) : 0;
        if (prefixTokens < MIN_CACHE_TOKENS) read = 0;
        read = Math.min(read, Math.max(0, total - 1));
        const write = explicit && caches && prefixTokens >= MIN_CACHE_TOKENS ? Math.max(0, Math.min(prefixTokens, total) - read) : 0;
        const output = req.maxTokens !== undefined ? Math.min(item.outputTokens, req.maxTokens) : item.outputTokens;
        usage = { input: Math.max(0, total - read - write), cacheRead: read, cacheWrite5m: write, cacheWrite1h: 0, output, reasoning: 0 };
      }
      opts.timings.firstByteAt = t;
      opts.timings.upstreamEndAt = t;
      const response: ChatResponse = {
        id: `replay-${item.id}`,
        model: opts.model,
        created: Math.floor(t / 1000),
        content: [{ type: 'text', text: `[replayed answer to ${item.id}: ${usage.output} tokens]` }],
        finishReason: 'stop',
        usage,
      };
      return { kind: 'complete', status: 200, response, raw: EMPTY, headers: {} };
    },
  };
}

registerProviderKind(PRICE_ONLY_KIND, (cfg) => {
  const m = /^price-only:\/\/([^/]+)\/([a-z]+)/.exec(cfg.baseUrl);
  const session = m ? sessions.get(m[1]!) : undefined;
  if (!m || !session) throw new Error(`provider "${cfg.name}": the price-only upstream exists only inside a replay (base URL ${cfg.baseUrl})`);
  return createPriceOnlyAdapter(cfg.name, session, m[2] as WireFormat);
});
