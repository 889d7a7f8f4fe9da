// Provider prompt caching, emulated. Prefixes are identified by a running hash of their token ids;
// entries expire after their TTL and are refreshed when read, as the providers document.

import { createHash, type Hash } from 'node:crypto';
import { CACHE_TTL_MS, OPENAI_CACHE_INCREMENT, OPENAI_CACHE_TTL_MS } from './settings.js';

interface Entry {
  expiresAt: number;
  ttlMs: number;
}

/** a block of the prompt in order (tools, system, messages); `ttl` set when it carries cache_control */
export interface PromptBlock {
  tokens: number[];
  ttl?: '5m' | '1h';
}

export interface AnthropicCacheResult {
  read: number;
  write5m: number;
  write1h: number;
}

/** Anthropic reads a cached prefix up to this many blocks before a breakpoint (its "lookback") */
const LOOKBACK_BLOCKS = 20;

function feed(h: Hash, tokens: number[], from: number, to: number): void {
  if (to <= from) return;
  const buf = Buffer.allocUnsafe((to - from) * 4);
  for (let i = from; i < to; i++) buf.writeUInt32LE(tokens[i]! >>> 0, (i - from) * 4);
  h.update(buf);
}

export class PromptCache {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly now: () => number = Date.now) {}

  clear(): void {
    this.entries.clear();
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private put(key: string, ttlMs: number): void {
    if (this.entries.size > 200_000) this.prune();
    const prev = this.entries.get(key);
    const keep = prev && prev.expiresAt > this.now() ? Math.max(prev.ttlMs, ttlMs) : ttlMs;
    this.entries.set(key, { expiresAt: this.now() + keep, ttlMs: keep });
  }

  private prune(): void {
    const t = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= t) this.entries.delete(k);
  }

  /**
   * OpenAI automatic caching: the longest previously seen prefix of >= minTokens tokens, in
   * 128-token steps; every such prefix of this prompt is then cached. Returns cached_tokens.
   */
  openaiLookup(model: string, tokens: number[], minTokens: number): number {
    if (tokens.length < minTokens) return 0;
    const h = createHash('sha1').update(`openai:${model}`);
    const keys: string[] = [];
    let fed = 0;
    for (let len = minTokens; len <= tokens.length; len += OPENAI_CACHE_INCREMENT) {
      feed(h, tokens, fed, len);
      fed = len;
      keys.push(`${len}:${h.copy().digest('base64')}`);
    }
    let cached = 0;
    for (let i = keys.length - 1; i >= 0; i--) {
      if (this.live(keys[i]!)) {
        cached = minTokens + i * OPENAI_CACHE_INCREMENT;
        break;
      }
    }
    for (const k of keys) this.put(k, OPENAI_CACHE_TTL_MS);
    return cached;
  }

  /**
   * Anthropic cache_control: a read is the longest cached prefix ending at a block boundary within
   * the lookback window of a breakpoint; writes are the breakpoints beyond it whose prefix reaches
   * the model's minimum, split by each breakpoint's TTL.
   */
  anthropicLookup(model: string, blocks: PromptBlock[], minTokens: number): AnthropicCacheResult {
    const h = createHash('sha1').update(`anthropic:${model}`);
    const ends: number[] = [];
    const keys: string[] = [];
    let total = 0;
    for (const b of blocks) {
      feed(h, b.tokens, 0, b.tokens.length);
      h.update('|');
      total += b.tokens.length;
      ends.push(total);
      keys.push(`${total}:${h.copy().digest('base64')}`);
    }
    const breakpoints = blocks.flatMap((b, i) => (b.ttl ? [i] : []));
    const result: AnthropicCacheResult = { read: 0, write5m: 0, write1h: 0 };
    if (breakpoints.length === 0) return result;

    let readIdx = -1;
    for (const bp of breakpoints) {
      for (let j = bp; j >= Math.max(0, bp - LOOKBACK_BLOCKS); j--) {
        if (j <= readIdx) break;
        if (ends[j]! >= minTokens && this.live(keys[j]!)) {
          readIdx = j;
          break;
        }
      }
    }
    if (readIdx >= 0) {
      result.read = ends[readIdx]!;
      const e = this.entries.get(keys[readIdx]!)!;
      this.put(keys[readIdx]!, e.ttlMs);
    }
    let covered = result.read;
    for (const bp of breakpoints) {
      if (bp <= readIdx || ends[bp]! < minTokens) continue;
      const ttl = blocks[bp]!.ttl!;
      const n = ends[bp]! - covered;
      if (ttl === '1h') result.write1h += n;
      else result.write5m += n;
      covered = ends[bp]!;
      this.put(keys[bp]!, CACHE_TTL_MS[ttl]);
    }
    return result;
  }
}
