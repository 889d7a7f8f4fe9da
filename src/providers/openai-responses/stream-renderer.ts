// Canonical stream events -> the Responses API event stream, as OpenAI sends it: `event:` and
// `data:` lines, every event with a sequence_number; response.created and response.in_progress,
// then per output item output_item.added, its part/delta/done events and output_item.done, and at
// the end response.completed (or response.incomplete) carrying the whole response and its usage.

import type { ChatRequest, FinishReason, StreamEvent, Usage } from '../../core/canonical.js';
import { ZERO_USAGE } from '../../core/canonical.js';
import { mergeUsage } from '../../core/usage.js';
import type { WireStreamRenderer } from '../codec.js';
import type { Json } from '../shared/json.js';
import { idWithPrefix, nowSeconds } from '../shared/ids.js';
import { itemId } from './ids.js';
import { functionCallItem, messageItem, outputText, reasoningItem, responseObject, statusOf, type ResponseShell } from './render-response.js';

interface OpenItem {
  kind: 'message' | 'function_call' | 'reasoning';
  outputIndex: number;
  id: string;
  text: string;
  callId?: string;
  name?: string;
  /** a reasoning item's provider signature, handed back as encrypted_content */
  signature?: string;
}

export function createResponsesStreamRenderer(opts: { model: string; includeUsage: boolean; id?: string; request?: ChatRequest }): WireStreamRenderer {
  let seq = 0;
  let shell: ResponseShell | undefined;
  let usage: Usage = { ...ZERO_USAGE };
  let finish: FinishReason | undefined;
  const open = new Map<number, OpenItem>();
  const output: Json[] = [];

  const event = (type: string, body: Json): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...body, sequence_number: seq++ })}\n\n`;

  const start = (evId?: string, created?: number): string => {
    const id = opts.id ?? idWithPrefix(evId, 'resp_');
    shell = { id, model: opts.model, createdAt: created || nowSeconds(), request: opts.request };
    const r = responseObject(shell, { status: 'in_progress', output: [] });
    return event('response.created', { response: r }) + event('response.in_progress', { response: r });
  };

  const openItem = (index: number, kind: OpenItem['kind'], extra: Partial<OpenItem> = {}): [OpenItem, string] => {
    const outputIndex = output.length;
    output.push({}); // its place, filled when it is done
    const prefix = kind === 'message' ? 'msg' : kind === 'function_call' ? 'fc' : 'rs';
    const item: OpenItem = { kind, outputIndex, id: itemId(prefix, shell!.id, 'o', outputIndex), text: '', ...extra };
    open.set(index, item);
    let out: string;
    if (kind === 'message') {
      out = event('response.output_item.added', { output_index: outputIndex, item: messageItem(item.id, '', 'in_progress') });
      out += event('response.content_part.added', { item_id: item.id, output_index: outputIndex, content_index: 0, part: outputText('') });
    } else if (kind === 'function_call') {
      out = event('response.output_item.added', { output_index: outputIndex, item: functionCallItem(item.id, item.callId!, item.name!, '', 'in_progress') });
    } else {
      out = event('response.output_item.added', { output_index: outputIndex, item: reasoningItem(item.id, '', undefined, false) });
      out += event('response.reasoning_summary_part.added', { item_id: item.id, output_index: outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' } });
    }
    return [item, out];
  };

  const closeItem = (index: number): string => {
    const it = open.get(index);
    if (!it) return '';
    open.delete(index);
    const base = { item_id: it.id, output_index: it.outputIndex };
    let out = '';
    let done: Json;
    if (it.kind === 'message') {
      out += event('response.output_text.done', { ...base, content_index: 0, text: it.text, logprobs: [] });
      out += event('response.content_part.done', { ...base, content_index: 0, part: outputText(it.text) });
      done = messageItem(it.id, it.text, 'completed');
    } else if (it.kind === 'function_call') {
      out += event('response.function_call_arguments.done', { ...base, name: it.name, arguments: it.text });
      done = functionCallItem(it.id, it.callId!, it.name!, it.text, 'completed');
    } else {
      out += event('response.reasoning_summary_text.done', { ...base, summary_index: 0, text: it.text });
      out += event('response.reasoning_summary_part.done', { ...base, summary_index: 0, part: { type: 'summary_text', text: it.text } });
      done = reasoningItem(it.id, it.text, it.signature, true);
    }
    output[it.outputIndex] = done;
    return out + event('response.output_item.done', { output_index: it.outputIndex, item: done });
  };

  const closeAll = (): string => [...open.keys()].sort((a, b) => a - b).map(closeItem).join('');

  return {
    render(ev: StreamEvent): string {
      if (ev.type === 'error') {
        return event('error', { code: ev.error.type, message: ev.error.message, param: null });
      }
      if (ev.type === 'start') {
        if (ev.usage) usage = mergeUsage(usage, ev.usage);
        return shell ? '' : start(ev.id, ev.created);
      }
      if (ev.type === 'usage') {
        usage = mergeUsage(usage, ev.usage);
        return '';
      }
      if (ev.type === 'ping') return '';
      let out = shell ? '' : start();
      switch (ev.type) {
        case 'text_delta': {
          if (ev.text === '') return out;
          let it = open.get(ev.index);
          if (!it) {
            let opened: string;
            [it, opened] = openItem(ev.index, 'message');
            out += opened;
          }
          it.text += ev.text;
          return out + event('response.output_text.delta', { item_id: it.id, output_index: it.outputIndex, content_index: 0, delta: ev.text, logprobs: [] });
        }
        case 'thinking_delta': {
          if (ev.text === '') return out;
          let it = open.get(ev.index);
          if (!it) {
            let opened: string;
            [it, opened] = openItem(ev.index, 'reasoning');
            out += opened;
          }
          it.text += ev.text;
          return out + event('response.reasoning_summary_text.delta', { item_id: it.id, output_index: it.outputIndex, summary_index: 0, delta: ev.text });
        }
        case 'signature_delta': {
          let it = open.get(ev.index);
          if (!it) {
            let opened: string;
            [it, opened] = openItem(ev.index, 'reasoning');
            out += opened;
          }
          it.signature = (it.signature ?? '') + ev.signature;
          return out;
        }
        case 'tool_call_start': {
          const [, opened] = openItem(ev.index, 'function_call', { callId: ev.id, name: ev.name });
          return out + opened;
        }
        case 'tool_call_delta': {
          const it = open.get(ev.index);
          if (!it || ev.argumentsDelta === '') return out;
          it.text += ev.argumentsDelta;
          return out + event('response.function_call_arguments.delta', { item_id: it.id, output_index: it.outputIndex, delta: ev.argumentsDelta });
        }
        case 'block_stop':
          return out + closeItem(ev.index);
        case 'finish':
          finish = ev.finishReason;
          return out + closeAll();
      }
      return out;
    },
    end(): string {
      let out = shell ? '' : start();
      out += closeAll();
      const status = statusOf(finish ?? 'stop');
      const r = responseObject(shell!, { status, output: output.filter((o) => o.type !== undefined), usage, finish });
      return out + event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: r });
    },
  };
}
