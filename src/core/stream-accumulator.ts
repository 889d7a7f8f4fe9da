// Folds canonical stream events into a ChatResponse: used to record what a stream delivered, to
// store streamed responses in caches, and to answer a non-streaming client from a streaming upstream.

import { ZERO_USAGE, type ChatResponse, type ContentPart, type FinishReason, type StreamEvent, type Usage } from './canonical.js';
import { mergeUsage } from './usage.js';

export class StreamAccumulator {
  id = '';
  model = '';
  created = 0;
  usage: Usage = { ...ZERO_USAGE };
  /** true once any usage figure arrived from the provider */
  sawUsage = false;
  /** only the usage fields the provider actually reported (a reported zero is not a missing field) */
  reportedUsage: Partial<Usage> = {};
  finishReason?: FinishReason;
  rawFinishReason?: string;
  error?: { type: string; message: string; status?: number };
  private readonly blocks = new Map<number, ContentPart>();

  push(ev: StreamEvent): void {
    switch (ev.type) {
      case 'start':
        this.id = ev.id;
        this.model = ev.model;
        this.created = ev.created;
        if (ev.usage) this.applyUsage(ev.usage);
        break;
      case 'text_delta': {
        const b = this.blocks.get(ev.index);
        if (b?.type === 'text') b.text += ev.text;
        else this.blocks.set(ev.index, { type: 'text', text: ev.text });
        break;
      }
      case 'thinking_delta': {
        const b = this.blocks.get(ev.index);
        if (b?.type === 'thinking') b.text += ev.text;
        else this.blocks.set(ev.index, { type: 'thinking', text: ev.text });
        break;
      }
      case 'signature_delta': {
        const b = this.blocks.get(ev.index);
        if (b?.type === 'thinking') b.signature = (b.signature ?? '') + ev.signature;
        else if (b === undefined) this.blocks.set(ev.index, { type: 'thinking', text: '', signature: ev.signature });
        break;
      }
      case 'tool_call_start':
        this.blocks.set(ev.index, { type: 'tool_call', id: ev.id, name: ev.name, arguments: '' });
        break;
      case 'tool_call_delta': {
        const b = this.blocks.get(ev.index);
        if (b?.type === 'tool_call') b.arguments += ev.argumentsDelta;
        break;
      }
      case 'finish':
        this.finishReason = ev.finishReason;
        this.rawFinishReason = ev.rawFinishReason;
        break;
      case 'usage':
        this.applyUsage(ev.usage);
        break;
      case 'error':
        this.error = ev.error;
        break;
      case 'block_stop':
      case 'ping':
        break;
    }
  }

  private applyUsage(u: Partial<Usage>): void {
    this.usage = mergeUsage(this.usage, u);
    this.reportedUsage = { ...this.reportedUsage, ...Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined)) };
    this.sawUsage = true;
  }

  /** the text produced so far (for token estimates of cut streams) */
  text(): string {
    let s = '';
    for (const b of this.sortedBlocks()) {
      if (b.type === 'text' || b.type === 'thinking') s += b.text;
      else if (b.type === 'tool_call') s += b.name + b.arguments;
    }
    return s;
  }

  /** complete means the provider said why it stopped and no error event came */
  get complete(): boolean {
    return this.finishReason !== undefined && this.error === undefined;
  }

  private sortedBlocks(): ContentPart[] {
    return [...this.blocks.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }

  toResponse(): ChatResponse {
    return {
      id: this.id,
      model: this.model,
      created: this.created,
      content: this.sortedBlocks(),
      finishReason: this.finishReason ?? 'error',
      rawFinishReason: this.rawFinishReason,
      usage: { ...this.usage },
    };
  }
}

/** The reverse: a complete response as a canonical event sequence (cache hits served as streams). */
export function responseToEvents(r: ChatResponse): StreamEvent[] {
  const events: StreamEvent[] = [{ type: 'start', id: r.id, model: r.model, created: r.created, usage: { input: r.usage.input, cacheRead: r.usage.cacheRead, cacheWrite5m: r.usage.cacheWrite5m, cacheWrite1h: r.usage.cacheWrite1h, output: 0 } }];
  r.content.forEach((part, index) => {
    if (part.type === 'text') events.push({ type: 'text_delta', index, text: part.text });
    else if (part.type === 'thinking') {
      events.push({ type: 'thinking_delta', index, text: part.text });
      if (part.signature) events.push({ type: 'signature_delta', index, signature: part.signature });
    }
    else if (part.type === 'tool_call') {
      events.push({ type: 'tool_call_start', index, id: part.id, name: part.name });
      events.push({ type: 'tool_call_delta', index, argumentsDelta: part.arguments });
    } else return;
    events.push({ type: 'block_stop', index });
  });
  events.push({ type: 'finish', finishReason: r.finishReason, rawFinishReason: r.rawFinishReason });
  events.push({ type: 'usage', usage: { ...r.usage } });
  return events;
}
