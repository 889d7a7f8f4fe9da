// Gemini's native usageMetadata -> canonical Usage. promptTokenCount INCLUDES
// cachedContentTokenCount; billed output is candidatesTokenCount + thoughtsTokenCount. Used by the
// native Gemini adapter (./adapter.ts, kind `gemini`) and by the price cross-checks.

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
