// Tokens and prefix identities of a request's candidates, with o200k counts (exact for OpenAI's
// o200k models, an estimate for Claude) shared across the candidates of one request: a message
// object is counted and serialised once, and one token budget bounds the exact counting of the
// whole request (src/core/tokens.ts), so the work stays linear in what the client sent.

import { createHash, type Hash } from 'node:crypto';
import type { ChatRequest, Message } from '../../core/canonical.js';
import { estimateInputTokens, TokenBudget } from '../../core/tokens.js';

/** the reply priming every request pays once (src/core/tokens.ts) */
const PRIMING = 3;

const withoutCacheControl = (k: string, v: unknown): unknown => (k === 'cacheControl' ? undefined : v);

export class RequestMeasure {
  private readonly budget = new TokenBudget();
  private readonly msgTokens = new WeakMap<Message, number>();
  private readonly msgText = new WeakMap<Message, string>();
  private staticMemo?: { req: ChatRequest; tokens: number; hash: Hash };

  tokensOfMessage(m: Message): number {
    let n = this.msgTokens.get(m);
    if (n === undefined) {
      n = estimateInputTokens({ model: '', system: [], messages: [m], stream: false, includeUsage: false, extra: {} }, this.budget) - PRIMING;
      this.msgTokens.set(m, n);
    }
    return n;
  }

  private textOf(m: Message): string {
    let t = this.msgText.get(m);
    if (t === undefined) {
      t = JSON.stringify([m.role, m.name ?? null, m.content], withoutCacheControl);
      this.msgText.set(m, t);
    }
    return t;
  }

  /** tools and system: the same object across history candidates, so measured once */
  private staticOf(req: ChatRequest): { tokens: number; hash: Hash } {
    const s = this.staticMemo;
    if (s && s.req.system === req.system && s.req.tools === req.tools) return s;
    const tokens = estimateInputTokens({ ...req, messages: [] }, this.budget);
    const hash = createHash('sha256').update(JSON.stringify([req.tools ?? null, req.system], withoutCacheControl));
    this.staticMemo = { req, tokens, hash };
    return this.staticMemo;
  }

  tokensOf(req: ChatRequest): number {
    let n = this.staticOf(req).tokens;
    for (const m of req.messages) n += this.tokensOfMessage(m);
    return n;
  }

  /**
   * Cumulative (prefix hash, tokens) at each message boundary: after tools and system, then after
   * each message. What a provider caches is a prefix; these identify them without keeping text.
   */
  prefixes(req: ChatRequest): { hash: string; tokens: number }[] {
    const s = this.staticOf(req);
    const h = s.hash.copy();
    let tokens = s.tokens;
    const out = [{ hash: h.copy().digest('base64url'), tokens }];
    for (const m of req.messages) {
      h.update('\u0000').update(this.textOf(m));
      tokens += this.tokensOfMessage(m);
      out.push({ hash: h.copy().digest('base64url'), tokens });
    }
    return out;
  }
}
