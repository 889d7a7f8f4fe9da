// Provider prompt caching: Anthropic `cache_control` breakpoints placed automatically on the stable
// prefix (end of tools, end of system prompt, end of the conversation before the last user turn)
// when a route enables it, honouring the model's minimum cacheable length, the 4-breakpoint limit
// and 1h-before-5m ordering. Also measures, per route, the share of input that repeats a recently
// seen prefix, and warns in the trail when variable content (dates, ids, emails, names) sits in
// front of static content, where it breaks every prefix match after it.

import type { CacheControl, ChatRequest, ContentPart, Message } from '../../core/canonical.js';
import type { ChatResult, GatewayContext, Next, Stage } from '../../pipeline/stage.js';
import { cacheConfigSchema, type CacheConfig, type CacheConfigInput } from './config.js';
import { stableStringify } from './key.js';

export interface PrefixStats {
  requests: number;
  inputTokens: number;
  repeatedTokens: number;
  /** share of input tokens that repeat a prefix seen within the window */
  cacheablePrefixShare: number;
  breakpointsAdded: number;
  variableContentWarnings: number;
}

export interface PromptCacheStage extends Stage {
  stats(): Record<string, PrefixStats>;
}

const VARIABLE_PATTERNS: [string, RegExp][] = [
  ['uuid', /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i],
  ['date', /\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\/\d{1,2}\/\d{2,4}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2},? \d{4}\b/i],
  ['time', /\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm|utc|z)?\b/i],
  ['email', /\b[\w.+-]+@[\w-]+\.[\w.]+\b/],
  ['name', /\b(?:user(?:name)?|customer|name)\s*[:=]\s*\S+|\b(?:hello|hi|dear),?\s+\p{Lu}\p{L}+/iu],
];

export interface Segment {
  /** where a breakpoint for this segment goes */
  kind: 'tools' | 'system' | 'message';
  index: number;
  chars: number;
  text: string;
}

/**
 * Incremental 53-bit string hash (two 32-bit FNV-1a lanes with different primes) for the prefix
 * metric: it needs identity among at most prefixMemory prefixes per route, not secrecy, and a
 * crypto hash object per request (plus a copy per segment) cost more than the rest of the stage.
 * At 10k remembered prefixes a false "repeated" has odds of about 1e-8.
 */
class PrefixHash {
  private a = 0x811c9dc5;
  private b = 0x9e3779b9;
  update(s: string): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    this.a = a;
    this.b = b;
  }
  digest(): number {
    return (this.a >>> 0) * 0x200000 + (this.b >>> 11);
  }
}

const partText = (p: ContentPart): string =>
  p.type === 'text' || p.type === 'thinking' ? p.text : p.type === 'tool_call' ? p.name + p.arguments : p.type === 'tool_result' ? (typeof p.content === 'string' ? p.content : p.content.map((x) => x.text).join('')) : p.type === 'image' ? (p.url ?? p.data ?? '') : '';

function segments(req: ChatRequest): Segment[] {
  const segs: Segment[] = [];
  if (req.tools?.length) {
    const text = stableStringify(req.tools.map((t) => [t.name, t.description, t.parameters]));
    segs.push({ kind: 'tools', index: req.tools.length - 1, chars: text.length, text });
  }
  if (req.system.length) {
    const text = req.system.map((p) => p.text).join('\n');
    segs.push({ kind: 'system', index: req.system.length - 1, chars: text.length, text });
  }
  req.messages.forEach((m, i) => {
    const text = m.role + ':' + m.content.map(partText).join('');
    segs.push({ kind: 'message', index: i, chars: text.length, text });
  });
  return segs;
}

const existingBreakpoints = (req: ChatRequest): CacheControl[] => {
  const out: CacheControl[] = [];
  for (const t of req.tools ?? []) if (t.cacheControl) out.push(t.cacheControl);
  for (const p of req.system) if (p.cacheControl) out.push(p.cacheControl);
  for (const m of req.messages) for (const p of m.content) if ('cacheControl' in p && p.cacheControl) out.push(p.cacheControl);
  return out;
};

/** Pure: the request with breakpoints added, and how many were added. */
export function injectBreakpoints(
  req: ChatRequest,
  opts: { minTokens: number; maxBreakpoints: number; ttl: '5m' | '1h'; staticTtl?: '5m' | '1h'; charsPerToken: number },
): { request: ChatRequest; added: number } {
  const existing = existingBreakpoints(req);
  let budget = Math.min(4, opts.maxBreakpoints) - existing.length;
  if (budget <= 0) return { request: req, added: 0 };
  const segs = segments(req);
  // candidate boundaries: end of tools, end of system, end of the history before the last user turn
  let lastUser = -1;
  for (let i = req.messages.length - 1; i >= 0; i--) if (req.messages[i]!.role === 'user') { lastUser = i; break; }
  let cum = 0;
  const chosen: { seg: Segment; ttl: '5m' | '1h' }[] = [];
  for (const seg of segs) {
    cum += seg.chars;
    const isBoundary = seg.kind !== 'message' || (seg.index === lastUser - 1);
    if (!isBoundary) continue;
    if (cum / opts.charsPerToken < opts.minTokens) continue;
    chosen.push({ seg, ttl: seg.kind === 'message' ? opts.ttl : (opts.staticTtl ?? opts.ttl) });
  }
  // most valuable first: the longest prefix covers the most, then earlier ones add robustness
  const picked = chosen.slice(-budget);
  if (picked.length === 0) return { request: req, added: 0 };
  // 1h breakpoints must precede 5m ones (client breakpoints count too: a 5m one before forces 5m after)
  let seen5m = existing.some((c) => (c.ttl ?? '5m') === '5m');
  const out: ChatRequest = { ...req, system: [...req.system], messages: [...req.messages], tools: req.tools ? [...req.tools] : undefined };
  for (const { seg, ttl } of picked) {
    const t: '5m' | '1h' = seen5m ? '5m' : ttl;
    if (t === '5m') seen5m = true;
    const cc: CacheControl = t === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' };
    if (seg.kind === 'tools') out.tools![seg.index] = { ...out.tools![seg.index]!, cacheControl: cc };
    else if (seg.kind === 'system') out.system[seg.index] = { ...out.system[seg.index]!, cacheControl: cc };
    else {
      const m: Message = out.messages[seg.index]!;
      const parts = [...m.content];
      let j = parts.length - 1;
      while (j >= 0 && parts[j]!.type === 'thinking') j--;
      if (j < 0) continue;
      parts[j] = { ...parts[j]!, cacheControl: cc } as ContentPart;
      out.messages[seg.index] = { ...m, content: parts };
    }
    budget--;
  }
  return { request: out, added: picked.length };
}

/** First variable-looking content in the stable prefix that has static content after it. */
export function variableBeforeStatic(req: ChatRequest, minStaticAfter: number, all: Segment[] = segments(req)): { kind: string; segment: string; staticCharsAfter: number } | undefined {
  const segs = all.filter((s) => s.kind !== 'message' || s.index < req.messages.length - 1);
  const total = segs.reduce((a, s) => a + s.chars, 0);
  let before = 0;
  for (const s of segs) {
    for (const [kind, re] of VARIABLE_PATTERNS) {
      const m = re.exec(s.text);
      if (m) {
        const after = total - before - (m.index + m[0].length);
        if (after >= minStaticAfter) return { kind, segment: s.kind === 'message' ? `messages[${s.index}]` : s.kind, staticCharsAfter: after };
      }
    }
    before += s.chars;
  }
  return undefined;
}

/**
 * Past `max` entries, the oldest eighth goes in one pass. Deleting one entry at a time from the
 * front of a Map leaves holes that every later keys().next() walks over until V8 rehashes: with
 * unique prompts each request paid a walk of up to the table's size (12 µs of replay's ~40 µs).
 */
function trimOldest<K, V>(m: Map<K, V>, max: number): void {
  if (m.size <= max) return;
  let drop = m.size - max + (max >> 3);
  for (const k of m.keys()) {
    if (drop-- <= 0) break;
    m.delete(k);
  }
}

export function createPromptCacheStage(input: CacheConfig | CacheConfigInput): PromptCacheStage {
  const cfg = cacheConfigSchema.parse(input);
  const pc = cfg.promptCache;
  const modelRe = new RegExp(pc.models, 'i');
  const minRes = pc.minTokens.map((m) => ({ re: new RegExp(m.match, 'i'), tokens: m.tokens }));
  const stats = new Map<string, PrefixStats>();
  /** per route: prefix hash -> last seen (ms); insertion-ordered for eviction */
  const seen = new Map<string, Map<number, number>>();
  /**
   * stable-prefix hash -> the variable-content finding for it (null: none). The regex scan depends
   * only on that prefix, which repeats across requests by design: scan each prefix once.
   */
  const warnMemo = new Map<number, ReturnType<typeof variableBeforeStatic> | null>();

  // not async: it never waits, so it adds no promise of its own to the request
  const handle = (ctx: GatewayContext, next: Next): Promise<ChatResult> => {
    const name = ctx.route ?? ctx.request.model;
    const r = cfg.routes[name]?.promptCache;
    const model = ctx.target?.model ?? ctx.request.model;
    let st = stats.get(name);
    if (!st) stats.set(name, (st = { requests: 0, inputTokens: 0, repeatedTokens: 0, cacheablePrefixShare: 0, breakpointsAdded: 0, variableContentWarnings: 0 }));
    const segs = segments(ctx.request);
    const stableKey = measure(segs, ctx.request.messages.length > 0, name, st);
    let warn = warnMemo.get(stableKey);
    if (warn === undefined) {
      warn = variableBeforeStatic(ctx.request, pc.warnStaticCharsAfter, segs) ?? null;
      trimOldest(warnMemo, pc.prefixMemory - 1);
      warnMemo.set(stableKey, warn);
    }
    if (warn) {
      st.variableContentWarnings++;
      ctx.trail.push({ stage: 'prompt-cache', decision: 'warn', reason: `variable content (${warn.kind}) in ${warn.segment} precedes ${warn.staticCharsAfter} chars of static prompt: move it after the static part so the prefix can be cached`, data: { ...warn } });
    }
    const enabled = r?.enabled ?? pc.enabled;
    if (enabled && modelRe.test(model)) {
      const minTokens = minRes.find((m) => m.re.test(model))?.tokens ?? 1024;
      const { request, added } = injectBreakpoints(ctx.request, { minTokens, maxBreakpoints: pc.maxBreakpoints, ttl: r?.ttl ?? pc.ttl, staticTtl: r?.staticTtl ?? pc.staticTtl, charsPerToken: pc.charsPerToken });
      if (added > 0) {
        ctx.request = request;
        ctx.rewritten = true;
        st.breakpointsAdded += added;
        ctx.trail.push({ stage: 'prompt-cache', decision: 'breakpoints', reason: `added ${added} cache_control breakpoint(s) on the stable prefix`, data: { added, minTokens, model } });
      } else {
        ctx.trail.push({ stage: 'prompt-cache', decision: 'none', reason: `stable prefix shorter than ${minTokens} tokens or breakpoints already used`, data: { minTokens, model } });
      }
    }
    return next();
  };

  /**
   * Updates the route's cacheable-prefix metric and returns the hash of the stable prefix (every
   * segment but the last message), which keys the variable-content memo.
   */
  const measure = (segs: Segment[], hasMessages: boolean, name: string, st: PrefixStats): number => {
    let m = seen.get(name);
    if (!m) seen.set(name, (m = new Map()));
    const t = Date.now();
    const windowMs = pc.prefixWindowSeconds * 1000;
    const h = new PrefixHash();
    let cum = 0;
    let repeated = 0;
    let stableKey = h.digest();
    const stableEnd = hasMessages ? segs.length - 1 : segs.length;
    const hashes: number[] = [];
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      h.update(s.text);
      h.update('\u0000');
      cum += s.chars;
      const d = h.digest();
      if (i < stableEnd) stableKey = d;
      hashes.push(d);
      const last = m.get(d);
      if (last !== undefined && t - last <= windowMs) repeated = cum;
    }
    for (const d of hashes) {
      m.delete(d);
      m.set(d, t);
    }
    trimOldest(m, pc.prefixMemory);
    st.requests++;
    st.inputTokens += cum / pc.charsPerToken;
    st.repeatedTokens += repeated / pc.charsPerToken;
    st.cacheablePrefixShare = st.inputTokens ? st.repeatedTokens / st.inputTokens : 0;
    return stableKey;
  };

  return {
    name: 'prompt-cache',
    handle,
    stats: () => Object.fromEntries(stats),
    adminRoutes: [{ method: 'GET', path: '/admin/cache/prefix-stats', handler: async () => ({ status: 200, body: Object.fromEntries(stats) }) }],
  };
}
