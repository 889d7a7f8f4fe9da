// Canonical stream events -> the exact OpenAI chat.completion.chunk SSE text a client expects: a
// first chunk with the assistant role, content and tool-call deltas, the finish chunk, then (when
// asked) the usage chunk with `choices: []`, then `data: [DONE]`.

import type { StreamEvent, Usage } from '../../core/canonical.js';
import { ZERO_USAGE } from '../../core/canonical.js';
import { mergeUsage } from '../../core/usage.js';
import { usageToOpenAI } from './usage.js';
import { idWithPrefix, nowSeconds } from '../shared/ids.js';
import type { WireStreamRenderer } from '../codec.js';
import { finishReasonToOpenAI } from './map-finish-reason.js';

export function createOpenAIStreamRenderer(opts: { model: string; includeUsage: boolean; id?: string }): WireStreamRenderer {
  let id = opts.id;
  let created = 0;
  let started = false;
  let usage: Usage = { ...ZERO_USAGE };
  let sawUsage = false;
  const toolIndex = new Map<number, number>();

  const chunk = (choices: unknown[], withUsage?: unknown): string => {
    const body: Record<string, unknown> = {
      id,
      object: 'chat.completion.chunk',
      created,
      model: opts.model,
      service_tier: 'default',
      system_fingerprint: null,
      choices,
    };
    if (opts.includeUsage) body.usage = withUsage ?? null;
    return `data: ${JSON.stringify(body)}\n\n`;
  };
  const delta = (d: Record<string, unknown>, finish: string | null = null): string =>
    chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

  const start = (evId?: string, evCreated?: number): string => {
    started = true;
    id ??= idWithPrefix(evId, 'chatcmpl-');
    created = evCreated || nowSeconds();
    return delta({ role: 'assistant', content: '', refusal: null });
  };

  return {
    render(ev) {
      if (ev.type === 'error') {
        return `data: ${JSON.stringify({ error: { message: ev.error.message, type: ev.error.type, param: null, code: ev.error.status ?? null } })}\n\n`;
      }
      let prefix = '';
      if (ev.type === 'start') {
        if (ev.usage) {
          usage = mergeUsage(usage, ev.usage);
          sawUsage = true;
        }
        return started ? '' : start(ev.id, ev.created);
      }
      if (ev.type === 'usage') {
        usage = mergeUsage(usage, ev.usage);
        sawUsage = true;
        return '';
      }
      if (ev.type === 'ping' || ev.type === 'block_stop') return '';
      if (!started) prefix = start();
      switch (ev.type) {
        case 'text_delta':
          return prefix + (ev.text === '' ? '' : delta({ content: ev.text }));
        case 'thinking_delta':
          return prefix; // Chat Completions has no wire field for reasoning text
        case 'tool_call_start': {
          const ti = toolIndex.size;
          toolIndex.set(ev.index, ti);
          return prefix + delta({ tool_calls: [{ index: ti, id: ev.id, type: 'function', function: { name: ev.name, arguments: '' } }] });
        }
        case 'tool_call_delta': {
          const ti = toolIndex.get(ev.index);
          if (ti === undefined || ev.argumentsDelta === '') return prefix;
          return prefix + delta({ tool_calls: [{ index: ti, function: { arguments: ev.argumentsDelta } }] });
        }
        case 'finish':
          return prefix + delta({}, finishReasonToOpenAI(ev.finishReason));
      }
      return prefix;
    },
    end() {
      let out = started ? '' : start();
      if (opts.includeUsage && sawUsage) out += chunk([], usageToOpenAI(usage));
      return out + 'data: [DONE]\n\n';
    },
  };
}
