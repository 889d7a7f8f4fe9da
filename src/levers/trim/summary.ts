// Summaries of dropped turns, made once per conversation prefix: a bounded LRU of promises keyed by
// the hash of (summary model, tools and system, the dropped messages), so concurrent requests of
// one conversation share one call, and a later turn that drops more starts from the summary of
// what an earlier turn dropped (only the new turns go to the model with it).

import type { ChatRequest, ContentPart, Message } from '../../core/canonical.js';
import type { GatewayContext } from '../../pipeline/stage.js';

export interface Summary {
  /** the text that replaces the dropped turns in the request */
  text: string;
  /** dollars the call cost (0 when it came from the cache) */
  costUsd: number;
}

const SUMMARY_PROMPT =
  'You compress the earlier part of a conversation for the assistant who continues it. Write a short summary that keeps every fact, name, number, decision, preference and open question, in the order they came up. No preamble.';

/** how much of a dropped message goes into the summary request (the request stays bounded) */
const MAX_CHARS_PER_MESSAGE = 8_000;
const MAX_TRANSCRIPT_CHARS = 64_000;

const partText = (p: ContentPart): string =>
  p.type === 'text' ? p.text : p.type === 'tool_call' ? `[tool call ${p.name}(${p.arguments})]` : p.type === 'tool_result' ? `[tool result: ${typeof p.content === 'string' ? p.content : p.content.map((x) => x.text).join(' ')}]` : p.type === 'image' ? '[image]' : '';

export function transcript(messages: readonly Message[]): string {
  let out = '';
  for (const m of messages) {
    const text = m.content.map(partText).join(' ').slice(0, MAX_CHARS_PER_MESSAGE);
    out += `${m.role}: ${text}\n`;
    if (out.length > MAX_TRANSCRIPT_CHARS) return out.slice(0, MAX_TRANSCRIPT_CHARS);
  }
  return out;
}

export function summaryRequest(model: string, maxTokens: number, previous: string | undefined, messages: readonly Message[]): ChatRequest {
  const body = previous ? `Summary so far:\n${previous}\n\nLater turns to fold in:\n${transcript(messages)}` : `Conversation:\n${transcript(messages)}`;
  return {
    model,
    system: [{ type: 'text', text: SUMMARY_PROMPT }],
    messages: [{ role: 'user', content: [{ type: 'text', text: body }] }],
    maxTokens,
    temperature: 0,
    stream: false,
    includeUsage: false,
    extra: {},
  };
}

/** the part that stands for the dropped turns in the trimmed request */
export const summaryPart = (turns: number, text: string): string => `[Summary of ${turns} earlier turn${turns === 1 ? '' : 's'} of this conversation]\n${text}`;

export class SummaryCache {
  private readonly entries = new Map<string, Promise<string>>();
  /** the texts of the calls that finished, for the synchronous break-even (same keys, same bound) */
  private readonly done = new Map<string, string>();
  constructor(private readonly max: number) {}

  get(key: string): Promise<string> | undefined {
    const p = this.entries.get(key);
    if (p) {
      this.entries.delete(key);
      this.entries.set(key, p);
    }
    return p;
  }

  /** the finished summary for `key`, if there is one */
  peek(key: string): string | undefined {
    return this.entries.has(key) ? this.done.get(key) : undefined;
  }

  /** the summary for `key`, made by `make` only when no call made or making it is remembered */
  async getOrMake(key: string, make: () => Promise<string>): Promise<{ text: string; made: boolean }> {
    const hit = this.get(key);
    if (hit) return { text: await hit, made: false };
    const p = make().then((text) => {
      if (this.entries.get(key) === p) this.done.set(key, text);
      return text;
    });
    this.entries.set(key, p);
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.done.delete(oldest);
    }
    try {
      return { text: await p, made: true };
    } catch (err) {
      // a failed summary is not remembered: the next request may try again
      if (this.entries.get(key) === p) this.entries.delete(key);
      throw err;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** one summary call through the gateway's own calls: an attempt with purpose `summary` */
export async function callSummary(ctx: GatewayContext, request: ChatRequest): Promise<{ text: string; costUsd: number }> {
  const before = ctx.attempts.length;
  const r = await ctx.callModel(request.model, request, { purpose: 'summary' });
  const costUsd = ctx.attempts.slice(before).reduce((s, a) => s + a.costUsd, 0);
  const text = r.content.map((p) => (p.type === 'text' ? p.text : '')).join('').trim();
  if (!text) throw new Error('the summary model answered with no text');
  return { text, costUsd };
}
