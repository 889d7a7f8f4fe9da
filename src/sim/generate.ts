// What the simulated model "says" and when: output (text or a tool call) from a seeded draw over
// the request, and a latency plan (queue, TTFT, per-token pace) from the model's settings.

import { sampleFromSchema } from './json-schema-sample.js';
import { Rng } from './random.js';
import type { SimModelInfo, SimModelSettings } from './settings.js';
import { finalAnswerLine, judgeReply } from './quality.js';
import { generateText } from './text.js';
import { countTokens, decodeTokens, encodeText } from './tokens.js';

export interface ToolSpec {
  name: string;
  schema: unknown;
}

export type ToolChoiceMode = { mode: 'auto' } | { mode: 'none' } | { mode: 'required' } | { mode: 'named'; name: string };

export interface GenInput {
  model: SimModelInfo;
  /** hash of (seed, request body): the only source of output randomness */
  requestHash: number;
  maxTokens?: number;
  tools: ToolSpec[];
  toolChoice: ToolChoiceMode;
  /** role of the last message: a model only reaches for a tool on its own after a user turn */
  lastRole: string;
  /** x-sim-output-tokens: force the text length (tests, benchmarks) */
  forcedOutputTokens?: number;
  /** Claude usually says a sentence before an auto tool call; OpenAI models usually do not */
  prefaceToolCall: boolean;
  /** structured output: JSON text, valid against `schema` (json_schema) or any JSON object (json_object) */
  json?: { schema?: unknown };
  /**
   * reasoning before the answer, at most `budgetTokens`: visible (Anthropic's thinking blocks) or
   * hidden (OpenAI's reasoning tokens, counted but not shown); counted in the output either way
   */
  reasoning?: { budgetTokens: number; meanTokens: number; visible: boolean };
  /**
   * answer quality on (the sim's `quality` config, see quality.ts): a text answer to `question`
   * ends with its final answer, right or wrong by the model's strength; a judge prompt is scored
   */
  quality?: { seed: number; question: string };
}

export interface TextOut {
  pieces: string[];
  text: string;
}

export interface Generation {
  text?: TextOut;
  toolCall?: { name: string; args: string; argPieces: string[] };
  /** visible reasoning (Anthropic thinking), before the text */
  thinking?: TextOut;
  /** reasoning tokens, visible or hidden (a part of outputTokens) */
  reasoningTokens: number;
  outputTokens: number;
  /** stopped by max_tokens */
  truncated: boolean;
}

/** hard cap on a drawn length, so a far tail draw cannot produce an absurd answer */
const MAX_DRAWN_TOKENS = 8192;

function textOf(rng: Rng, n: number): TextOut {
  const g = generateText(rng, n);
  return { pieces: g.pieces, text: g.text };
}

/** text made of the tokens of a JSON document, one piece per token as the APIs stream it */
function jsonText(value: unknown): TextOut {
  return tokenText(JSON.stringify(value));
}

function tokenText(text: string): TextOut {
  return { text, pieces: encodeText(text).map((id) => decodeTokens([id])) };
}

export function generate(input: GenInput): Generation {
  const rng = new Rng(input.requestHash);
  // reasoning comes first and takes its share of max_tokens; its own stream, so the answer's draw is unchanged
  let reasoningTokens = 0;
  let thinking: TextOut | undefined;
  if (input.reasoning) {
    const r = input.reasoning;
    const rr = new Rng(input.requestHash ^ 0x5eed);
    const cap = Math.min(r.budgetTokens, input.maxTokens !== undefined ? Math.max(0, input.maxTokens - 1) : r.budgetTokens);
    reasoningTokens = Math.min(cap, Math.max(1, Math.round(rr.logNormalMean(r.meanTokens, 0.5))));
    if (r.visible && reasoningTokens > 0) {
      thinking = textOf(rr, reasoningTokens);
      reasoningTokens = thinking.pieces.length;
    }
  }
  const answer = generateAnswer(input, rng, input.maxTokens === undefined ? undefined : input.maxTokens - reasoningTokens);
  return { ...answer, thinking, reasoningTokens, outputTokens: answer.outputTokens + reasoningTokens };
}

function generateAnswer(input: GenInput, rng: Rng, maxTokens: number | undefined): Omit<Generation, 'reasoningTokens'> {
  const s = input.model.settings;
  const useTools = input.tools.length > 0 && input.toolChoice.mode !== 'none';
  let call = false;
  if (useTools) {
    if (input.toolChoice.mode === 'required' || input.toolChoice.mode === 'named') call = true;
    else call = input.lastRole === 'user' && rng.chance(s.toolCallProbability);
  }
  if (call) {
    const tool =
      input.toolChoice.mode === 'named'
        ? input.tools.find((t) => t.name === (input.toolChoice as { name: string }).name)!
        : rng.pick(input.tools);
    const args = JSON.stringify(sampleFromSchema(tool.schema, rng));
    const argIds = encodeText(args);
    const preface = input.prefaceToolCall && input.toolChoice.mode === 'auto' ? textOf(rng, rng.int(8, 20)) : undefined;
    const outputTokens = argIds.length + countTokens(tool.name) + 4 + (preface?.pieces.length ?? 0);
    if (maxTokens === undefined || outputTokens <= maxTokens) {
      return {
        text: preface,
        toolCall: { name: tool.name, args, argPieces: argIds.map((id) => decodeTokens([id])) },
        outputTokens,
        truncated: false,
      };
    }
    // too long for max_tokens: the model is cut off before it finishes the call; answer in text
  }
  if (input.json) {
    const text = jsonText(input.json.schema === undefined ? { answer: generateText(rng, rng.int(8, 30)).text } : sampleFromSchema(input.json.schema, rng));
    // a JSON answer cut by max_tokens is cut JSON, as with the real APIs
    if (maxTokens !== undefined && text.pieces.length > maxTokens) {
      const pieces = text.pieces.slice(0, Math.max(0, maxTokens));
      return { text: { pieces, text: pieces.join('') }, outputTokens: pieces.length, truncated: true };
    }
    return { text, outputTokens: text.pieces.length, truncated: false };
  }
  let n =
    input.forcedOutputTokens ??
    Math.min(MAX_DRAWN_TOKENS, Math.max(1, Math.round(rng.logNormalMean(s.outputMeanTokens, s.outputSigma))));
  let truncated = false;
  if (maxTokens !== undefined && n > maxTokens) {
    n = Math.max(0, maxTokens);
    truncated = true;
  }
  if (input.quality) {
    const q = input.quality;
    const verdict = judgeReply(q.seed, q.question);
    if (verdict !== undefined) {
      const text = tokenText(verdict);
      return { text, outputTokens: text.pieces.length, truncated: false };
    }
    // an answer cut by max_tokens never reaches its final line: it is judged wrong, as it would be
    if (!truncated) {
      const tail = tokenText(finalAnswerLine(q.seed, input.model.id, s.strength, q.question));
      const body = textOf(rng, Math.max(1, n - tail.pieces.length));
      const pieces = [...body.pieces, ...tail.pieces];
      return { text: { pieces, text: body.text + tail.text }, outputTokens: pieces.length, truncated: false };
    }
  }
  const text = textOf(rng, n);
  return { text, outputTokens: text.pieces.length, truncated };
}

export interface Timing {
  queueMs: number;
  ttftMs: number;
  perTokenMs: number;
}

/** queue ~ exponential(mean queueMs); TTFT and decode pace ~ log-normal around the model's medians */
export function planTiming(s: SimModelSettings, scale: number, rng: Rng, uncachedInputTokens: number): Timing {
  if (scale <= 0) return { queueMs: 0, ttftMs: 0, perTokenMs: 0 };
  const queueMs = s.queueMs > 0 ? rng.exponential(s.queueMs) : 0;
  const ttftMs = rng.logNormalMedian(s.ttftBaseMs + s.prefillMsPerToken * uncachedInputTokens, s.jitterSigma);
  const perTokenMs = rng.logNormalMedian(1000 / Math.max(0.001, s.tokensPerSec), s.jitterSigma / 2);
  return { queueMs: queueMs * scale, ttftMs: ttftMs * scale, perTokenMs: perTokenMs * scale };
}

/** waits until output token i is due: t0 + queue + TTFT + i * perToken */
export class Pacer {
  constructor(
    private readonly t0: number,
    private readonly timing: Timing,
  ) {}
  dueAt(i: number): number {
    return this.t0 + this.timing.queueMs + this.timing.ttftMs + i * this.timing.perTokenMs;
  }
  async waitQueue(): Promise<void> {
    await waitUntil(this.t0 + this.timing.queueMs);
  }
  async waitToken(i: number): Promise<void> {
    await waitUntil(this.dueAt(i));
  }
}

async function waitUntil(t: number): Promise<void> {
  const d = t - Date.now();
  if (d >= 1) await new Promise<void>((r) => setTimeout(r, d));
}
