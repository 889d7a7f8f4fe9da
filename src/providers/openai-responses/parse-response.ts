// A Responses API `response` object (an upstream's answer) -> canonical ChatResponse.

import type { ChatResponse, ContentPart, FinishReason } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import { isObject, num, str, type Json } from '../shared/json.js';
import { usageFromResponses, type ResponsesUsageWire } from './usage.js';

/** The canonical parts of a list of output items (messages, function calls, reasoning). */
export function contentOfOutput(output: readonly unknown[]): ContentPart[] {
  const content: ContentPart[] = [];
  for (const it of output) {
    if (!isObject(it)) continue;
    if (it.type === 'message' && Array.isArray(it.content)) {
      const text = it.content.map((p) => (isObject(p) ? (str(p.text) ?? str(p.refusal) ?? '') : '')).join('');
      if (text !== '') content.push({ type: 'text', text });
    } else if (it.type === 'function_call') {
      content.push({ type: 'tool_call', id: str(it.call_id) ?? '', name: str(it.name) ?? '', arguments: str(it.arguments) ?? '' });
    } else if (it.type === 'reasoning') {
      const summary = Array.isArray(it.summary) ? it.summary.map((s) => (isObject(s) ? (str(s.text) ?? '') : '')).join('\n\n') : '';
      const sig = str(it.encrypted_content);
      content.push({ type: 'thinking', text: summary, ...(sig ? { signature: sig } : {}) });
    }
  }
  return content;
}

export function finishOf(r: Json, content: readonly ContentPart[]): { finishReason: FinishReason; raw: string } {
  if (r.status === 'incomplete') {
    const reason = isObject(r.incomplete_details) ? str(r.incomplete_details.reason) : undefined;
    return { finishReason: reason === 'content_filter' ? 'content_filter' : 'length', raw: reason ?? 'incomplete' };
  }
  if (r.status === 'failed') return { finishReason: 'error', raw: 'failed' };
  return content.some((p) => p.type === 'tool_call') ? { finishReason: 'tool_calls', raw: 'completed' } : { finishReason: 'stop', raw: 'completed' };
}

export function parseResponsesResponse(json: unknown): ChatResponse {
  if (!isObject(json) || json.object !== 'response' || !Array.isArray(json.output)) {
    throw new GatewayError('upstream_error', 'The upstream answered with a body that is not a Responses API response.');
  }
  const content = contentOfOutput(json.output);
  const { finishReason, raw } = finishOf(json, content);
  return {
    id: str(json.id) ?? '',
    model: str(json.model) ?? '',
    created: num(json.created_at) ?? Math.floor(Date.now() / 1000),
    content,
    finishReason,
    rawFinishReason: raw,
    usage: usageFromResponses(json.usage as ResponsesUsageWire | undefined),
  };
}
