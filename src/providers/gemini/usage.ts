// Gemini's native usageMetadata -> canonical Usage. promptTokenCount INCLUDES
// cachedContentTokenCount; billed output is candidatesTokenCount + thoughtsTokenCount. There is no
// native Gemini adapter (Gemini is reached through its OpenAI endpoint, see ../openai-compatible/);
// the mapper is here for the price cross-checks and for that adapter when it comes.

import type { Usage } from '../../core/canonical.js';
import { tokenCount as n } from '../../core/usage.js';

export interface GeminiUsageWire {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

export function usageFromGemini(u: GeminiUsageWire | null | undefined): Usage {
  const prompt = n(u?.promptTokenCount) + n(u?.toolUsePromptTokenCount);
  const cached = Math.min(n(u?.cachedContentTokenCount), prompt);
  const thoughts = n(u?.thoughtsTokenCount);
  return {
    input: prompt - cached,
    cacheRead: cached,
    cacheWrite5m: 0,
    cacheWrite1h: 0,
    output: n(u?.candidatesTokenCount) + thoughts,
    reasoning: thoughts,
  };
}
