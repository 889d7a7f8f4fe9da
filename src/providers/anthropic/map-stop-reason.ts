// Anthropic stop_reason <-> canonical FinishReason.

import type { FinishReason } from '../../core/canonical.js';

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

const ANTHROPIC_STOP_REASONS: ReadonlySet<string> = new Set(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal']);

export function finishReasonFromAnthropic(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return reason ? 'stop' : 'error';
  }
}

/** The Anthropic stop reason to render: the provider's own when it was Anthropic's, else mapped. */
export function finishReasonToAnthropic(reason: FinishReason, raw?: string): AnthropicStopReason {
  if (raw && ANTHROPIC_STOP_REASONS.has(raw) && finishReasonFromAnthropic(raw) === reason) return raw as AnthropicStopReason;
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}
