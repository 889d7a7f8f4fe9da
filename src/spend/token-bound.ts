// An upper bound on a request's input tokens without running a tokenizer: every token of a
// byte-level BPE (o200k, Claude's, Gemini's byte-fallback SentencePiece) covers at least one byte,
// so a text has at most as many tokens as UTF-8 bytes. The chat-format overheads are
// core/tokens.ts's (estimateInputTokens). It costs a length scan, where the tokenizer costs ~10 µs
// for a short chat: budgets and rate limits reserve this bound, and count exactly only when the
// bound would not fit (near a limit), so the bound never refuses what the exact count admits.

import type { ChatRequest, ContentPart } from '../core/canonical.js';

const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const TOKENS_REPLY_PRIMING = 3;
const TOKENS_PER_TOOL = 9;
const TOKENS_TOOLS_PREAMBLE = 12;
const TOKENS_PER_TOOL_CALL = 4;
/** the same fixed figure core/tokens.ts counts for an image of unknown size */
const TOKENS_PER_IMAGE = 765;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function partBound(p: ContentPart): number {
  switch (p.type) {
    case 'text':
    case 'thinking':
      return bytes(p.text);
    case 'image':
      return TOKENS_PER_IMAGE;
    case 'tool_call':
      return TOKENS_PER_TOOL_CALL + bytes(p.name) + bytes(p.arguments);
    case 'tool_result':
      return typeof p.content === 'string' ? bytes(p.content) : p.content.reduce((s, t) => s + bytes(t.text), 0);
  }
}

export function inputTokensUpperBound(req: ChatRequest): number {
  let n = TOKENS_REPLY_PRIMING;
  if (req.system.length > 0) {
    n += TOKENS_PER_MESSAGE + 6; // "system"
    for (const p of req.system) n += bytes(p.text);
  }
  for (const m of req.messages) {
    n += TOKENS_PER_MESSAGE + bytes(m.role);
    if (m.name) n += TOKENS_PER_NAME + bytes(m.name);
    for (const p of m.content) n += partBound(p);
  }
  if (req.tools?.length) {
    n += TOKENS_TOOLS_PREAMBLE;
    for (const t of req.tools) n += TOKENS_PER_TOOL + bytes(t.name) + (t.description ? bytes(t.description) : 0) + bytes(JSON.stringify(t.parameters ?? {}));
  }
  return n;
}
