// Canonical ChatResponse -> the exact Anthropic Message shape.

import type { ChatResponse } from '../../core/canonical.js';
import { usageToAnthropic } from './usage.js';
import { idWithPrefix } from '../shared/ids.js';
import { tryParseJson, isObject } from '../shared/json.js';
import { finishReasonToAnthropic } from './map-stop-reason.js';

export function renderAnthropicMessagesResponse(r: ChatResponse, opts: { model: string }): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  for (const p of r.content) {
    if (p.type === 'text') content.push({ type: 'text', text: p.text });
    else if (p.type === 'tool_call') {
      const input = tryParseJson(p.arguments === '' ? '{}' : p.arguments);
      content.push({ type: 'tool_use', id: p.id, name: p.name, input: isObject(input) ? input : {} });
    } else if (p.type === 'thinking') content.push({ type: 'thinking', thinking: p.text, signature: p.signature ?? '' });
  }
  return {
    id: idWithPrefix(r.id, 'msg_'),
    type: 'message',
    role: 'assistant',
    model: opts.model,
    content,
    stop_reason: finishReasonToAnthropic(r.finishReason, r.rawFinishReason),
    stop_sequence: null,
    usage: { ...usageToAnthropic(r.usage), service_tier: 'standard' },
  };
}
