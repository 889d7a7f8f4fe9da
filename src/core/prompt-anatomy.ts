// Prompt anatomy: where a request's input tokens go. A canonical request is split into the
// chapter's components (system prompt, tool definitions, retrieved context, conversation history,
// the user's latest message), each with its tokens, and retrieved context into chunks a trimmer can
// keep or drop one by one. Pure and linear: one pass over the request, the tokenizer under one
// bounded budget (src/core/tokens.ts), the tag scan with indexOf from a moving cursor.
//
// Retrieved context is recognised, in this order:
//  (a) a text part marked as a document (`TextPart.document`: an Anthropic `document` block);
//  (b) the messages the `x-tollgate-context` header names (wire indices, `contextMessages` here);
//  (c) tagged blocks inside a text: `<document …>…</document>` (one chunk each) and
//      `<context …>…</context>` (one chunk, or one per `<document>` inside it).
// When nothing is marked there is no context component: those tokens are history or user.

import type { ChatRequest, ContentPart, Message } from './canonical.js';
import {
  TOKENS_PER_MESSAGE,
  TOKENS_PER_NAME,
  TOKENS_REPLY_PRIMING,
  TOKENS_TOOLS_PREAMBLE,
  TokenBudget,
  countTextTokens,
  partTokens,
  toolTokens,
} from './tokens.js';

/** the components, in the order the record and the views list them (src/insights/contract.ts PromptComponent) */
export const PROMPT_COMPONENTS = ['system', 'tools', 'context', 'history', 'user'] as const;
export type PromptComponent = (typeof PROMPT_COMPONENTS)[number];

/** how a chunk of retrieved context was recognised */
export type ContextSource = 'document' | 'header' | 'tag';

/** Where a chunk of context is, so a trimmer can cut exactly it. */
export interface ContextChunk {
  source: ContextSource;
  /** canonical message index, or -1 for the system prompt */
  message: number;
  /** part index in that message's content (or in `system`); -1: the whole message (header) */
  part: number;
  /** for tagged chunks: the UTF-16 range [start, end) of the element in the part's text, tags included */
  start?: number;
  end?: number;
  /** a document's title (document blocks; the `title`, `source` or `id` attribute of a tag) */
  title?: string;
  tokens: number;
}

/** One block of the prompt in the order a provider reads (and caches) it: tools, system, each message. */
export interface PromptBlock {
  kind: 'tools' | 'system' | 'message';
  /** message index for kind 'message' */
  index: number;
  tokens: number;
  /** the block's tokens per component (a message can hold history and context, or user and context) */
  components: Partial<Record<PromptComponent, number>>;
}

export interface PromptAnatomy {
  /** tokens per component; a key is present only when that component was sent */
  tokens: Partial<Record<PromptComponent, number>>;
  /** sum of `tokens` (the chat-format overheads included) */
  total: number;
  /** retrieved context, chunk by chunk, in prompt order */
  chunks: ContextChunk[];
  /** the prompt in provider order, for prefix accounting (prompt caches, stable prefixes) */
  blocks: PromptBlock[];
}

export interface AnatomyOptions {
  /** canonical message indices that are retrieved context (from the header; see contextMessagesFrom) */
  contextMessages?: ReadonlySet<number>;
  /** the tokenizer's budget (default: o200k, EXACT_CHARS); one budget for the whole request */
  budget?: TokenBudget;
}

/** most message indices one `x-tollgate-context` header can name (ranges included) */
export const MAX_CONTEXT_INDICES = 1024;

/**
 * The `x-tollgate-context` header: message indices of the request as the client sent it
 * (`messages[i]`, system messages counted where the format has them), comma separated, ranges
 * allowed (`1,3-5`). Returns the canonical indices, or an error message for a malformed value.
 */
export function contextMessagesFrom(header: string | undefined, req: ChatRequest): Set<number> | { error: string } | undefined {
  if (header === undefined) return undefined;
  const wire = new Set<number>();
  for (const raw of header.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const m = /^(\d{1,6})(?:-(\d{1,6}))?$/.exec(item);
    if (!m) return { error: `x-tollgate-context: ${JSON.stringify(item.slice(0, 40))} is not a message index or a range (e.g. 1,3-5)` };
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return { error: `x-tollgate-context: the range ${item} ends before it starts` };
    if (wire.size + (to - from + 1) > MAX_CONTEXT_INDICES) return { error: `x-tollgate-context: at most ${MAX_CONTEXT_INDICES} message indices` };
    for (let i = from; i <= to; i++) wire.add(i);
  }
  const out = new Set<number>();
  const map = req.wireIndex?.messages;
  for (let c = 0; c < req.messages.length; c++) if (wire.has(map ? map[c]! : c)) out.add(c);
  return out;
}

const OPEN_DOC = '<document';
const CLOSE_DOC = '</document>';
const OPEN_CTX = '<context';
const CLOSE_CTX = '</context>';

interface Span {
  start: number;
  end: number;
  title?: string;
}

/** a tag opens at `at` when its name is followed by '>' or whitespace (not `<documents>`, `<contextual>`) */
function opensAt(text: string, at: number, name: string): boolean {
  if (!text.startsWith(name, at)) return false;
  const c = text.charCodeAt(at + name.length);
  return c === 62 /* > */ || c === 32 || c === 9 || c === 10 || c === 13;
}

/** the title-like attribute of an opening tag ending before `limit`, if short */
function tagTitle(text: string, at: number, limit: number): string | undefined {
  const gt = text.indexOf('>', at);
  if (gt < 0 || gt > limit || gt - at > 512) return undefined;
  const m = /\b(?:title|source|id|name)\s*=\s*"([^"]{1,200})"/.exec(text.slice(at, gt));
  return m?.[1];
}

/**
 * Tagged chunks in one text, linear: each `indexOf` starts where the last one ended, and a closing
 * tag once searched for and absent is never searched for again.
 */
export function taggedChunks(text: string): Span[] {
  const spans: Span[] = [];
  if (text.indexOf('<', 0) < 0) return spans;
  let noDocClose = false;
  let noCtxClose = false;
  let i = 0;
  for (;;) {
    const at = text.indexOf('<', i);
    if (at < 0) break;
    if (!noDocClose && opensAt(text, at, OPEN_DOC)) {
      const close = text.indexOf(CLOSE_DOC, at);
      if (close < 0) noDocClose = true;
      else {
        const end = close + CLOSE_DOC.length;
        spans.push({ start: at, end, title: tagTitle(text, at, close) });
        i = end;
        continue;
      }
    } else if (!noCtxClose && opensAt(text, at, OPEN_CTX)) {
      const close = text.indexOf(CLOSE_CTX, at);
      if (close < 0) noCtxClose = true;
      else {
        const end = close + CLOSE_CTX.length;
        const inner = noDocClose ? [] : documentsWithin(text, at, close);
        if (inner.length === 0) spans.push({ start: at, end, title: tagTitle(text, at, close) });
        else {
          // the wrapper's own text (tags, a heading) goes with the first and last documents
          inner[0]!.start = at;
          inner[inner.length - 1]!.end = end;
          spans.push(...inner);
        }
        i = end;
        continue;
      }
    }
    i = at + 1;
  }
  return spans;
}

/** `<document>` elements between `from` and `limit` (a context block's inside) */
function documentsWithin(text: string, from: number, limit: number): Span[] {
  const out: Span[] = [];
  let i = from + 1;
  for (;;) {
    const at = text.indexOf(OPEN_DOC, i);
    if (at < 0 || at >= limit) break;
    if (!opensAt(text, at, OPEN_DOC)) {
      i = at + 1;
      continue;
    }
    const close = text.indexOf(CLOSE_DOC, at);
    if (close < 0 || close + CLOSE_DOC.length > limit) break;
    const end = close + CLOSE_DOC.length;
    out.push({ start: at, end, title: tagTitle(text, at, close) });
    i = end;
  }
  return out;
}

/** index of the user's latest message: the last user turn that says something (not only tool results) */
function latestUserIndex(messages: readonly Message[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'user' && m.content.some((p) => p.type === 'text' || p.type === 'image')) return i;
  }
  return -1;
}

function add(into: Partial<Record<PromptComponent, number>>, c: PromptComponent, n: number): void {
  if (n > 0 || into[c] === undefined) into[c] = (into[c] ?? 0) + n;
}

/** Splits a request's input into components and context chunks. */
export function promptAnatomy(req: ChatRequest, opts: AnatomyOptions = {}): PromptAnatomy {
  const b = opts.budget ?? new TokenBudget();
  const chunks: ContextChunk[] = [];
  const blocks: PromptBlock[] = [];
  const tokens: Partial<Record<PromptComponent, number>> = {};
  let total = 0;
  const push = (block: PromptBlock): void => {
    blocks.push(block);
    total += block.tokens;
    for (const c of PROMPT_COMPONENTS) if (block.components[c] !== undefined) add(tokens, c, block.components[c]!);
  };

  if (req.tools?.length) {
    let n = TOKENS_TOOLS_PREAMBLE;
    for (const t of req.tools) n += toolTokens(t, b);
    push({ kind: 'tools', index: -1, tokens: n, components: { tools: n } });
  }

  if (req.system.length > 0) {
    const comp: Partial<Record<PromptComponent, number>> = {};
    const framing = TOKENS_PER_MESSAGE + countTextTokens('system', b);
    add(comp, 'system', framing);
    let n = framing;
    req.system.forEach((p, j) => {
      n += textWithContext(p.text, p.document, -1, j, 'system', comp, chunks, b);
    });
    push({ kind: 'system', index: -1, tokens: n, components: comp });
  }

  const latest = latestUserIndex(req.messages);
  req.messages.forEach((m, i) => {
    const comp: Partial<Record<PromptComponent, number>> = {};
    const own: PromptComponent = i === latest ? 'user' : 'history';
    let framing = TOKENS_PER_MESSAGE + countTextTokens(m.role, b);
    if (m.name) framing += TOKENS_PER_NAME + countTextTokens(m.name, b);
    let n = framing;
    if (opts.contextMessages?.has(i)) {
      for (const p of m.content) n += partTokens(p, b);
      add(comp, 'context', n);
      chunks.push({ source: 'header', message: i, part: -1, tokens: n });
    } else {
      add(comp, own, framing);
      m.content.forEach((p, j) => {
        n += partWithContext(p, i, j, i === latest && p.type === 'tool_result' ? 'history' : own, comp, chunks, b);
      });
    }
    push({ kind: 'message', index: i, tokens: n, components: comp });
  });

  // the reply priming belongs to the turn being answered
  const c: PromptComponent = latest >= 0 ? 'user' : 'history';
  const last = blocks[blocks.length - 1];
  if (last) {
    last.tokens += TOKENS_REPLY_PRIMING;
    add(last.components, c, TOKENS_REPLY_PRIMING);
  }
  add(tokens, c, TOKENS_REPLY_PRIMING);
  total += TOKENS_REPLY_PRIMING;
  return { tokens, total, chunks, blocks };
}

function partWithContext(
  p: ContentPart,
  message: number,
  part: number,
  own: PromptComponent,
  comp: Partial<Record<PromptComponent, number>>,
  chunks: ContextChunk[],
  b: TokenBudget,
): number {
  if (p.type === 'text') return textWithContext(p.text, p.document, message, part, own, comp, chunks, b);
  const n = partTokens(p, b);
  add(comp, own, n);
  return n;
}

/** a text's tokens, its document marker or tagged elements counted as context and the rest as `own` */
function textWithContext(
  text: string,
  document: { title?: string } | undefined,
  message: number,
  part: number,
  own: PromptComponent,
  comp: Partial<Record<PromptComponent, number>>,
  chunks: ContextChunk[],
  b: TokenBudget,
): number {
  if (document) {
    const n = countTextTokens(text, b);
    add(comp, 'context', n);
    chunks.push({ source: 'document', message, part, tokens: n, ...(document.title !== undefined ? { title: document.title } : {}) });
    return n;
  }
  const spans = taggedChunks(text);
  if (spans.length === 0) {
    const n = countTextTokens(text, b);
    add(comp, own, n);
    return n;
  }
  let n = 0;
  let cursor = 0;
  for (const s of spans) {
    if (s.start > cursor) {
      const k = countTextTokens(text.slice(cursor, s.start), b);
      add(comp, own, k);
      n += k;
    }
    const k = countTextTokens(text.slice(s.start, s.end), b);
    add(comp, 'context', k);
    chunks.push({ source: 'tag', message, part, start: s.start, end: s.end, tokens: k, ...(s.title !== undefined ? { title: s.title } : {}) });
    n += k;
    cursor = s.end;
  }
  if (cursor < text.length) {
    const k = countTextTokens(text.slice(cursor), b);
    add(comp, own, k);
    n += k;
  }
  return n;
}
