// Canonical stream events -> the exact Anthropic Messages SSE sequence: message_start (with the
// usage known so far), content_block_start/delta/stop per block with contiguous indexes,
// message_delta (stop_reason and cumulative usage), message_stop.

import type { StreamEvent, Usage } from '../../core/canonical.js';
import { ZERO_USAGE } from '../../core/canonical.js';
import { mergeUsage } from '../../core/usage.js';
import { usageToAnthropic } from './usage.js';
import { idWithPrefix } from '../shared/ids.js';
import type { WireStreamRenderer } from '../codec.js';
import { finishReasonToAnthropic } from './map-stop-reason.js';

function sse(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

type OpenKind = 'text' | 'thinking' | 'tool_use';

/**
 * `inputTokens`: a local count of the request's input, reported in message_start when the upstream
 * has not said its own by then (an OpenAI upstream reports usage only at the end); message_delta
 * then carries the upstream's figures, which replace it.
 */
export function createAnthropicStreamRenderer(opts: { model: string; id?: string; inputTokens?: number }): WireStreamRenderer {
  let id = opts.id;
  let started = false;
  let usage: Usage = { ...ZERO_USAGE };
  let stop: string | undefined;
  let ended = false;
  let nextOut = 0;
  /** canonical index -> output index, for blocks already started */
  const outIndex = new Map<number, number>();
  let open: { canonical: number; out: number; kind: OpenKind } | undefined;

  // message_start waits for the first event that is not start/usage, so it carries the input usage
  // a provider reports right after its own start
  const ensureStarted = (): string => {
    if (started) return '';
    started = true;
    id ??= idWithPrefix(undefined, 'msg_');
    const reported = usage.input + usage.cacheRead + usage.cacheWrite5m + usage.cacheWrite1h > 0;
    const u = usageToAnthropic(reported || opts.inputTokens === undefined ? usage : { ...usage, input: opts.inputTokens });
    return sse('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model: opts.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...u, service_tier: 'standard' },
      },
    });
  };

  const closeOpen = (): string => {
    if (!open) return '';
    const s = sse('content_block_stop', { index: open.out });
    open = undefined;
    return s;
  };

  /** Opens the block for canonical index `i` (closing another one first); '' if already open. */
  const openBlock = (i: number, kind: OpenKind, contentBlock: Record<string, unknown>): string => {
    if (open?.canonical === i) return '';
    if (outIndex.has(i)) return ''; // reopened after a stop: Anthropic cannot say that; drop
    let s = closeOpen();
    const out = nextOut++;
    outIndex.set(i, out);
    open = { canonical: i, out, kind };
    s += sse('content_block_start', { index: out, content_block: contentBlock });
    return s;
  };

  return {
    render(ev) {
      if (ended) return '';
      switch (ev.type) {
        case 'start':
          id ??= idWithPrefix(ev.id, 'msg_');
          if (ev.usage) usage = mergeUsage(usage, ev.usage);
          return '';
        case 'usage':
          usage = mergeUsage(usage, ev.usage);
          return '';
        case 'ping':
          return ensureStarted() + sse('ping', {});
        case 'error':
          return sse('error', { error: { type: ev.error.type, message: ev.error.message } });
        case 'text_delta': {
          let s = ensureStarted() + openBlock(ev.index, 'text', { type: 'text', text: '' });
          if (open?.canonical === ev.index && ev.text !== '') s += sse('content_block_delta', { index: open.out, delta: { type: 'text_delta', text: ev.text } });
          return s;
        }
        case 'thinking_delta': {
          let s = ensureStarted() + openBlock(ev.index, 'thinking', { type: 'thinking', thinking: '', signature: '' });
          if (open?.canonical === ev.index && ev.text !== '') s += sse('content_block_delta', { index: open.out, delta: { type: 'thinking_delta', thinking: ev.text } });
          return s;
        }
        case 'signature_delta': {
          // a signature closes its thinking block: it goes out on the block it signs, never another
          let s = ensureStarted() + openBlock(ev.index, 'thinking', { type: 'thinking', thinking: '', signature: '' });
          if (open?.canonical === ev.index && open.kind === 'thinking' && ev.signature !== '') s += sse('content_block_delta', { index: open.out, delta: { type: 'signature_delta', signature: ev.signature } });
          return s;
        }
        case 'tool_call_start':
          return ensureStarted() + openBlock(ev.index, 'tool_use', { type: 'tool_use', id: ev.id, name: ev.name, input: {} });
        case 'tool_call_delta':
          if (open?.canonical !== ev.index || ev.argumentsDelta === '') return ensureStarted();
          return ensureStarted() + sse('content_block_delta', { index: open.out, delta: { type: 'input_json_delta', partial_json: ev.argumentsDelta } });
        case 'block_stop':
          return open?.canonical === ev.index ? closeOpen() : '';
        case 'finish':
          stop = finishReasonToAnthropic(ev.finishReason, ev.rawFinishReason);
          return ensureStarted() + closeOpen();
      }
    },
    end() {
      if (ended) return '';
      ended = true;
      let s = ensureStarted() + closeOpen();
      const u = usageToAnthropic(usage);
      s += sse('message_delta', { delta: { stop_reason: stop ?? 'end_turn', stop_sequence: null }, usage: u });
      s += sse('message_stop', {});
      return s;
    },
  };
}
