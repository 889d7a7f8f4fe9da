// Anthropic Message body -> canonical ChatResponse.

import type { ChatResponse, ContentPart } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import { usageFromAnthropic, type AnthropicUsageWire } from './usage.js';
import { isObject, str } from '../shared/json.js';
import { finishReasonFromAnthropic } from './map-stop-reason.js';

export function parseAnthropicMessagesResponse(json: unknown): ChatResponse {
  if (!isObject(json) || json.type !== 'message' || !Array.isArray(json.content)) {
    throw new GatewayError('upstream_error', 'The upstream answered with a body that is not an Anthropic message.');
  }
  const content: ContentPart[] = [];
  for (const b of json.content) {
    if (!isObject(b)) continue;
    if (b.type === 'text') content.push({ type: 'text', text: str(b.text) ?? '' });
    else if (b.type === 'tool_use') content.push({ type: 'tool_call', id: str(b.id) ?? '', name: str(b.name) ?? '', arguments: JSON.stringify(b.input ?? {}) });
    else if (b.type === 'thinking') content.push({ type: 'thinking', text: str(b.thinking) ?? '', ...(typeof b.signature === 'string' ? { signature: b.signature } : {}) });
  }
  const raw = str(json.stop_reason);
  return {
    id: str(json.id) ?? '',
    model: str(json.model) ?? '',
    created: Math.floor(Date.now() / 1000),
    content,
    finishReason: finishReasonFromAnthropic(raw),
    ...(raw ? { rawFinishReason: raw } : {}),
    usage: usageFromAnthropic(isObject(json.usage) ? (json.usage as AnthropicUsageWire) : undefined),
  };
}
