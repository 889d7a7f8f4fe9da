// One request to replay: when it arrived, what it asked (the recorded prompt from the payload
// store, or a synthesised one of the recorded size), and what it did under the recorded policy.

import type { ChatRequest, Usage, WireFormat } from '../../core/canonical.js';
import type { Caller } from '../../pipeline/stage.js';

/** a run of prompt tokens the provider's prefix cache can hold, by content hash (Mooncake: 512-token blocks) */
export interface PrefixBlock {
  hash: string | number;
  tokens: number;
}

export interface RecordedOutcome {
  /** the upstream model that answered (absent for a cache hit with no model) */
  model?: string;
  provider?: string;
  usage: Usage;
  costUsd: number;
  latencyMs: number;
  ttftMs?: number;
  cacheStatus?: string;
  status: string;
}

export interface ReplayItem {
  id: string;
  /** arrival, epoch ms */
  at: number;
  request: ChatRequest;
  /** true when the prompt was made up to the recorded size (a trace, or a record without payload) */
  synthetic: boolean;
  format: WireFormat;
  endpoint: string;
  caller: Caller;
  /** total input tokens as recorded (uncached + cache reads + writes) */
  inputTokens: number;
  outputTokens: number;
  /** the prompt's cacheable prefix, in order */
  prefix?: PrefixBlock[];
  /** what happened when it was served (the ledger); absent for a trace */
  recorded?: RecordedOutcome;
  /** quality of each model's answer, 0..1, where a data set says (keys: model names or upstream ids) */
  outcomes?: Record<string, number>;
  /** nobody waits on it: a batch candidate */
  background?: boolean;
  /** request headers the client sent (lower-case names), for rules that read them */
  headers?: Record<string, string>;
}

/**
 * The same for the part a provider's prefix cache holds (system prompt and tools): a lever that cut
 * only messages (the trim lever's history and context) leaves it, and the prefix stays cacheable.
 */
export function prefixSignature(req: ChatRequest): number {
  let n = 0;
  for (const p of req.system) n += p.text.length;
  if (req.tools) n += req.tools.length * 13;
  return n;
}

/** The text length of everything a request sends: equal lengths mean no lever rewrote the prompt. */
export function promptSignature(req: ChatRequest): number {
  let n = 0;
  for (const p of req.system) n += p.text.length;
  for (const m of req.messages)
    for (const p of m.content) {
      if (p.type === 'text' || p.type === 'thinking') n += p.text.length;
      else if (p.type === 'tool_call') n += p.arguments.length;
      else if (p.type === 'tool_result') n += typeof p.content === 'string' ? p.content.length : p.content.reduce((a, t) => a + t.text.length, 0);
    }
  n += req.messages.length * 7;
  if (req.tools) n += req.tools.length * 13;
  return n;
}

/**
 * A synthesised request carries its recorded input size in a private field: a copy (`{ ...req }`,
 * a trimmed request) is a plain object without it, as with a WeakMap by identity. (A WeakMap of a
 * million short-lived keys made every young-generation GC walk its ephemeron table, and a
 * non-enumerable property cost a defineProperty per request.)
 */
class SynthesisedRequest implements ChatRequest {
  readonly #declaredInputTokens: number;
  model: string;
  system: ChatRequest['system'];
  messages: ChatRequest['messages'];
  stream = false;
  includeUsage = false;
  extra: ChatRequest['extra'] = {};
  declare maxTokens?: number;

  constructor(model: string, system: ChatRequest['system'], messages: ChatRequest['messages'], declaredInputTokens: number) {
    this.model = model;
    this.system = system;
    this.messages = messages;
    this.#declaredInputTokens = declaredInputTokens;
  }

  static declaredOf(req: ChatRequest): number | undefined {
    return #declaredInputTokens in req ? (req as SynthesisedRequest).#declaredInputTokens : undefined;
  }
}

/**
 * The recorded input size of each synthesised request, by object: levers count tokens through
 * LeverDeps.estimateInputTokens, and replay answers from here for the prompts it made up.
 */
export const declaredInputTokens = {
  get: (req: ChatRequest): number | undefined => SynthesisedRequest.declaredOf(req),
};

// Padding of at least one UTF-8 byte per declared token, so the byte-length upper bound on tokens
// (the router's cheap check before it counts) holds. '〜' (U+301C) is 3 bytes in one UTF-16 unit:
// the text is a third of the declared size for the levers that scan it, it offers no word boundary
// or e-mail run to the cache guards' patterns, and slices of one string copy nothing.
const PAD_MAX = 1 << 20;
const PAD_BYTES = 3;
const PAD = '\u301c'.repeat(PAD_MAX);

function padded(marker: string, tokens: number): string {
  const n = Math.max(0, Math.ceil((Math.round(tokens) - marker.length) / PAD_BYTES));
  return n <= PAD_MAX ? marker + PAD.slice(0, n) : marker + PAD.repeat(Math.ceil(n / PAD_MAX)).slice(0, n);
}

/**
 * A synthesised request: one system part per prefix block (naming the block), then the user's
 * turn naming the item, so no two are identical. Its size is declared (declaredInputTokens) rather
 * than spelt out in words, so a million of them cost no tokenizing; content rules and the semantic
 * cache see only markers and padding.
 */
export function synthesiseRequest(model: string, id: string, inputTokens: number, prefix: PrefixBlock[] | undefined, maxTokens?: number): ChatRequest {
  const system = (prefix ?? []).map((b) => ({ type: 'text' as const, text: padded(`[prefix block ${b.hash}]`, b.tokens) }));
  const inPrefix = (prefix ?? []).reduce((a, b) => a + b.tokens, 0);
  const req = new SynthesisedRequest(model, system, [{ role: 'user', content: [{ type: 'text', text: padded(`[request ${id}]`, inputTokens - inPrefix) }] }], inputTokens);
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  return req;
}
