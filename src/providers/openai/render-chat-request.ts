// Canonical ChatRequest -> OpenAI Chat Completions body (for requests that arrived in Anthropic
// format or were rewritten by a lever).

import type { ChatRequest, ContentPart, ImagePart, Message, TextPart, ToolResultPart } from '../../core/canonical.js';

export interface RenderOpenAIRequestOptions {
  /**
   * Which field carries the output limit: OpenAI's own API wants max_completion_tokens (reasoning
   * models reject max_tokens); many compatible servers only know max_tokens.
   */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
  /** ask for the usage chunk on streams, whatever the client asked (usage must always be known) */
  forceIncludeUsage?: boolean;
}

function imageUrl(p: ImagePart): string {
  if (p.url) return p.url;
  return `data:${p.mediaType ?? 'image/png'};base64,${p.data ?? ''}`;
}

function toolResultContent(r: ToolResultPart): string | { type: 'text'; text: string }[] {
  if (typeof r.content === 'string') return r.content;
  return r.content.map((t) => ({ type: 'text' as const, text: t.text }));
}

function userContent(parts: ContentPart[]): string | Record<string, unknown>[] {
  if (parts.length === 1 && parts[0]!.type === 'text') return parts[0]!.text;
  const out: Record<string, unknown>[] = [];
  for (const p of parts) {
    if (p.type === 'text') out.push({ type: 'text', text: p.text });
    else if (p.type === 'image') out.push({ type: 'image_url', image_url: { url: imageUrl(p) } });
  }
  return out;
}

function renderMessage(m: Message, out: Record<string, unknown>[]): void {
  const name = m.name ? { name: m.name } : {};
  if (m.role === 'assistant') {
    const text = m.content.filter((p): p is TextPart => p.type === 'text').map((p) => p.text).join('');
    const calls = m.content.filter((p) => p.type === 'tool_call');
    const msg: Record<string, unknown> = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, ...name };
    if (calls.length > 0) {
      msg.tool_calls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
    }
    out.push(msg);
    return;
  }
  // user and tool turns: tool results become `tool` messages (first, as they answer the previous
  // assistant turn), the rest a user message
  const rest: ContentPart[] = [];
  for (const p of m.content) {
    if (p.type === 'tool_result') out.push({ role: 'tool', tool_call_id: p.toolCallId, content: toolResultContent(p) });
    else if (p.type === 'text' || p.type === 'image') rest.push(p);
  }
  if (rest.length > 0) out.push({ role: 'user', content: userContent(rest), ...name });
}

export function renderOpenAIChatRequest(req: ChatRequest, model: string, opts: RenderOpenAIRequestOptions = {}): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [];
  for (const s of req.system) messages.push({ role: 'system', content: s.text });
  for (const m of req.messages) renderMessage(m, messages);

  // same-format extras first, so the canonical fields below always win
  const body: Record<string, unknown> = req.extraFormat === undefined || req.extraFormat === 'openai' ? { ...req.extra } : {};
  body.model = model;
  body.messages = messages;
  if (req.tools && req.tools.length > 0) {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), parameters: t.parameters },
    }));
  }
  if (req.toolChoice !== undefined) {
    body.tool_choice = typeof req.toolChoice === 'string' ? req.toolChoice : { type: 'function', function: { name: req.toolChoice.name } };
  }
  if (req.maxTokens !== undefined) body[opts.maxTokensField ?? 'max_completion_tokens'] = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop !== undefined) body.stop = req.stop;
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.n !== undefined) body.n = req.n;
  if (req.responseFormat !== undefined) {
    const rf = req.responseFormat;
    body.response_format =
      rf.type === 'json_schema'
        ? { type: 'json_schema', json_schema: { name: rf.name ?? 'response', schema: rf.schema, ...(rf.strict !== undefined ? { strict: rf.strict } : {}) } }
        : { type: rf.type };
  }
  if (req.user !== undefined) body.user = req.user;
  if (req.metadata !== undefined) body.metadata = req.metadata;
  if (req.stream) {
    body.stream = true;
    const extraSo = typeof body.stream_options === 'object' && body.stream_options !== null ? (body.stream_options as Record<string, unknown>) : {};
    body.stream_options = { ...extraSo, include_usage: req.includeUsage || opts.forceIncludeUsage === true };
  } else {
    delete body.stream;
    delete body.stream_options;
  }
  return body;
}
