// The simulated models: wire format, latency model, output-length model, prompt-cache rules,
// rate limits and faults. Every figure lives here, with where it comes from.

import type { FaultRule } from './faults.js';

export type SimWire = 'openai' | 'anthropic';
export type SimKind = 'chat' | 'embedding';

export interface SimModelSettings {
  /** queue wait before the model starts: exponential with this mean (ms) */
  queueMs: number;
  /** time to first token with an empty prompt (ms, median) */
  ttftBaseMs: number;
  /** extra time to first token per *uncached* input token (ms) */
  prefillMsPerToken: number;
  /** decode speed once the first token is out */
  tokensPerSec: number;
  /** sigma of the log-normal multiplier applied to each request's queue, TTFT and decode times */
  jitterSigma: number;
  /** output length: log-normal with this mean (tokens) ... */
  outputMeanTokens: number;
  /** ... and this sigma of log(tokens) */
  outputSigma: number;
  /** probability of calling a tool when tools are given, tool_choice is auto and the last turn is the user's */
  toolCallProbability: number;
  /** requests and tokens per minute (x-ratelimit-* / anthropic-ratelimit-* headers; enforced with a 429) */
  requestsPerMin: number;
  tokensPerMin: number;
  /**
   * answer quality in [0, 1] when the sim's `quality` is on (quality.ts: P(correct) =
   * strength ^ (0.5 + 3 * difficulty)); degrade a model at run time with PUT /_sim/models/:model
   */
  strength: number;
  /** faults injected on every request of this model (the x-sim-fault header adds per-request ones) */
  faults: FaultRule[];
}

export interface SimModelInfo {
  id: string;
  wire: SimWire;
  kind: SimKind;
  /** other ids accepted for this model (dated snapshots) */
  aliases: string[];
  /** prompt caching: 'auto' = OpenAI automatic prefix caching; 'explicit' = Anthropic cache_control; 'none' */
  promptCache: 'auto' | 'explicit' | 'none';
  /** minimum cacheable prefix (tokens) */
  minCacheTokens: number;
  /** embedding dimensions (embedding models only) */
  dimensions?: number;
  /** the per-model owner in GET /v1/models */
  ownedBy: string;
  /**
   * how the model reasons: 'hidden' = OpenAI reasoning models (reasoning_effort; reasoning tokens in
   * usage only), 'thinking' = Anthropic extended thinking (thinking blocks with signatures); absent = none
   */
  reasoning?: 'hidden' | 'thinking';
  createdAt: number;
  displayName: string;
  settings: SimModelSettings;
}

// Output lengths. Calibrated from /work/shared/data/arena-hard-v0.1-lite (lm-sys/arena-hard-auto):
// the per-answer token_len of gpt-3.5-turbo-0125, gpt-4-0613 and gpt-4-0314 over the 500 prompts
// are close to log-normal with sigma(log tokens) = 0.63, 0.59 and 0.65, so sigma = 0.62. The mean
// per model comes from the leaderboard CSV's avg_tokens: gpt-4o-2024-05-13 696,
// gpt-4o-mini-2024-07-18 668, claude-3-5-sonnet-20240620 567 (stands in for claude-sonnet-4),
// claude-3-haiku-20240307 505 (for claude-3-5-haiku), gemini-1.5-flash-api-0514 642 (for
// gemini-2.0-flash). Arena-hard prompts are hard; everyday traffic is shorter, but these are the
// best public per-model figures at hand.
const OUTPUT_SIGMA = 0.62;

// Strength (answer quality, only when the sim's `quality` is on): an ordering, not a measurement.
// The large models (gpt-4o, claude-sonnet-4, o4-mini) high, the small ones (gpt-4o-mini,
// gemini-2.0-flash, claude-3-5-haiku) lower, in the order public leaderboards (LMSYS arena,
// MMLU) put them; the judge loop needs a gap to find, not exact figures.
//
// Latency. Medians of the public figures Artificial Analysis (artificialanalysis.ai, model pages,
// "time to first token" and "output speed", first-party APIs, 2025) reports, rounded:
//   gpt-4o            TTFT ~0.45 s, ~110 tokens/s     gpt-4o-mini   TTFT ~0.40 s, ~75 tokens/s
//   claude-sonnet-4   TTFT ~1.2 s,  ~60 tokens/s      claude-3-5-haiku TTFT ~0.7 s, ~60 tokens/s
//   gemini-2.0-flash  TTFT ~0.35 s, ~200 tokens/s
// Prefill: the same site's 10k-token-prompt runs add roughly 0.5-1 s of TTFT over short prompts,
// i.e. ~0.03-0.1 ms per input token; we use the low end for fast models. Jitter sigma 0.25 gives a
// p90/p50 of ~1.4, in line with the spread of those charts. Queue wait is small by default (the
// first-party APIs rarely queue visibly); raise it with the admin endpoint to model congestion.
// Rate limits: OpenAI tier-5 and Anthropic tier-4 published limits (platform.openai.com/docs/
// guides/rate-limits, docs.anthropic.com/en/api/rate-limits), rounded.
function chat(
  id: string,
  wire: SimWire,
  o: { aliases?: string[]; promptCache: SimModelInfo['promptCache']; minCacheTokens: number; ownedBy: string; displayName: string; createdAt: number; reasoning?: SimModelInfo['reasoning'] },
  s: Omit<SimModelSettings, 'faults' | 'outputSigma' | 'jitterSigma' | 'toolCallProbability'>,
): SimModelInfo {
  return {
    id,
    wire,
    kind: 'chat',
    aliases: o.aliases ?? [],
    promptCache: o.promptCache,
    minCacheTokens: o.minCacheTokens,
    ownedBy: o.ownedBy,
    displayName: o.displayName,
    createdAt: o.createdAt,
    ...(o.reasoning ? { reasoning: o.reasoning } : {}),
    settings: { ...s, outputSigma: OUTPUT_SIGMA, jitterSigma: 0.25, toolCallProbability: 0.7, faults: [] },
  };
}

export function defaultModels(): SimModelInfo[] {
  return [
    chat(
      'gpt-4o',
      'openai',
      // OpenAI prompt caching: automatic for prompts >= 1024 tokens (platform.openai.com/docs/guides/prompt-caching)
      { aliases: ['gpt-4o-2024-08-06', 'gpt-4o-2024-11-20'], promptCache: 'auto', minCacheTokens: 1024, ownedBy: 'system', displayName: 'GPT-4o', createdAt: 1715367049 },
      { queueMs: 20, ttftBaseMs: 450, prefillMsPerToken: 0.05, tokensPerSec: 110, outputMeanTokens: 696, strength: 0.95, requestsPerMin: 10_000, tokensPerMin: 30_000_000 },
    ),
    chat(
      'gpt-4o-mini',
      'openai',
      { aliases: ['gpt-4o-mini-2024-07-18'], promptCache: 'auto', minCacheTokens: 1024, ownedBy: 'system', displayName: 'GPT-4o mini', createdAt: 1721172741 },
      { queueMs: 20, ttftBaseMs: 400, prefillMsPerToken: 0.03, tokensPerSec: 75, outputMeanTokens: 668, strength: 0.85, requestsPerMin: 30_000, tokensPerMin: 150_000_000 },
    ),
    chat(
      'o4-mini',
      'openai',
      // a reasoning model: reasoning_effort, reasoning tokens billed as output, max_completion_tokens only
      { aliases: ['o4-mini-2025-04-16'], promptCache: 'auto', minCacheTokens: 1024, ownedBy: 'system', displayName: 'o4-mini', createdAt: 1744761600, reasoning: 'hidden' },
      { queueMs: 20, ttftBaseMs: 2000, prefillMsPerToken: 0.03, tokensPerSec: 150, outputMeanTokens: 500, strength: 0.93, requestsPerMin: 30_000, tokensPerMin: 150_000_000 },
    ),
    chat(
      'gemini-2.0-flash',
      'openai',
      // Implicit caching is a Gemini 2.5+ feature (ai.google.dev/gemini-api/docs/caching): none for 2.0 Flash.
      { aliases: ['gemini-2.0-flash-001'], promptCache: 'none', minCacheTokens: 0, ownedBy: 'google', displayName: 'Gemini 2.0 Flash', createdAt: 1738713600 },
      { queueMs: 20, ttftBaseMs: 350, prefillMsPerToken: 0.02, tokensPerSec: 200, outputMeanTokens: 642, strength: 0.84, requestsPerMin: 30_000, tokensPerMin: 30_000_000 },
    ),
    chat(
      'claude-sonnet-4',
      'anthropic',
      // minimum cacheable prompt: 1024 for Sonnet 4, 2048 for Haiku 3.5 (Anthropic prompt-caching docs)
      { aliases: ['claude-sonnet-4-20250514', 'claude-sonnet-4-0'], promptCache: 'explicit', minCacheTokens: 1024, ownedBy: 'anthropic', displayName: 'Claude Sonnet 4', createdAt: 1747267200, reasoning: 'thinking' },
      { queueMs: 30, ttftBaseMs: 1200, prefillMsPerToken: 0.08, tokensPerSec: 60, outputMeanTokens: 567, strength: 0.96, requestsPerMin: 4_000, tokensPerMin: 2_400_000 },
    ),
    chat(
      'claude-3-5-haiku',
      'anthropic',
      { aliases: ['claude-3-5-haiku-20241022', 'claude-3-5-haiku-latest'], promptCache: 'explicit', minCacheTokens: 2048, ownedBy: 'anthropic', displayName: 'Claude Haiku 3.5', createdAt: 1729555200 },
      { queueMs: 30, ttftBaseMs: 700, prefillMsPerToken: 0.04, tokensPerSec: 60, outputMeanTokens: 505, strength: 0.82, requestsPerMin: 4_000, tokensPerMin: 4_400_000 },
    ),
    {
      id: 'text-embedding-3-small',
      wire: 'openai',
      kind: 'embedding',
      aliases: [],
      promptCache: 'none',
      minCacheTokens: 0,
      dimensions: 1536,
      ownedBy: 'system',
      displayName: 'text-embedding-3-small',
      createdAt: 1705948997,
      // embeddings: no decode phase; ~50-100 ms per call is typical of the public API
      settings: {
        queueMs: 10, ttftBaseMs: 60, prefillMsPerToken: 0.005, tokensPerSec: 1, jitterSigma: 0.25,
        outputMeanTokens: 0, outputSigma: 0, toolCallProbability: 0, strength: 0, requestsPerMin: 10_000, tokensPerMin: 10_000_000, faults: [],
      },
    },
  ];
}

/** Anthropic's cache TTLs; OpenAI keeps automatic prefixes 5-10 minutes of inactivity (we use 5). */
export const CACHE_TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;
export const OPENAI_CACHE_TTL_MS = 5 * 60_000;
/** OpenAI reports cached tokens in 128-token increments above the 1024-token minimum */
export const OPENAI_CACHE_INCREMENT = 128;
