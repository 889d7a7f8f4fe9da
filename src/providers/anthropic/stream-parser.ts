// Anthropic Messages SSE -> canonical stream events, incrementally over arbitrary byte splits.
// Usage arrives in message_start (input and cache figures) and cumulatively in message_delta.

import type { StreamEvent } from '../../core/canonical.js';
import { partialUsageFromAnthropic, type AnthropicUsageWire } from './usage.js';
import type { StreamChunk } from '../contract.js';
import { isObject, num, str, tryParseJson } from '../shared/json.js';
import { SseDecoder, type SseEvent } from '../shared/sse-decoder.js';
import type { WireStreamParser } from '../codec.js';
import { finishReasonFromAnthropic } from './map-stop-reason.js';

export function createAnthropicStreamParser(): WireStreamParser {
  const decoder = new SseDecoder();

  const translate = (sse: SseEvent, out: StreamEvent[]): void => {
    if (!sse.hasData) return;
    const json = tryParseJson(sse.data);
    if (!isObject(json)) return;
    const type = str(json.type) ?? sse.event;
    switch (type) {
      case 'message_start': {
        const m = isObject(json.message) ? json.message : {};
        out.push({ type: 'start', id: str(m.id) ?? '', model: str(m.model) ?? '', created: Math.floor(Date.now() / 1000) });
        if (isObject(m.usage)) out.push({ type: 'usage', usage: partialUsageFromAnthropic(m.usage as AnthropicUsageWire) });
        return;
      }
      case 'content_block_start': {
        const index = num(json.index) ?? 0;
        const b = isObject(json.content_block) ? json.content_block : {};
        if (b.type === 'text') {
          const t = str(b.text);
          out.push({ type: 'text_delta', index, text: t ?? '' });
        } else if (b.type === 'tool_use') {
          out.push({ type: 'tool_call_start', index, id: str(b.id) ?? '', name: str(b.name) ?? '' });
          // the input is normally {} here and streamed as input_json_delta; a non-empty one is whole
          if (isObject(b.input) && Object.keys(b.input).length > 0) out.push({ type: 'tool_call_delta', index, argumentsDelta: JSON.stringify(b.input) });
        } else if (b.type === 'thinking') {
          out.push({ type: 'thinking_delta', index, text: str(b.thinking) ?? '' });
        }
        return;
      }
      case 'content_block_delta': {
        const index = num(json.index) ?? 0;
        const d = isObject(json.delta) ? json.delta : {};
        if (d.type === 'text_delta') out.push({ type: 'text_delta', index, text: str(d.text) ?? '' });
        else if (d.type === 'input_json_delta') out.push({ type: 'tool_call_delta', index, argumentsDelta: str(d.partial_json) ?? '' });
        else if (d.type === 'thinking_delta') out.push({ type: 'thinking_delta', index, text: str(d.thinking) ?? '' });
        else if (d.type === 'signature_delta') out.push({ type: 'signature_delta', index, signature: str(d.signature) ?? '' });
        return; // citations_delta: nothing canonical to say
      }
      case 'content_block_stop':
        out.push({ type: 'block_stop', index: num(json.index) ?? 0 });
        return;
      case 'message_delta': {
        const d = isObject(json.delta) ? json.delta : {};
        const stop = str(d.stop_reason);
        if (stop) out.push({ type: 'finish', finishReason: finishReasonFromAnthropic(stop), rawFinishReason: stop });
        if (isObject(json.usage)) out.push({ type: 'usage', usage: partialUsageFromAnthropic(json.usage as AnthropicUsageWire) });
        return;
      }
      case 'ping':
        out.push({ type: 'ping' });
        return;
      case 'error': {
        const e = isObject(json.error) ? json.error : {};
        out.push({ type: 'error', error: { type: str(e.type) ?? 'api_error', message: str(e.message) ?? 'upstream stream error' } });
        return;
      }
      default:
        return; // message_stop and event types added after this was written
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
