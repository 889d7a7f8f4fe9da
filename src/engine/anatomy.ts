// The record's prompt fields: what each component of the input cost (costByComponent,
// tokensByComponent), the provider prompt cache it wrote or read (promptCache), and how much of it
// repeats the previous request on its route (stablePrefixTokens).
//
// The expensive part (tokenizing and hashing the prompt, O(input)) runs once per request while the
// upstream works (`prepare`, scheduled with setImmediate by the engine when the request goes out),
// so it is not on the response path; at the record only O(blocks) arithmetic is left. A request
// answered without an upstream call (a cache hit) has no prompt fields: nothing was sent.

import { createHash } from 'node:crypto';
import { totalInput, type CacheControl, type ChatRequest, type ContentPart, type Usage } from '../core/canonical.js';
import { ratesFor } from '../core/cost.js';
import type { ModelPrice } from '../core/prices/catalog.js';
import { PROMPT_COMPONENTS, promptAnatomy, type PromptAnatomy, type PromptComponent } from '../core/prompt-anatomy.js';
import { TokenBudget, tokenCounterFor } from '../core/tokens.js';
import type { RequestRecord } from '../ledger/record.js';

/**
 * characters of a prompt counted exactly with the tokenizer (~0.3 ms of BPE on a busy core); the
 * rest is extrapolated at the rate seen. The counts only apportion the provider's billed total
 * (promptFields scales them to it), so a sample this size splits even a long prompt to within a
 * few percent, and the event loop is never held for long by one request's bookkeeping.
 */
export const ANATOMY_EXACT_CHARS = 8 * 1024;

/** seconds a provider keeps a prompt-cache entry, by the breakpoint's lifetime */
const TTL_SECONDS = { '5m': 300, '1h': 3600 } as const;

/** The prompt of one request, tokenized and hashed: everything the record's fields need but usage. */
export interface PreparedPrompt {
  /** the request this was computed for (a stage that rewrites the request after it makes it stale) */
  request: ChatRequest;
  anatomy: PromptAnatomy;
  /** chained content hash after each block (block i's hash covers blocks 0..i), 52 bits as a number */
  chain: number[];
  /** chained hash after each block as hex, for promptCache.prefixHash */
  chainHex: string[];
  /** the last block holding a cache breakpoint, and its lifetime */
  breakpoint?: { block: number; ttlSeconds: number };
}

/** `model`: the upstream model (its tokenizer); `contextMessages`: the request's messages the x-tollgate-context header named (by identity, so a rewrite that keeps them still finds them) */
export function preparePrompt(request: ChatRequest, contextMessages?: ReadonlySet<object>, model: string = request.model): PreparedPrompt {
  let marked: Set<number> | undefined;
  if (contextMessages?.size) {
    marked = new Set();
    request.messages.forEach((m, i) => contextMessages.has(m) && marked!.add(i));
  }
  const anatomy = promptAnatomy(request, { contextMessages: marked, budget: new TokenBudget(ANATOMY_EXACT_CHARS, tokenCounterFor(model)) });
  const chain: number[] = [];
  const chainHex: string[] = [];
  let prev = '';
  let breakpoint: PreparedPrompt['breakpoint'];
  for (let i = 0; i < anatomy.blocks.length; i++) {
    const block = anatomy.blocks[i]!;
    const h = createHash('sha256').update(prev);
    let cc: CacheControl | undefined;
    if (block.kind === 'tools') {
      for (const t of request.tools ?? []) {
        h.update(`\u0000f${t.name}\u0000${t.description ?? ''}\u0000${JSON.stringify(t.parameters ?? {})}`);
        cc = t.cacheControl ?? cc;
      }
    } else if (block.kind === 'system') {
      for (const p of request.system) {
        h.update(`\u0000s${p.text}`);
        cc = p.cacheControl ?? cc;
      }
    } else {
      const m = request.messages[block.index]!;
      h.update(`\u0000m${m.role}\u0000${m.name ?? ''}`);
      for (const p of m.content) {
        hashPart(h, p);
        if ('cacheControl' in p && p.cacheControl) cc = p.cacheControl;
      }
    }
    prev = h.digest('hex');
    chainHex.push(prev);
    chain.push(parseInt(prev.slice(0, 13), 16));
    if (cc) breakpoint = { block: i, ttlSeconds: TTL_SECONDS[cc.ttl ?? '5m'] };
  }
  return { request, anatomy, chain, chainHex, breakpoint };
}

function hashPart(h: ReturnType<typeof createHash>, p: ContentPart): void {
  switch (p.type) {
    case 'text':
      h.update(`\u0000t${p.text}`);
      return;
    case 'image':
      h.update(`\u0000i${p.url ?? ''}\u0000${p.mediaType ?? ''}\u0000${p.data ?? ''}`);
      return;
    case 'tool_call':
      h.update(`\u0000c${p.id}\u0000${p.name}\u0000${p.arguments}`);
      return;
    case 'tool_result':
      h.update(`\u0000r${p.toolCallId}\u0000`);
      if (typeof p.content === 'string') h.update(p.content);
      else for (const t of p.content) h.update(`\u0000${t.text}`);
      return;
    case 'thinking':
      h.update(`\u0000h${p.text}`);
      return;
  }
}

/** most (tenant, route) pairs whose last prompt is remembered, and blocks remembered per prompt */
export const PREFIX_MEMORY_KEYS = 1000;
export const PREFIX_MEMORY_BLOCKS = 1024;

/**
 * The last prompt's block hashes per (tenant, route), least recently used dropped first: bounded
 * at PREFIX_MEMORY_KEYS x PREFIX_MEMORY_BLOCKS numbers (~8 MB at worst). Tenants are kept apart,
 * so no one learns from the figure whether another tenant sent the same prompt.
 */
export class PrefixMemory {
  private readonly last = new Map<string, Float64Array>();
  constructor(
    private readonly maxKeys = PREFIX_MEMORY_KEYS,
    private readonly maxBlocks = PREFIX_MEMORY_BLOCKS,
  ) {}

  /** how many leading blocks `chain` shares with the previous prompt under `key`; remembers `chain` */
  shared(key: string, chain: readonly number[]): number {
    const prev = this.last.get(key);
    let n = 0;
    if (prev) {
      const max = Math.min(prev.length, chain.length);
      while (n < max && prev[n] === chain[n]) n++;
      this.last.delete(key);
    } else if (this.last.size >= this.maxKeys) {
      this.last.delete(this.last.keys().next().value!);
    }
    this.last.set(key, Float64Array.from(chain.length > this.maxBlocks ? chain.slice(0, this.maxBlocks) : chain));
    return n;
  }

  get size(): number {
    return this.last.size;
  }
}

export type PromptFields = Pick<RequestRecord, 'costByComponent' | 'tokensByComponent' | 'promptCache' | 'stablePrefixTokens'>;

/**
 * The record's prompt fields from the prepared prompt and the answer's billed usage, priced at the
 * model that ran. The estimate's proportions are scaled to the billed input, so tokensByComponent
 * sums to the provider's count; the provider caches a prefix, so cache reads are the first tokens
 * in prompt order, then cache writes (1-hour before 5-minute, as the provider orders them), then
 * uncached input, and costByComponent sums to the input part of the answer's cost.
 */
export function promptFields(p: PreparedPrompt, usage: Usage, price: ModelPrice | undefined, opts: { model: string; memory?: PrefixMemory; memoryKey?: string }): PromptFields {
  const billed = totalInput(usage);
  if (billed <= 0 || p.anatomy.total <= 0) return {};
  const cells = scaleCells(p.anatomy, billed);
  const rates = price ? ratesFor(price, billed) : undefined;
  const buckets: Array<[number, number]> = [
    [usage.cacheRead, rates?.cacheRead ?? 0],
    [usage.cacheWrite1h, rates?.cacheWrite1h ?? 0],
    [usage.cacheWrite5m, rates?.cacheWrite5m ?? 0],
    [usage.input, rates?.input ?? 0],
  ];
  let bi = 0;
  const tokensByComponent: Record<string, number> = {};
  const costByComponent: Record<string, number> = {};
  const blockTokens = new Array<number>(p.anatomy.blocks.length).fill(0);
  for (const c of cells) {
    tokensByComponent[c.component] = (tokensByComponent[c.component] ?? 0) + c.tokens;
    blockTokens[c.block] = blockTokens[c.block]! + c.tokens;
    let left = c.tokens;
    let usd = 0;
    while (left > 0 && bi < buckets.length) {
      const b = buckets[bi]!;
      const take = Math.min(left, b[0]);
      usd += (take * b[1]) / 1e6;
      b[0] -= take;
      left -= take;
      if (b[0] <= 0) bi++;
    }
    costByComponent[c.component] = (costByComponent[c.component] ?? 0) + usd;
  }
  const fields: PromptFields = { tokensByComponent };
  if (price) fields.costByComponent = costByComponent;

  const written = usage.cacheWrite5m + usage.cacheWrite1h;
  if (usage.cacheRead > 0 || written > 0) {
    // explicit breakpoints name the prefix; automatic caching (no breakpoints) caches the leading
    // blocks the provider reported as cached
    let end = p.breakpoint?.block;
    if (end === undefined) {
      let cum = 0;
      end = 0;
      for (let i = 0; i < blockTokens.length; i++) {
        cum += blockTokens[i]!;
        if (cum > usage.cacheRead + written) break;
        end = i;
      }
    }
    const ttlSeconds = p.breakpoint?.ttlSeconds ?? (usage.cacheWrite1h > 0 ? 3600 : 300);
    const prefixHash = createHash('sha256').update(`${opts.model}\u0000${p.chainHex[end]}`).digest('hex').slice(0, 32);
    fields.promptCache = { prefixHash, writeTokens: written, readTokens: usage.cacheRead, ttlSeconds };
  }

  if (opts.memory && opts.memoryKey !== undefined) {
    const shared = opts.memory.shared(opts.memoryKey, p.chain);
    let n = 0;
    for (let i = 0; i < shared; i++) n += blockTokens[i]!;
    fields.stablePrefixTokens = n;
  }
  return fields;
}

interface Cell {
  block: number;
  component: PromptComponent;
  tokens: number;
}

/** the anatomy's (block, component) counts scaled to `billed` integers that add up to it (largest remainder) */
function scaleCells(a: PromptAnatomy, billed: number): Cell[] {
  const scale = billed / a.total;
  const cells: Cell[] = [];
  const frac: number[] = [];
  let given = 0;
  a.blocks.forEach((b, i) => {
    for (const c of PROMPT_COMPONENTS) {
      const est = b.components[c];
      if (est === undefined) continue;
      const exact = est * scale;
      const n = Math.floor(exact);
      cells.push({ block: i, component: c, tokens: n });
      frac.push(exact - n);
      given += n;
    }
  });
  let rest = billed - given;
  if (rest > 0) {
    const order = frac.map((f, i) => i).sort((x, y) => frac[y]! - frac[x]! || x - y);
    for (let k = 0; rest > 0; k = (k + 1) % order.length, rest--) cells[order[k]!]!.tokens++;
  }
  return cells;
}
