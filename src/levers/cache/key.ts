// Cache keys: a hash of the normalized request. Everything that can change the answer is in the
// key (model or route, system, messages, tools, tool choice, sampling and output parameters,
// unnamed wire fields); what cannot (stream flag, usage options, user/metadata, cache_control
// markers) is left out so the same question asked streaming and non-streaming shares one entry.

import { createHash } from 'node:crypto';
import type { ChatRequest, ContentPart, Message, TextPart } from '../../core/canonical.js';

/** bump when the normalisation changes, so old entries stop matching */
const KEY_VERSION = 1;

/** wire fields in `extra` that do not change the output */
const EXTRA_IGNORED = new Set(['stream_options', 'user', 'metadata', 'store', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention']);

function part(p: ContentPart): unknown {
  switch (p.type) {
    case 'text':
      return ['t', p.text];
    case 'image':
      return ['i', p.url ?? '', p.mediaType ?? '', p.data ?? ''];
    case 'tool_call':
      return ['c', p.id, p.name, p.arguments];
    case 'tool_result':
      return ['r', p.toolCallId, typeof p.content === 'string' ? p.content : p.content.map((x) => x.text), p.isError ?? false];
    case 'thinking':
      return ['h', p.text];
  }
}

function messages(ms: readonly Message[]): unknown[] {
  return ms.map((m) => [m.role, m.name ?? '', m.content.map(part)]);
}

function system(s: readonly TextPart[]): string[] {
  return s.map((p) => p.text);
}

const LITERAL = 0;
const VALUE = 1;

/**
 * Deterministic JSON: object keys sorted, undefined dropped. Iterative (an explicit stack, not
 * recursion), so no nesting depth can overflow the call stack.
 */
export function stableStringify(root: unknown): string {
  let out = '';
  // two parallel stacks: what to do (write a literal, or serialise a value) and its operand
  const kinds: number[] = [VALUE];
  const items: unknown[] = [root];
  while (items.length > 0) {
    const kind = kinds.pop();
    const v = items.pop();
    if (kind === LITERAL) {
      out += v as string;
      continue;
    }
    if (v === null || typeof v !== 'object') {
      out += JSON.stringify(v) ?? 'null';
      continue;
    }
    // pushed in reverse, so that they pop in order
    if (Array.isArray(v)) {
      kinds.push(LITERAL);
      items.push(']');
      for (let i = v.length - 1; i >= 0; i--) {
        kinds.push(VALUE);
        items.push(v[i]);
        if (i > 0) {
          kinds.push(LITERAL);
          items.push(',');
        }
      }
      kinds.push(LITERAL);
      items.push('[');
      continue;
    }
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    kinds.push(LITERAL);
    items.push('}');
    for (let i = keys.length - 1; i >= 0; i--) {
      kinds.push(VALUE);
      items.push(o[keys[i]!]);
      kinds.push(LITERAL);
      items.push((i > 0 ? ',' : '') + JSON.stringify(keys[i]) + ':');
    }
    kinds.push(LITERAL);
    items.push('{');
  }
  return out;
}

function extra(e: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(e)) if (!EXTRA_IGNORED.has(k)) out[k] = e[k];
  return out;
}

function tools(req: ChatRequest): unknown {
  return req.tools?.map((t) => [t.name, t.description ?? '', t.parameters]);
}

/** The parameters that change the output, shared by the exact key and the semantic context hash. */
function params(req: ChatRequest): Record<string, unknown> {
  return {
    tools: tools(req),
    toolChoice: req.toolChoice,
    maxTokens: req.maxTokens,
    temperature: req.temperature,
    topP: req.topP,
    stop: req.stop,
    seed: req.seed,
    n: req.n,
    responseFormat: req.responseFormat,
    extra: extra(req.extra),
  };
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * The exact-cache key. `name` is the route name when the client asked for a route, else the model;
 * `scope` is the tenant ('' when the cache is global).
 */
export function exactKey(req: ChatRequest, name: string, scope: string): string {
  return sha(stableStringify({ v: KEY_VERSION, scope, name, system: system(req.system), messages: messages(req.messages), ...params(req) }));
}

/** Index of the last user message, or -1. */
export function lastUserIndex(req: ChatRequest): number {
  for (let i = req.messages.length - 1; i >= 0; i--) if (req.messages[i]!.role === 'user') return i;
  return -1;
}

/**
 * What the semantic cache embeds: the text of the last user turn, when that turn is the final
 * message and holds only text (images and tool results are not paraphrasable safely).
 */
export function lastUserText(req: ChatRequest): string | undefined {
  const i = lastUserIndex(req);
  if (i < 0 || i !== req.messages.length - 1) return undefined;
  const m = req.messages[i]!;
  if (!m.content.every((p) => p.type === 'text')) return undefined;
  const t = m.content.map((p) => (p as TextPart).text).join('\n').trim();
  return t.length ? t : undefined;
}

/**
 * The semantic partition: everything except the last user turn, hashed. Two requests can only be
 * semantic neighbours when this matches exactly (same tenant, route/model, system, tools,
 * parameters and conversation prefix), which makes multi-turn traffic safe by construction.
 */
export function contextHash(req: ChatRequest, name: string, scope: string): string {
  const i = lastUserIndex(req);
  const prefix = req.messages.slice(0, Math.max(0, i));
  return sha(stableStringify({ v: KEY_VERSION, sem: 1, scope, name, system: system(req.system), prefix: messages(prefix), user: req.messages[i]?.name ?? '', ...params(req) }));
}
