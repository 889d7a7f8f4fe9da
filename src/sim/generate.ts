// What the simulated model "says" and when: output (text or a tool call) from a seeded draw over
// the request, and a latency plan (queue, TTFT, per-token pace) from the model's settings.

import { sampleFromSchema } from './json-schema-sample.js';
import { Rng } from './random.js';
import type { SimModelInfo, SimModelSettings } from './settings.js';
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
}

export interface TextOut {
  pieces: string[];
  text: string;
}

export interface Generation {
  text?: TextOut;
  toolCall?: { name: string; args: string; argPieces: string[] };
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

export function generate(input: GenInput): Generation {
  const rng = new Rng(input.requestHash);
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
    if (input.maxTokens === undefined || outputTokens <= input.maxTokens) {
      return {
        text: preface,
        toolCall: { name: tool.name, args, argPieces: argIds.map((id) => decodeTokens([id])) },
        outputTokens,
        truncated: false,
      };
    }
    // too long for max_tokens: the model is cut off before it finishes the call; answer in text
  }
  let n =
    input.forcedOutputTokens ??
    Math.min(MAX_DRAWN_TOKENS, Math.max(1, Math.round(rng.logNormalMean(s.outputMeanTokens, s.outputSigma))));
  let truncated = false;
  if (input.maxTokens !== undefined && n > input.maxTokens) {
    n = input.maxTokens;
    truncated = true;
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
