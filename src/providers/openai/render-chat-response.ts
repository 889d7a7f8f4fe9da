// Canonical ChatResponse -> the exact OpenAI chat.completion shape.

import type { ChatResponse } from '../../core/canonical.js';
import { usageToOpenAI } from './usage.js';
import { idWithPrefix, nowSeconds } from '../shared/ids.js';
import { finishReasonToOpenAI } from './map-finish-reason.js';

export function renderOpenAIChatResponse(r: ChatResponse, opts: { model: string }): Record<string, unknown> {
  let text = '';
  const toolCalls: Record<string, unknown>[] = [];
  for (const p of r.content) {
    if (p.type === 'text') text += p.text;
    else if (p.type === 'tool_call') toolCalls.push({ id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments } });
  }
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
    annotations: [],
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: idWithPrefix(r.id, 'chatcmpl-'),
    object: 'chat.completion',
    created: r.created || nowSeconds(),
    model: opts.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonToOpenAI(r.finishReason) }],
    usage: usageToOpenAI(r.usage),
    service_tier: 'default',
    system_fingerprint: null,
  };
}
