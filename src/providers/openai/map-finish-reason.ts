// OpenAI finish_reason <-> canonical FinishReason.

import type { FinishReason } from '../../core/canonical.js';

export function finishReasonFromOpenAI(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return reason ? 'stop' : 'error';
  }
}

export function finishReasonToOpenAI(reason: FinishReason): 'stop' | 'length' | 'tool_calls' | 'content_filter' {
  // OpenAI has no 'error' finish reason; an errored answer still ended
  return reason === 'error' ? 'stop' : reason;
}
