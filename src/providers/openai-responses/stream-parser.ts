// Responses API SSE (an upstream's stream) -> canonical stream events, incrementally over arbitrary
// byte splits. Each output item is one canonical block (its output_index); response.completed
// brings the finish and the usage.

import type { StreamEvent } from '../../core/canonical.js';
import type { WireStreamParser } from '../codec.js';
import type { StreamChunk } from '../contract.js';
import { isObject, num, str, tryParseJson } from '../shared/json.js';
import { SseDecoder, type SseEvent } from '../shared/sse-decoder.js';
import { contentOfOutput, finishOf } from './parse-response.js';
import { usageFromResponses, type ResponsesUsageWire } from './usage.js';

export function createResponsesStreamParser(): WireStreamParser {
  const decoder = new SseDecoder();
  const open = new Set<number>();

  const translate = (sse: SseEvent, out: StreamEvent[]): void => {
    if (!sse.hasData) return;
    const json = tryParseJson(sse.data);
    if (!isObject(json)) return;
    const type = str(json.type) ?? sse.event;
    const index = num(json.output_index) ?? 0;
    switch (type) {
      case 'response.created': {
        const r = isObject(json.response) ? json.response : {};
        out.push({ type: 'start', id: str(r.id) ?? '', model: str(r.model) ?? '', created: num(r.created_at) ?? Math.floor(Date.now() / 1000) });
        return;
      }
      case 'response.output_item.added': {
        open.add(index);
        const item = isObject(json.item) ? json.item : {};
        if (item.type === 'function_call') out.push({ type: 'tool_call_start', index, id: str(item.call_id) ?? '', name: str(item.name) ?? '' });
        return;
      }
      case 'response.output_text.delta':
      case 'response.refusal.delta': {
        const d = str(json.delta);
        if (d) out.push({ type: 'text_delta', index, text: d });
        return;
      }
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta': {
        const d = str(json.delta);
        if (d) out.push({ type: 'thinking_delta', index, text: d });
        return;
      }
      case 'response.function_call_arguments.delta': {
        const d = str(json.delta);
        if (d) out.push({ type: 'tool_call_delta', index, argumentsDelta: d });
        return;
      }
      case 'response.output_item.done': {
        const item = isObject(json.item) ? json.item : {};
        const sig = item.type === 'reasoning' ? str(item.encrypted_content) : undefined;
        if (sig) out.push({ type: 'signature_delta', index, signature: sig });
        if (open.delete(index)) out.push({ type: 'block_stop', index });
        return;
      }
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed': {
        const r = isObject(json.response) ? json.response : {};
        for (const i of [...open].sort((a, b) => a - b)) out.push({ type: 'block_stop', index: i });
        open.clear();
        if (isObject(r.usage)) out.push({ type: 'usage', usage: usageFromResponses(r.usage as ResponsesUsageWire) });
        if (type === 'response.failed') {
          const e = isObject(r.error) ? r.error : {};
          out.push({ type: 'error', error: { type: str(e.code) ?? 'api_error', message: str(e.message) ?? 'The upstream response failed.' } });
          return;
        }
        const { finishReason, raw } = finishOf(r, contentOfOutput(Array.isArray(r.output) ? r.output : []));
        out.push({ type: 'finish', finishReason, rawFinishReason: raw });
        return;
      }
      case 'error':
        out.push({ type: 'error', error: { type: str(json.code) ?? 'api_error', message: str(json.message) ?? 'upstream stream error' } });
        return;
    }
  };

  const toChunks = (batch: { raw: Buffer; events: SseEvent[] } | null): StreamChunk[] => {
    if (!batch) return [];
    const events: StreamEvent[] = [];
    for (const sse of batch.events) translate(sse, events);
    return [{ raw: batch.raw, events }];
  };

  return {
    push: (bytes) => toChunks(decoder.push(bytes)),
    end: () => toChunks(decoder.end()),
  };
}
