// What each lever saved on one request (RequestRecord.savedByLever), telescoping from the
// counterfactual to what the request cost. Pure: prices come in, dollars go out.
//
// The counterfactual is the request as the caller sent it, on its baseline model, with no gateway
// cache, no provider prompt-cache discount and nothing trimmed. Each lever's bar is one step of a
// chain from that cost down to `costUsd`, so the bars add up exactly (to rounding):
//
//   counterfactual  = cost(baseline model, untrimmed input, every input token at the plain price)
//   - tiering       = that − cost(model that ran, untrimmed, plain)
//   - trimming      = that − cost(model that ran, as sent, plain)
//   - prompt_caching= that − what the answer cost (the read discount net of the write premium; may be < 0)
//   - retries       = −(failed attempts at the answer)
//   - own_calls     = −(the gateway's own calls: verifiers, embedders, judges)
//   = costUsd
//
// A gateway cache hit made no call for the answer: its bar (exact_cache or semantic_cache) is the
// whole counterfactual, and the own calls it made (an embedding, a verifier) are the negative bar.
// A request with no answer has a counterfactual of 0: what it paid is the negative bars.

import type { Usage } from '../core/canonical.js';
import { ratesFor } from '../core/cost.js';
import type { ModelPrice } from '../core/prices/catalog.js';
import type { SavingsLever } from '../insights/contract.js';

export interface SavingsInput {
  /** the usage of the answer the caller got (a cache hit's stored usage); undefined when none */
  usage?: Usage;
  /** what the attempt that answered cost (0 for a cache hit or no answer) */
  answerCostUsd: number;
  /** there was an answer (from an upstream attempt or the cache) */
  answered: boolean;
  /** price of the model that ran (or the cache entry's model on a hit); undefined when not priced */
  ranPrice?: ModelPrice;
  /** price of the baseline model (the requested model or the route's baseline); undefined when not priced */
  baselinePrice?: ModelPrice;
  cache?: { status: 'hit' | 'miss' | 'bypass' | 'semantic_hit'; savedCostUsd?: number };
  /** input tokens the trim lever removed from the request as sent */
  trimmedInputTokens?: number;
  /** failed attempts at the answer (retries, fallbacks), dollars */
  failedAttemptsCostUsd: number;
  /** the gateway's own calls, dollars */
  ownCallsCostUsd: number;
}

export type SavedByLever = Partial<Record<SavingsLever, number>>;

/** every input token at the plain input price: no cache read, no cache write */
export function withoutPromptCache(u: Usage): Usage {
  return { ...u, input: u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 };
}

const tok = (n: number | undefined): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : 0);

/**
 * What `u` costs at `p`, in floating point: the same rates, tiers and token rules as core/cost.ts's
 * exact costOf, without its BigInt arithmetic (a record is built on the response path, and a bar
 * needs no nano-dollar exactness: the chain still telescopes exactly, each bar being the
 * difference of its neighbours).
 */
export function usdOf(u: Usage, p: ModelPrice): number {
  const input = tok(u.input);
  const read = tok(u.cacheRead);
  const w5 = tok(u.cacheWrite5m);
  const w1 = tok(u.cacheWrite1h);
  const output = tok(u.output);
  const reasoning = Math.min(tok(u.reasoning), output);
  const r = ratesFor(p, input + read + w5 + w1);
  const out = r.reasoning === undefined ? output * rate(r.output) : (output - reasoning) * rate(r.output) + reasoning * rate(r.reasoning);
  return (input * rate(r.input) + read * rate(r.cacheRead) + w5 * rate(r.cacheWrite5m) + w1 * rate(r.cacheWrite1h) + out) / 1e6;
}

const rate = (x: number | undefined): number => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0);

/** `input` tokens all at the plain input price, and the output: no prompt cache at all */
function plainUsd(p: ModelPrice | undefined, input: number, output: number, reasoning: number): number | undefined {
  if (!p) return undefined;
  const r = ratesFor(p, input);
  const out = r.reasoning === undefined ? output * rate(r.output) : (output - reasoning) * rate(r.output) + reasoning * rate(r.reasoning);
  return (input * rate(r.input) + out) / 1e6;
}

/** The bars of one request; a lever that did not act (a zero bar) is left out. */
export function savedByLever(s: SavingsInput): SavedByLever {
  const out: SavedByLever = {};
  const put = (lever: SavingsLever, usd: number): void => {
    if (usd !== 0 && Number.isFinite(usd)) out[lever] = usd;
  };
  const status = s.cache?.status;
  const u = s.usage;
  // every input token at the plain price, with the tokens trimming removed put back
  const output = u ? tok(u.output) : 0;
  const reasoning = u ? Math.min(tok(u.reasoning), output) : 0;
  const plainInput = u ? tok(u.input) + tok(u.cacheRead) + tok(u.cacheWrite5m) + tok(u.cacheWrite1h) : 0;
  const untrimmedInput = plainInput + tok(s.trimmedInputTokens);
  if (status === 'hit' || status === 'semantic_hit') {
    // the baseline model's price of the answer when it is priced, else what the cache says it saved
    const counterfactual = (u && (plainUsd(s.baselinePrice, untrimmedInput, output, reasoning) ?? plainUsd(s.ranPrice, untrimmedInput, output, reasoning))) ?? s.cache?.savedCostUsd ?? 0;
    put(status === 'hit' ? 'exact_cache' : 'semantic_cache', counterfactual);
  } else if (s.answered && u) {
    const ranUntrimmed = plainUsd(s.ranPrice, untrimmedInput, output, reasoning);
    const ranPlain = plainUsd(s.ranPrice, plainInput, output, reasoning);
    if (ranUntrimmed !== undefined && ranPlain !== undefined) {
      const baseUntrimmed = plainUsd(s.baselinePrice, untrimmedInput, output, reasoning) ?? ranUntrimmed;
      put('tiering', baseUntrimmed - ranUntrimmed);
      put('trimming', ranUntrimmed - ranPlain);
      put('prompt_caching', ranPlain - s.answerCostUsd);
    }
    // an unpriced model: no counterfactual to claim savings against; the answer's cost is all there is
  }
  put('retries', -s.failedAttemptsCostUsd);
  put('own_calls', -s.ownCallsCostUsd);
  return out;
}

/** costUsd + the bars: what the request would have cost without the levers */
export function counterfactualCostUsd(costUsd: number, saved: SavedByLever | Record<string, number> | undefined): number {
  let c = costUsd;
  if (saved) for (const v of Object.values(saved)) c += v ?? 0;
  return c;
}

/** what the prompt-cache writes of `u` cost over the same tokens at the plain input price (0 without writes) */
export function cacheWritePremiumUsd(u: Usage, p: ModelPrice | undefined): number {
  if (!p || !(u.cacheWrite5m > 0 || u.cacheWrite1h > 0)) return 0;
  const plainWrites = { ...u, input: u.input + u.cacheWrite5m + u.cacheWrite1h, cacheWrite5m: 0, cacheWrite1h: 0 };
  return usdOf(u, p) - usdOf(plainWrites, p);
}
