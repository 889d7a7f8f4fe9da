// Local token counts, for when a provider never reported usage (a stream cut before its usage chunk,
// a client that disconnected) and for pre-flight estimates.
//
// The tokenizer is o200k_base (gpt-tokenizer): EXACT for OpenAI's o200k models (gpt-4o, gpt-4.1,
// gpt-5, o-series) and only an ESTIMATE for Claude and Gemini, whose tokenizers are not public (bill
// those from the provider's usage whenever it exists). Chat overheads follow OpenAI's chat format.
import { countTokens } from 'gpt-tokenizer';
import type { ChatRequest, ContentPart, Usage } from './canonical.js';

/** OpenAI chat format: every message costs <|start|>role ... <|end|> = 3 tokens beyond its content. */
const TOKENS_PER_MESSAGE = 3;
/** a message `name` adds one token */
const TOKENS_PER_NAME = 1;
/** every reply is primed with <|start|>assistant<|message|> */
const TOKENS_REPLY_PRIMING = 3;
/** a function definition's framing in the tools preamble (gpt-tokenizer's FUNCTION_DEFINITION_TOKEN_OVERHEAD) */
const TOKENS_PER_TOOL = 9;
/** the tools preamble itself ("# Tools ... namespace functions {") */
const TOKENS_TOOLS_PREAMBLE = 12;
/** an assistant tool call's framing (id, name, arguments wrapper) */
const TOKENS_PER_TOOL_CALL = 4;
/**
 * An image of unknown size: OpenAI bills 85 base + 170 per 512px tile; a 1024x1024 high-detail image
 * is 4 tiles = 765 tokens. Claude's (w*h)/750 gives ~1400 for the same image; this is an estimate.
 */
const TOKENS_PER_IMAGE = 765;

/** Tokens of a text under o200k_base: exact for OpenAI o200k models, an estimate for Claude/Gemini. */
export function countTextTokens(text: string): number {
  if (!text) return 0;
  // special-token text in user content is counted as plain text, as the APIs treat it
  return countTokens(text, { disallowedSpecial: new Set() });
}

function partTokens(part: ContentPart): number {
  switch (part.type) {
    case 'text':
      return countTextTokens(part.text);
    case 'thinking':
      return countTextTokens(part.text);
    case 'image':
      return TOKENS_PER_IMAGE;
    case 'tool_call':
      return TOKENS_PER_TOOL_CALL + countTextTokens(part.name) + countTextTokens(part.arguments);
    case 'tool_result':
      return typeof part.content === 'string'
        ? countTextTokens(part.content)
        : part.content.reduce((s, p) => s + countTextTokens(p.text), 0);
  }
}

/** Estimated input tokens of a chat request: system + messages + tool definitions, with chat-format overheads. */
export function estimateInputTokens(req: ChatRequest): number {
  let total = TOKENS_REPLY_PRIMING;
  if (req.system.length > 0) {
    total += TOKENS_PER_MESSAGE + countTextTokens('system');
    for (const p of req.system) total += countTextTokens(p.text);
  }
  for (const m of req.messages) {
    total += TOKENS_PER_MESSAGE + countTextTokens(m.role);
    if (m.name) total += TOKENS_PER_NAME + countTextTokens(m.name);
    for (const p of m.content) total += partTokens(p);
  }
  if (req.tools?.length) {
    total += TOKENS_TOOLS_PREAMBLE;
    for (const t of req.tools) {
      total += TOKENS_PER_TOOL + countTextTokens(t.name);
      if (t.description) total += countTextTokens(t.description);
      total += countTextTokens(JSON.stringify(t.parameters ?? {}));
    }
  }
  return total;
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
