// Canonical ChatResponse -> the Responses API `response` object, with the request's settings echoed
// as OpenAI echoes them (instructions, tools, text.format, store, previous_response_id...).

import type { ChatRequest, ChatResponse, ContentPart, FinishReason, Usage } from '../../core/canonical.js';
import type { Json } from '../shared/json.js';
import { idWithPrefix, nowSeconds } from '../shared/ids.js';
import { itemId } from './ids.js';
import { usageToResponses } from './usage.js';

export function messageItem(id: string, text: string, status: 'in_progress' | 'completed'): Json {
  return { id, type: 'message', status, role: 'assistant', content: status === 'in_progress' ? [] : [outputText(text)] };
}

export function outputText(text: string): Json {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

export function functionCallItem(id: string, callId: string, name: string, args: string, status: 'in_progress' | 'completed'): Json {
  return { id, type: 'function_call', status, arguments: args, call_id: callId, name };
}

export function reasoningItem(id: string, text: string, signature: string | undefined, done: boolean): Json {
  const item: Json = { id, type: 'reasoning', summary: done && text !== '' ? [{ type: 'summary_text', text }] : [] };
  // the provider's signature rides in encrypted_content, so a later turn hands it back intact
  if (signature) item.encrypted_content = signature;
  return item;
}

/** The output items of a complete answer, ids derived from the response id. */
export function outputItems(content: readonly ContentPart[], responseId: string): Json[] {
  const out: Json[] = [];
  content.forEach((p, i) => {
    if (p.type === 'text') out.push(messageItem(itemId('msg', responseId, 'o', i), p.text, 'completed'));
    else if (p.type === 'tool_call') out.push(functionCallItem(itemId('fc', responseId, 'o', i), p.id, p.name, p.arguments, 'completed'));
    else if (p.type === 'thinking') out.push(reasoningItem(itemId('rs', responseId, 'o', i), p.text, p.signature, true));
  });
  return out;
}

function toolsEcho(req: ChatRequest | undefined): Json[] {
  return (req?.tools ?? []).map((t) => ({ type: 'function', name: t.name, description: t.description ?? null, parameters: t.parameters, strict: true }));
}

function textEcho(req: ChatRequest | undefined): Json {
  const rf = req?.responseFormat;
  const extraText = req?.extraFormat === 'openai-responses' && typeof req.extra.text === 'object' && req.extra.text !== null ? (req.extra.text as Json) : {};
  const format =
    rf?.type === 'json_schema'
      ? { type: 'json_schema', name: rf.name ?? 'response', schema: rf.schema, description: null, strict: rf.strict ?? null }
      : { type: rf?.type ?? 'text' };
  return { format, verbosity: 'medium', ...extraText };
}

function extraOf(req: ChatRequest | undefined, key: string): unknown {
  return req?.extraFormat === 'openai-responses' ? req.extra[key] : undefined;
}

export interface ResponseShell {
  id: string;
  model: string;
  createdAt: number;
  request?: ChatRequest;
}

/** The response object around an output: in progress (usage null) or finished. */
export function responseObject(shell: ResponseShell, state: { status: 'in_progress' | 'completed' | 'incomplete' | 'failed'; output: Json[]; usage?: Usage; finish?: FinishReason; error?: Json }): Json {
  const req = shell.request;
  const toolChoice = req?.toolChoice === undefined ? 'auto' : typeof req.toolChoice === 'string' ? req.toolChoice : { type: 'function', name: req.toolChoice.name };
  return {
    id: shell.id,
    object: 'response',
    created_at: shell.createdAt,
    status: state.status,
    background: false,
    error: state.error ?? null,
    incomplete_details: state.status === 'incomplete' ? { reason: state.finish === 'content_filter' ? 'content_filter' : 'max_output_tokens' } : null,
    instructions: (extraOf(req, 'instructions') as string | undefined) ?? null,
    max_output_tokens: req?.maxTokens ?? null,
    max_tool_calls: null,
    model: shell.model,
    output: state.output,
    parallel_tool_calls: (extraOf(req, 'parallel_tool_calls') as boolean | undefined) ?? true,
    previous_response_id: (extraOf(req, 'previous_response_id') as string | undefined) ?? null,
    prompt_cache_key: (extraOf(req, 'prompt_cache_key') as string | undefined) ?? null,
    reasoning: { effort: null, summary: null, ...((extraOf(req, 'reasoning') as Json | undefined) ?? {}) },
    safety_identifier: null,
    service_tier: 'default',
    store: (extraOf(req, 'store') as boolean | undefined) ?? true,
    temperature: req?.temperature ?? 1,
    text: textEcho(req),
    tool_choice: toolChoice,
    tools: toolsEcho(req),
    top_logprobs: 0,
    top_p: req?.topP ?? 1,
    truncation: (extraOf(req, 'truncation') as string | undefined) ?? 'disabled',
    usage: state.usage ? usageToResponses(state.usage) : null,
    user: req?.user ?? null,
    metadata: req?.metadata ?? {},
  };
}

export function statusOf(finish: FinishReason): 'completed' | 'incomplete' {
  return finish === 'length' || finish === 'content_filter' ? 'incomplete' : 'completed';
}

export function renderResponsesResponse(r: ChatResponse, opts: { model: string; id?: string; request?: ChatRequest }): Json {
  const id = opts.id ?? idWithPrefix(r.id, 'resp_');
  return responseObject(
    { id, model: opts.model, createdAt: r.created || nowSeconds(), request: opts.request },
    { status: statusOf(r.finishReason), output: outputItems(r.content, id), usage: r.usage, finish: r.finishReason },
  );
}
