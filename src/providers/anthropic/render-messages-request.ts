// Canonical ChatRequest -> Anthropic Messages body. Anthropic is stricter than OpenAI: max_tokens is
// required, roles must alternate (consecutive same-role turns are merged), tool results travel in
// user turns and come first there, empty text blocks are refused, temperature tops out at 1.

import { withoutThinking, type CacheControl, type ChatRequest, type ContentPart, type ImagePart, type TextPart } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import { DEFAULT_MAX_TOKENS } from '../config.js';
import { renderAnthropicCacheControl } from './cache-control.js';
import { tryParseJson, isObject } from '../shared/json.js';

export interface RenderAnthropicRequestOptions {
  /** max_tokens when the request has none (OpenAI-origin requests often omit it) */
  maxTokensDefault?: number;
  /** leave out the history's thinking blocks (their signatures are another provider's) */
  dropThinking?: boolean;
}

type Block = Record<string, unknown>;

function cc(c: CacheControl | undefined): Block {
  return c ? { cache_control: renderAnthropicCacheControl(c) } : {};
}

function textBlock(t: TextPart): Block {
  if (t.document) {
    const { title, context } = t.document;
    return {
      type: 'document',
      source: { type: 'text', media_type: 'text/plain', data: t.text },
      ...(title !== undefined ? { title } : {}),
      ...(context !== undefined ? { context } : {}),
      ...cc(t.cacheControl),
    };
  }
  return { type: 'text', text: t.text, ...cc(t.cacheControl) };
}

function imageBlock(p: ImagePart): Block {
  if (p.data !== undefined) return { type: 'image', source: { type: 'base64', media_type: p.mediaType ?? 'image/png', data: p.data }, ...cc(p.cacheControl) };
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(p.url ?? '');
  if (m) return { type: 'image', source: { type: 'base64', media_type: m[1], data: m[2] }, ...cc(p.cacheControl) };
  return { type: 'image', source: { type: 'url', url: p.url ?? '' }, ...cc(p.cacheControl) };
}

function toolInput(args: string): Record<string, unknown> {
  const v = tryParseJson(args === '' ? '{}' : args);
  return isObject(v) ? v : {};
}

function block(p: ContentPart): Block | undefined {
  switch (p.type) {
    case 'text':
      return p.text === '' ? undefined : textBlock(p);
    case 'image':
      return imageBlock(p);
    case 'tool_call':
      return { type: 'tool_use', id: p.id, name: p.name, input: toolInput(p.arguments), ...cc(p.cacheControl) };
    case 'tool_result':
      return {
        type: 'tool_result',
        tool_use_id: p.toolCallId,
        content: typeof p.content === 'string' ? p.content : p.content.filter((t) => t.text !== '').map(textBlock),
        ...(p.isError ? { is_error: true } : {}),
        ...cc(p.cacheControl),
      };
    case 'thinking':
      // a thinking block without its signature is refused by Anthropic: only signed ones go back
      return p.signature ? { type: 'thinking', thinking: p.text, signature: p.signature } : undefined;
  }
}

export function renderAnthropicMessagesRequest(req0: ChatRequest, model: string, opts: RenderAnthropicRequestOptions = {}): Record<string, unknown> {
  if (req0.n !== undefined && req0.n > 1) throw new GatewayError('unsupported', 'n > 1 is not supported by Anthropic models.', { param: 'n' });
  const req = opts.dropThinking ? withoutThinking(req0) : req0;
  // with thinking on, Anthropic wants the last assistant turn of a tool loop to open with its
  // thinking block: when that block is dropped, this one call goes without thinking
  const lastAssistant = [...req0.messages].reverse().find((m) => m.role === 'assistant');
  const thinkingOff = opts.dropThinking === true && lastAssistant !== undefined && lastAssistant.content.some((p) => p.type === 'thinking') && lastAssistant.content.some((p) => p.type === 'tool_call');

  const turns: { role: 'user' | 'assistant'; content: Block[] }[] = [];
  for (const m of req.messages) {
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const blocks = m.content.map(block).filter((b): b is Block => b !== undefined);
    if (blocks.length === 0) continue;
    const last = turns.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  }
  for (const t of turns) {
    if (t.role !== 'user') continue;
    // tool results must open the user turn that answers a tool_use
    const results = t.content.filter((b) => b.type === 'tool_result');
    if (results.length > 0) t.content = [...results, ...t.content.filter((b) => b.type !== 'tool_result')];
  }
  const messages = turns.map((t) =>
    t.content.length === 1 && t.content[0]!.type === 'text' && t.content[0]!.cache_control === undefined ? { role: t.role, content: t.content[0]!.text } : t,
  );

  const body: Record<string, unknown> = req.extraFormat === 'anthropic' ? { ...req.extra } : {};
  if (thinkingOff) delete body.thinking;
  body.model = model;
  body.max_tokens = req.maxTokens ?? opts.maxTokensDefault ?? DEFAULT_MAX_TOKENS;
  const system = req.system.filter((s) => s.text !== '');
  if (system.length === 1 && !system[0]!.cacheControl) body.system = system[0]!.text;
  else if (system.length > 0) body.system = system.map(textBlock);
  body.messages = messages;
  if (req.tools && req.tools.length > 0) {
    body.tools = req.tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      input_schema: t.parameters,
      ...cc(t.cacheControl),
    }));
  }
  if (req.toolChoice !== undefined && body.tool_choice === undefined) {
    const c = req.toolChoice;
    if (c === 'auto') body.tool_choice = { type: 'auto' };
    else if (c === 'required') body.tool_choice = { type: 'any' };
    else if (c === 'none') {
      if (body.tools) body.tool_choice = { type: 'none' };
    } else body.tool_choice = { type: 'tool', name: c.name };
  }
  if (req.temperature !== undefined) body.temperature = Math.min(req.temperature, 1);
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop !== undefined && req.stop.length > 0) body.stop_sequences = req.stop;
  if (req.user !== undefined) body.metadata = { user_id: req.user };
  if (req.responseFormat?.type === 'json_schema' && body.output_format === undefined) {
    // Anthropic's structured outputs; the other output_config fields (effort) stay as the client set them
    const oc = isObject(body.output_config) ? body.output_config : {};
    body.output_config = { ...oc, format: { type: 'json_schema', schema: req.responseFormat.schema } };
  }
  if (req.stream) body.stream = true;
  else delete body.stream;
  return body;
}
