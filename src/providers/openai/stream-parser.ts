// OpenAI chat.completion.chunk SSE -> canonical stream events, incrementally over arbitrary byte
// splits. Canonical block indexes are given out in order of first appearance (reasoning, text, each
// tool call), so folding the events rebuilds the content in the order the model produced it.

import type { StreamEvent } from '../../core/canonical.js';
import { usageFromOpenAI, type OpenAIUsageWire } from './usage.js';
import type { WireStreamParser } from '../codec.js';
import type { StreamChunk } from '../contract.js';
import { isObject, num, str, tryParseJson } from '../shared/json.js';
import { SseDecoder, type SseEvent } from '../shared/sse-decoder.js';
import { finishReasonFromOpenAI } from './map-finish-reason.js';

export function createOpenAIStreamParser(): WireStreamParser {
  const decoder = new SseDecoder();
  let started = false;
  let nextBlock = 0;
  const blocks = new Map<string, number>();
  const open = new Set<number>();
  const toolSeen = new Set<number>();

  const block = (key: string): number => {
    let i = blocks.get(key);
    if (i === undefined) {
      i = nextBlock++;
      blocks.set(key, i);
      open.add(i);
    }
    return i;
  };

  const translate = (sse: SseEvent, out: StreamEvent[]): void => {
    if (!sse.hasData) return;
    const data = sse.data.trim();
    if (data === '' || data === '[DONE]') return;
    const json = tryParseJson(data);
    if (!isObject(json)) return; // not ours to judge: a relay still forwards the bytes
    if (json.error !== undefined && json.error !== null) {
      const e = isObject(json.error) ? json.error : { message: String(json.error) };
      const status = num(e.code) ?? num(e.status);
      out.push({
        type: 'error',
        error: { type: str(e.type) ?? 'api_error', message: str(e.message) ?? 'upstream stream error', ...(status !== undefined ? { status } : {}) },
      });
      return;
    }
    if (!started) {
      started = true;
      out.push({ type: 'start', id: str(json.id) ?? '', model: str(json.model) ?? '', created: num(json.created) ?? Math.floor(Date.now() / 1000) });
    }
    const choices = Array.isArray(json.choices) ? json.choices : [];
    const choice = choices.find((c) => isObject(c) && (c.index === 0 || c.index === undefined));
    if (isObject(choice)) {
      const delta = isObject(choice.delta) ? choice.delta : {};
      const reasoning = str(delta.reasoning_content) ?? str(delta.reasoning);
      if (reasoning) out.push({ type: 'thinking_delta', index: block('thinking'), text: reasoning });
      const content = str(delta.content);
      if (content) out.push({ type: 'text_delta', index: block('text'), text: content });
      const refusal = str(delta.refusal);
      if (refusal) out.push({ type: 'text_delta', index: block('text'), text: refusal });
      if (Array.isArray(delta.tool_calls)) {
        for (const tc of delta.tool_calls) {
          if (!isObject(tc)) continue;
          const ti = num(tc.index) ?? 0;
          const idx = block(`tool:${ti}`);
          const fn = isObject(tc.function) ? tc.function : {};
          if (!toolSeen.has(ti)) {
            toolSeen.add(ti);
            out.push({ type: 'tool_call_start', index: idx, id: str(tc.id) ?? '', name: str(fn.name) ?? '' });
          }
          const args = str(fn.arguments);
          if (args) out.push({ type: 'tool_call_delta', index: idx, argumentsDelta: args });
        }
      }
      const finish = str(choice.finish_reason);
      if (finish) {
        for (const i of [...open].sort((a, b) => a - b)) out.push({ type: 'block_stop', index: i });
        open.clear();
        out.push({ type: 'finish', finishReason: finishReasonFromOpenAI(finish), rawFinishReason: finish });
      }
    }
    if (isObject(json.usage)) out.push({ type: 'usage', usage: usageFromOpenAI(json.usage as OpenAIUsageWire) });
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
