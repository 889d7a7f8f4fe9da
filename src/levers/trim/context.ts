// Retrieved context, re-ranked (pure): the chunks the prompt anatomy recognises (Anthropic document
// blocks, messages named by `x-tollgate-context`, `<document>` / `<context>` tags; see
// src/core/prompt-anatomy.ts) are scored by BM25 (wink-bm25-text-search, stemmed, stop words
// removed) against the user's latest question; the best k that fit the token budget stay, in their
// original order, and the rest are cut out of the request.

import bm25 from 'wink-bm25-text-search';
import nlp from 'wink-nlp-utils';
import type { ChatRequest, ContentPart, Message, TextPart } from '../../core/canonical.js';
import { promptAnatomy, type ContextChunk } from '../../core/prompt-anatomy.js';
import { withMessages } from './history.js';

/** characters of a chunk (and of the question) that are indexed: the scoring work stays bounded */
const MAX_INDEX_CHARS = 20_000;
/** characters indexed over all chunks of one request (each chunk gets its share) */
const MAX_TOTAL_INDEX_CHARS = 200_000;
/** a request with more chunks than this is not re-ranked (the work would grow with the client's input) */
export const MAX_CHUNKS = 1000;
/** wink's BM25 needs three documents to consolidate; fewer are ranked by shared stems */
const MIN_BM25_DOCS = 3;

export interface ContextTrimOptions {
  topK?: number;
  maxTokens?: number;
  /** canonical indices of messages that are context (the x-tollgate-context header) */
  contextMessages?: ReadonlySet<number>;
}

export interface ContextTrim {
  request: ChatRequest;
  /** chunks found */
  chunks: number;
  /** indices (in prompt order) of the chunks kept */
  kept: number[];
  /** their BM25 scores, in prompt order (0: no term in common with the question) */
  scores: number[];
}

const prep = (s: string): string[] => nlp.tokens.stem(nlp.tokens.removeWords(nlp.string.tokenize0(nlp.string.lowerCase(s))));

const textOfPart = (p: ContentPart): string => (p.type === 'text' ? p.text : p.type === 'tool_result' ? (typeof p.content === 'string' ? p.content : p.content.map((x) => x.text).join(' ')) : '');

export function chunkText(req: ChatRequest, c: ContextChunk): string {
  if (c.part === -1) return req.messages[c.message]!.content.map(textOfPart).join(' ');
  const part = c.message === -1 ? req.system[c.part]! : req.messages[c.message]!.content[c.part]!;
  const text = textOfPart(part);
  return c.start !== undefined ? text.slice(c.start, c.end) : text;
}

/** the user's latest question: its text without the context chunks inside it */
export function latestQuestion(req: ChatRequest, chunks: readonly ContextChunk[]): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i]!;
    if (m.role !== 'user' || !m.content.some((p) => p.type === 'text')) continue;
    if (chunks.some((c) => c.message === i && c.part === -1)) continue;
    let out = '';
    m.content.forEach((p, j) => {
      if (p.type !== 'text') return;
      if (chunks.some((c) => c.message === i && c.part === j && c.start === undefined)) return;
      let cursor = 0;
      for (const c of chunks) {
        if (c.message !== i || c.part !== j || c.start === undefined) continue;
        out += p.text.slice(cursor, c.start) + ' ';
        cursor = c.end!;
      }
      out += p.text.slice(cursor) + ' ';
    });
    if (out.trim()) return out;
  }
  return '';
}

/** BM25 score of each chunk for the question, in chunk order */
export function scoreChunks(question: string, texts: readonly string[]): number[] {
  const q = question.slice(0, MAX_INDEX_CHARS);
  const per = Math.min(MAX_INDEX_CHARS, Math.max(200, Math.floor(MAX_TOTAL_INDEX_CHARS / Math.max(1, texts.length))));
  if (texts.length < MIN_BM25_DOCS) {
    const terms = new Set(prep(q));
    return texts.map((t) => prep(t.slice(0, per)).filter((w) => terms.has(w)).length);
  }
  const engine = bm25();
  engine.defineConfig({ fldWeights: { body: 1 } });
  engine.definePrepTasks([prep as (input: never) => unknown]);
  // wink rejects a document with no indexable word; such a chunk keeps the score 0
  texts.forEach((t, i) => engine.addDoc({ body: t.slice(0, per) || ' ' }, i));
  engine.consolidate();
  const scores = texts.map(() => 0);
  for (const [id, score] of engine.search(q, texts.length)) scores[Number(id)] = score;
  return scores;
}

/** which chunks stay: the best-scored first while k and the budget allow, then back in prompt order */
export function pickChunks(scores: readonly number[], tokens: readonly number[], topK: number | undefined, maxTokens: number | undefined): number[] {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const kept: number[] = [];
  let used = 0;
  for (const i of order) {
    if (topK !== undefined && kept.length >= topK) break;
    if (maxTokens !== undefined && used + tokens[i]! > maxTokens) continue;
    kept.push(i);
    used += tokens[i]!;
  }
  return kept.sort((a, b) => a - b);
}

/** The request without the chunks that did not make it, or undefined when every chunk stays. */
export function trimContext(req: ChatRequest, opts: ContextTrimOptions): ContextTrim | undefined {
  const { chunks } = promptAnatomy(req, { contextMessages: opts.contextMessages });
  if (chunks.length === 0 || chunks.length > MAX_CHUNKS) return undefined;
  const texts = chunks.map((c) => chunkText(req, c));
  const scores = scoreChunks(latestQuestion(req, chunks), texts);
  const kept = pickChunks(scores, chunks.map((c) => c.tokens), opts.topK, opts.maxTokens);
  if (kept.length === chunks.length) return undefined;
  const keep = new Set(kept);
  const drop = chunks.filter((_, i) => !keep.has(i));
  return { request: withoutChunks(req, drop), chunks: chunks.length, kept, scores };
}

/** a new request with the chunks cut out: whole messages, whole parts, or tagged ranges */
export function withoutChunks(req: ChatRequest, drop: readonly ContextChunk[]): ChatRequest {
  const wholeMessages = new Set<number>();
  /** "message:part" → ranges to cut, or 'all' for the whole part */
  const cuts = new Map<string, Array<[number, number]> | 'all'>();
  for (const c of drop) {
    if (c.part === -1) {
      wholeMessages.add(c.message);
      continue;
    }
    const key = `${c.message}:${c.part}`;
    if (c.start === undefined) cuts.set(key, 'all');
    else {
      const prev = cuts.get(key);
      if (prev !== 'all') cuts.set(key, [...(prev ?? []), [c.start, c.end!]]);
    }
  }
  const cutText = (text: string, ranges: Array<[number, number]>): string => {
    let out = '';
    let cursor = 0;
    for (const [s, e] of [...ranges].sort((a, b) => a[0] - b[0])) {
      out += text.slice(cursor, s);
      cursor = e;
    }
    return out + text.slice(cursor);
  };
  const partsOf = <P extends ContentPart>(message: number, parts: readonly P[]): P[] => {
    const out: P[] = [];
    parts.forEach((p, j) => {
      const c = cuts.get(`${message}:${j}`);
      if (c === undefined) out.push(p);
      else if (c !== 'all' && p.type === 'text') out.push({ ...p, text: cutText(p.text, c) });
    });
    return out;
  };
  const system = partsOf(-1, req.system) as TextPart[];
  const keptSystem = req.system.flatMap((_, j) => (cuts.get(`-1:${j}`) === 'all' ? [] : [j]));
  const messages: Message[] = [];
  const keptIndices: number[] = [];
  req.messages.forEach((m, i) => {
    if (wholeMessages.has(i)) return;
    const touched = m.content.some((_, j) => cuts.has(`${i}:${j}`));
    const content = touched ? partsOf(i, m.content) : m.content;
    // a message left empty goes (an empty content is an error at the providers)
    if (content.length === 0) return;
    messages.push(touched ? { ...m, content } : m);
    keptIndices.push(i);
  });
  const sameSystem = system.length === req.system.length && system.every((p, j) => p === req.system[j]);
  const out = withMessages(req, messages, keptIndices);
  if (sameSystem) return out;
  const wire = out.wireIndex!;
  return { ...out, system, wireIndex: { messages: wire.messages, system: keptSystem.map((j) => req.wireIndex?.system[j] ?? j) } };
}
