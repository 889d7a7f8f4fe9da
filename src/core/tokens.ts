// Local token counts, for when a provider never reported usage (a stream cut before its usage chunk,
// a client that disconnected) and for pre-flight estimates.
//
// The tokenizer is o200k_base (gpt-tokenizer): EXACT for OpenAI's o200k models (gpt-4o, gpt-4.1,
// gpt-5, o-series) and only an ESTIMATE for Claude and Gemini, whose tokenizers are not public (bill
// those from the provider's usage whenever it exists). Chat overheads follow OpenAI's chat format.
//
// Hostile input (issue 13 finding 2): BPE merging is quadratic in the length of one pre-tokenizer
// chunk, and a run of one letter, space or punctuation mark is a single chunk (50,000 'a' took 2.8 s
// on the event loop). So chunks longer than MAX_CHUNK are counted in MAX_CHUNK pieces (exact for any
// chunk up to that length, which covers ordinary words, and within a few percent beyond); at most
// LONG_EXACT_CHARS characters of such chunks and EXACT_CHARS characters in all per budget go through
// the tokenizer; the rest is extrapolated from the tokens per character seen so far. Counting N
// characters is then one O(N) scan plus a bounded amount of BPE.
import { countTokens, setMergeCacheSize } from 'gpt-tokenizer';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import type { ChatRequest, ContentPart, Usage } from './canonical.js';

/** the longest pre-tokenizer chunk given to BPE whole (UTF-16 units, ≤ 384 bytes: ~0.2 ms at worst) */
export const MAX_CHUNK = 128;
/**
 * characters counted exactly per budget (a request's input, or one answer's output); past it the
 * rate seen so far extrapolates, which moves a long prompt's estimate by a few percent. The cost
 * per character is what sets it: ordinary prose ~0.03 µs warm, but emoji/CJK ~0.7 µs and text of
 * unseen words (ids, hashes, base64: every word a BPE merge the cache has not seen) ~2 µs. At
 * 32 Ki one count held the loop 40-56 ms of CPU in the fuzz (profiled: countInputTokens from
 * writeStream and the router's input_tokens rule, several per request); 8 Ki keeps the worst
 * near 10 ms and ordinary prompts (under 8 Ki characters, ~2,000 tokens) exact.
 */
export const EXACT_CHARS = 8 * 1024;
/** characters of over-long chunks counted exactly per budget: ~1-2 ms at worst (random CJK) */
export const LONG_EXACT_CHARS = 4 * 1024;
/** gpt-tokenizer memoises merged chunks (default 100,000 of them, keyed by client text): keep it small */
setMergeCacheSize(10_000);

const PLAIN = { disallowedSpecial: new Set<string>() };
/** special-token text in user content is counted as plain text, as the APIs treat it */
const bpeCount = (text: string): number => countTokens(text, PLAIN);

/**
 * How much exact counting one estimate may do. `count` is the tokenizer call, replaceable so a test
 * can observe every segment it is given.
 */
export class TokenBudget {
  exactChars = 0;
  exactTokens = 0;
  longChars = 0;
  longTokens = 0;
  constructor(
    readonly limit: number = EXACT_CHARS,
    readonly count: (text: string) => number = bpeCount,
    readonly longLimit: number = LONG_EXACT_CHARS,
  ) {}

  /** tokens for `chars` characters not counted, at the rate seen so far (o200k averages ~4 chars a token) */
  extrapolate(chars: number): number {
    return Math.ceil(chars * rate(this.exactTokens, this.exactChars, 0.25));
  }

  /** the same for characters of over-long chunks, at their own rate */
  extrapolateLong(chars: number): number {
    return Math.ceil(chars * rate(this.longTokens, this.longChars, 0.25));
  }
}

const rate = (tokens: number, chars: number, fallback: number): number => (chars > 0 && tokens > 0 ? tokens / chars : fallback);

/** a cut that does not split a surrogate pair */
function safeCut(text: string, at: number): number {
  const c = text.charCodeAt(at);
  return at > 0 && at < text.length && c >= 0xdc00 && c <= 0xdfff ? at - 1 : at;
}

const splitter = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, 'gu');

/** BPE count with every chunk at most MAX_CHUNK long; text without a longer chunk goes through whole (exact) */
function countBounded(text: string, b: TokenBudget): number {
  if (text.length <= MAX_CHUNK) return b.count(text);
  let total = 0;
  let spanStart = 0;
  splitter.lastIndex = 0;
  for (let m = splitter.exec(text); m !== null; m = splitter.exec(text)) {
    const chunk = m[0];
    if (chunk.length <= MAX_CHUNK) continue;
    const start = m.index;
    if (start > spanStart) total += b.count(text.slice(spanStart, start));
    const end = start + chunk.length;
    let i = start;
    while (i < end && b.longChars < b.longLimit) {
      const next = i + MAX_CHUNK >= end ? end : safeCut(text, i + MAX_CHUNK);
      const n = b.count(text.slice(i, next));
      b.longChars += next - i;
      b.longTokens += n;
      total += n;
      i = next;
    }
    if (i < end) total += b.extrapolateLong(end - i);
    spanStart = end;
  }
  if (spanStart === 0) return b.count(text);
  if (spanStart < text.length) total += b.count(text.slice(spanStart));
  return total;
}

/** OpenAI chat format: every message costs <|start|>role ... <|end|> = 3 tokens beyond its content. */
export const TOKENS_PER_MESSAGE = 3;
/** a message `name` adds one token */
export const TOKENS_PER_NAME = 1;
/** every reply is primed with <|start|>assistant<|message|> */
export const TOKENS_REPLY_PRIMING = 3;
/** a function definition's framing in the tools preamble (gpt-tokenizer's FUNCTION_DEFINITION_TOKEN_OVERHEAD) */
export const TOKENS_PER_TOOL = 9;
/** the tools preamble itself ("# Tools ... namespace functions {") */
export const TOKENS_TOOLS_PREAMBLE = 12;
/** an assistant tool call's framing (id, name, arguments wrapper) */
const TOKENS_PER_TOOL_CALL = 4;
/**
 * An image of unknown size: OpenAI bills 85 base + 170 per 512px tile; a 1024x1024 high-detail image
 * is 4 tiles = 765 tokens. Claude's (w*h)/750 gives ~1400 for the same image; this is an estimate.
 */
const TOKENS_PER_IMAGE = 765;

/**
 * Tokens of a text under o200k_base: exact for OpenAI o200k models (while the budget lasts and no
 * chunk exceeds MAX_CHUNK), an estimate for Claude/Gemini.
 */
export function countTextTokens(text: string, budget: TokenBudget = new TokenBudget()): number {
  if (!text) return 0;
  const room = budget.limit - budget.exactChars;
  if (room <= 0) return budget.extrapolate(text.length);
  const head = text.length <= room ? text : text.slice(0, safeCut(text, room));
  const n = countBounded(head, budget);
  budget.exactChars += head.length;
  budget.exactTokens += n;
  return head.length === text.length ? n : n + budget.extrapolate(text.length - head.length);
}

/** tokens of one content part, under the budget's tokenizer */
export function partTokens(part: ContentPart, b: TokenBudget): number {
  switch (part.type) {
    case 'text':
      return countTextTokens(part.text, b);
    case 'thinking':
      return countTextTokens(part.text, b);
    case 'image':
      return TOKENS_PER_IMAGE;
    case 'tool_call':
      return TOKENS_PER_TOOL_CALL + countTextTokens(part.name, b) + countTextTokens(part.arguments, b);
    case 'tool_result':
      return typeof part.content === 'string'
        ? countTextTokens(part.content, b)
        : part.content.reduce((s, p) => s + countTextTokens(p.text, b), 0);
  }
}

/** tokens of one tool definition, its framing included (the preamble is counted once, apart) */
export function toolTokens(t: { name: string; description?: string; parameters?: Record<string, unknown> }, b: TokenBudget): number {
  let n = TOKENS_PER_TOOL + countTextTokens(t.name, b);
  if (t.description) n += countTextTokens(t.description, b);
  return n + countTextTokens(JSON.stringify(t.parameters ?? {}), b);
}

/**
 * The tokenizer of a model's family: cl100k_base for the GPT-4 / GPT-3.5 generation once it is
 * loaded (loadTokenizerFor: ~40 MB, so only when such a model is configured), o200k_base for every
 * other model (exact for OpenAI's current models, an estimate for Claude and Gemini, whose
 * tokenizers are not public).
 */
export function tokenCounterFor(model: string): (text: string) => number {
  return cl100k && usesCl100k(model) ? cl100k : bpeCount;
}

/** loads the tokenizer tokenCounterFor needs for `model`, if it is not loaded yet */
export async function loadTokenizerFor(model: string): Promise<void> {
  if (cl100k || !usesCl100k(model)) return;
  const m = await import('gpt-tokenizer/encoding/cl100k_base');
  cl100k = (text: string) => m.countTokens(text, PLAIN);
}

let cl100k: ((text: string) => number) | undefined;

/** gpt-4, gpt-4-turbo, gpt-4-32k, gpt-3.5-turbo (dated and provider-prefixed names too), not gpt-4o / gpt-4.1 (chat models only: embeddings have no prompt anatomy) */
function usesCl100k(model: string): boolean {
  const m = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  return /^gpt-3\.5-turbo|^gpt-4(?!o|\.\d)(-|$)/.test(m);
}

/**
 * Estimated input tokens of a chat request: system + messages + tool definitions, with chat-format
 * overheads. One budget covers the whole request, so the work is bounded whatever its size.
 */
export function estimateInputTokens(req: ChatRequest, b: TokenBudget = new TokenBudget()): number {
  let total = TOKENS_REPLY_PRIMING;
  if (req.system.length > 0) {
    total += TOKENS_PER_MESSAGE + countTextTokens('system', b);
    for (const p of req.system) total += countTextTokens(p.text, b);
  }
  for (const m of req.messages) {
    total += TOKENS_PER_MESSAGE + countTextTokens(m.role, b);
    if (m.name) total += TOKENS_PER_NAME + countTextTokens(m.name, b);
    for (const p of m.content) total += partTokens(p, b);
  }
  if (req.tools?.length) {
    total += TOKENS_TOOLS_PREAMBLE;
    for (const t of req.tools) total += toolTokens(t, b);
  }
  return total;
}

/**
 * The input tokens of a request, counted locally: what POST /v1/messages/count_tokens answers for a
 * model whose upstream has no counting endpoint, what a streamed answer's first event reports before
 * the upstream's usage arrives, and what a budget reserves before the call. Pure and bounded (one
 * TokenBudget: a few ms at most whatever the request's size). Exact for OpenAI's o200k models; an
 * estimate for others (bill from the provider's usage, which always wins once it arrives).
 */
export function countInputTokens(req: ChatRequest): number {
  return estimateInputTokens(req);
}

/**
 * Usage for a request whose provider usage is missing or partial, marked `estimated: true`.
 *
 * Fields in `known` were reported by the provider and are kept, an explicit 0 included (LiteLLM
 * #37992: an estimate must not replace a reported zero). Input: Anthropic reports input and cache
 * counts in message_start, so a cut Anthropic stream keeps them; only absent input fields are
 * estimated from the request. Output: provider counts are cumulative, so a non-zero known count is a
 * lower bound (Anthropic's message_start carries output_tokens: 1 as a cursor) and the larger of it and
 * the count of the text already relayed is used; a known 0 stays 0.
 */
export function estimateUsage(req: ChatRequest, outputText: string, known: Partial<Usage> = {}): Usage {
  const cacheRead = known.cacheRead ?? 0;
  const cacheWrite5m = known.cacheWrite5m ?? 0;
  const cacheWrite1h = known.cacheWrite1h ?? 0;
  const input = known.input ?? Math.max(0, estimateInputTokens(req) - cacheRead - cacheWrite5m - cacheWrite1h);
  const counted = countTextTokens(outputText);
  const output = known.output === undefined ? counted : known.output === 0 ? 0 : Math.max(known.output, counted);
  const reasoning = Math.min(known.reasoning ?? 0, output);
  return { input, cacheRead, cacheWrite5m, cacheWrite1h, output, reasoning, estimated: true };
}
