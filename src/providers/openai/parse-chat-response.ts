// OpenAI chat.completion body -> canonical ChatResponse.

import type { ChatResponse, ContentPart } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import { usageFromOpenAI, type OpenAIUsageWire } from './usage.js';
import { isObject, num, str } from '../shared/json.js';
import { finishReasonFromOpenAI } from './map-finish-reason.js';

export function parseOpenAIChatResponse(json: unknown): ChatResponse {
  if (!isObject(json) || !Array.isArray(json.choices)) {
    throw new GatewayError('upstream_error', 'The upstream answered with a body that is not an OpenAI chat completion.');
  }
  const choice = (json.choices.find((c) => isObject(c) && c.index === 0) ?? json.choices[0]) as Record<string, unknown> | undefined;
  const message = isObject(choice?.message) ? choice.message : {};
  const content: ContentPart[] = [];
  // reasoning text some compatible servers return (vLLM, DeepSeek: reasoning_content; OpenRouter: reasoning)
  const reasoning = str(message.reasoning_content) ?? str(message.reasoning);
  if (reasoning) content.push({ type: 'thinking', text: reasoning });
  const text = str(message.content);
  if (text) content.push({ type: 'text', text });
  else if (str(message.refusal)) content.push({ type: 'text', text: str(message.refusal)! });
  if (Array.isArray(message.tool_calls)) {
    for (const tc of message.tool_calls) {
      if (!isObject(tc) || !isObject(tc.function)) continue;
      content.push({ type: 'tool_call', id: str(tc.id) ?? '', name: str(tc.function.name) ?? '', arguments: str(tc.function.arguments) ?? '' });
    }
  }
  const raw = str(choice?.finish_reason);
  return {
    id: str(json.id) ?? '',
    model: str(json.model) ?? '',
    created: num(json.created) ?? Math.floor(Date.now() / 1000),
    content,
    finishReason: finishReasonFromOpenAI(raw),
    ...(raw ? { rawFinishReason: raw } : {}),
    usage: usageFromOpenAI(isObject(json.usage) ? (json.usage as OpenAIUsageWire) : undefined),
  };
}
