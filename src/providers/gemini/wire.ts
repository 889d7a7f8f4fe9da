// The Gemini API's native wire (generativelanguage.googleapis.com/v1beta): canonical requests as
// generateContent bodies, and GenerateContentResponse bodies (whole, or one per SSE event of
// streamGenerateContent?alt=sse, each the same shape with the usage so far) back to canonical.
// Usage: usageMetadata, mapped in ./usage.ts (thoughts are output; cached content is a cache read).

import type { ChatRequest, ChatResponse, ContentPart, FinishReason, ImagePart, StreamEvent } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import type { WireStreamParser } from '../codec.js';
import type { StreamChunk } from '../contract.js';
import { isObject, str, tryParseJson, type Json } from '../shared/json.js';
import { SseDecoder, type SseEvent } from '../shared/sse-decoder.js';
import { usageFromGemini, type GeminiUsageWire } from './usage.js';

type Part = Record<string, unknown>;

function imagePart(p: ImagePart): Part {
  if (p.data !== undefined) return { inlineData: { mimeType: p.mediaType ?? 'image/png', data: p.data } };
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(p.url ?? '');
  if (m) return { inlineData: { mimeType: m[1], data: m[2] } };
  return { fileData: { fileUri: p.url ?? '', mimeType: p.mediaType ?? 'image/jpeg' } };
}

function jsonArgs(s: string): Record<string, unknown> {
  const v = tryParseJson(s === '' ? '{}' : s);
  return isObject(v) ? v : {};
}

export function renderGeminiRequest(req: ChatRequest): Record<string, unknown> {
  if (req.n !== undefined && req.n > 1) throw new GatewayError('unsupported', 'n > 1 is not supported by this gateway for Gemini models.', { param: 'n' });
  // tool results name their function in Gemini: find each call's name by its id
  const callName = new Map<string, string>();
  for (const m of req.messages) for (const p of m.content) if (p.type === 'tool_call') callName.set(p.id, p.name);
  const contents: { role: 'user' | 'model'; parts: Part[] }[] = [];
  for (const m of req.messages) {
    const role = m.role === 'assistant' ? 'model' : 'user';
    const parts: Part[] = [];
    for (const p of m.content) {
      if (p.type === 'text' && p.text !== '') parts.push({ text: p.text });
      else if (p.type === 'image') parts.push(imagePart(p));
      else if (p.type === 'tool_call') parts.push({ functionCall: { name: p.name, args: jsonArgs(p.arguments) } });
      else if (p.type === 'tool_result') {
        const text = typeof p.content === 'string' ? p.content : p.content.map((t) => t.text).join('');
        parts.push({ functionResponse: { name: callName.get(p.toolCallId) ?? p.toolCallId, response: { content: text } } });
      }
      // thinking parts: Gemini's thought signatures are not canonical here; they are left out
    }
    if (parts.length === 0) continue;
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  }
  const body: Record<string, unknown> = { contents };
  const system = req.system.filter((s) => s.text !== '');
  if (system.length > 0) body.systemInstruction = { parts: system.map((s) => ({ text: s.text })) };
  if (req.tools && req.tools.length > 0) {
    body.tools = [{ functionDeclarations: req.tools.map((t) => ({ name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), parametersJsonSchema: t.parameters })) }];
  }
  if (req.toolChoice !== undefined) {
    const c = req.toolChoice;
    const mode = c === 'auto' ? 'AUTO' : c === 'none' ? 'NONE' : 'ANY';
    body.toolConfig = { functionCallingConfig: { mode, ...(typeof c === 'object' ? { allowedFunctionNames: [c.name] } : {}) } };
  }
  const gc: Record<string, unknown> = {};
  if (req.maxTokens !== undefined) gc.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) gc.temperature = req.temperature;
  if (req.topP !== undefined) gc.topP = req.topP;
  if (req.stop !== undefined && req.stop.length > 0) gc.stopSequences = req.stop;
  if (req.seed !== undefined) gc.seed = req.seed;
  if (req.responseFormat?.type === 'json_object') gc.responseMimeType = 'application/json';
  else if (req.responseFormat?.type === 'json_schema') {
    gc.responseMimeType = 'application/json';
    gc.responseJsonSchema = req.responseFormat.schema;
  }
  if (Object.keys(gc).length > 0) body.generationConfig = gc;
  return body;
}

export function finishReasonFromGemini(reason: string | undefined, hasToolCall: boolean): FinishReason {
  if (hasToolCall && (reason === undefined || reason === 'STOP')) return 'tool_calls';
  switch (reason) {
    case 'STOP':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
      return 'content_filter';
    default:
      return reason === undefined ? 'stop' : 'error';
  }
}

function firstCandidate(json: Json): Json | undefined {
  const c = Array.isArray(json.candidates) ? json.candidates.find((x) => isObject(x) && (x.index === undefined || x.index === 0)) : undefined;
  return isObject(c) ? c : undefined;
}

/** Gemini function calls have no id before 2.5 (and an `id` field after): one is made per call */
const callId = (fc: Json, responseId: string, i: number): string => str(fc.id) ?? `call_${responseId || 'gemini'}_${i}`;

export function parseGeminiResponse(json: unknown): ChatResponse {
  if (!isObject(json) || (!Array.isArray(json.candidates) && !isObject(json.promptFeedback))) {
    throw new GatewayError('upstream_error', 'The upstream answered with a body that is not a Gemini GenerateContentResponse.');
  }
  const cand = firstCandidate(json);
  const parts = isObject(cand?.content) && Array.isArray(cand.content.parts) ? cand.content.parts : [];
  const id = str(json.responseId) ?? '';
  const content: ContentPart[] = [];
  let calls = 0;
  for (const p of parts) {
    if (!isObject(p)) continue;
    if (typeof p.text === 'string') content.push(p.thought === true ? { type: 'thinking', text: p.text } : { type: 'text', text: p.text });
    else if (isObject(p.functionCall)) content.push({ type: 'tool_call', id: callId(p.functionCall, id, calls++), name: str(p.functionCall.name) ?? '', arguments: JSON.stringify(p.functionCall.args ?? {}) });
  }
  // a prompt blocked before any candidate: promptFeedback.blockReason, no candidates
  const raw = str(cand?.finishReason) ?? (isObject(json.promptFeedback) && str(json.promptFeedback.blockReason) ? 'SAFETY' : undefined);
  return {
    id,
    model: str(json.modelVersion) ?? '',
    created: Math.floor(Date.now() / 1000),
    content,
    finishReason: finishReasonFromGemini(raw, calls > 0),
    ...(raw ? { rawFinishReason: raw } : {}),
    usage: usageFromGemini(isObject(json.usageMetadata) ? (json.usageMetadata as GeminiUsageWire) : undefined),
  };
}

/** streamGenerateContent?alt=sse: each event a GenerateContentResponse; no terminal sentinel */
export function createGeminiStreamParser(): WireStreamParser {
  const decoder = new SseDecoder();
  let started = false;
  let nextBlock = 0;
  let textBlock: number | undefined;
  let thoughtBlock: number | undefined;
  let calls = 0;
  const open = new Set<number>();

  const translate = (sse: SseEvent, out: StreamEvent[]): void => {
    if (!sse.hasData) return;
    const json = tryParseJson(sse.data);
    if (!isObject(json)) return;
    if (isObject(json.error)) {
      out.push({ type: 'error', error: { type: str(json.error.status) ?? 'api_error', message: str(json.error.message) ?? 'upstream stream error' } });
      return;
    }
    const id = str(json.responseId) ?? '';
    if (!started) {
      started = true;
      out.push({ type: 'start', id, model: str(json.modelVersion) ?? '', created: Math.floor(Date.now() / 1000) });
    }
    const cand = firstCandidate(json);
    const parts = isObject(cand?.content) && Array.isArray(cand.content.parts) ? cand.content.parts : [];
    for (const p of parts) {
      if (!isObject(p)) continue;
      if (typeof p.text === 'string' && p.text !== '') {
        if (p.thought === true) {
          if (thoughtBlock === undefined) open.add((thoughtBlock = nextBlock++));
          out.push({ type: 'thinking_delta', index: thoughtBlock, text: p.text });
        } else {
          if (textBlock === undefined) open.add((textBlock = nextBlock++));
          out.push({ type: 'text_delta', index: textBlock, text: p.text });
        }
      } else if (isObject(p.functionCall)) {
        // calls arrive whole, one part each
        const index = nextBlock++;
        out.push({ type: 'tool_call_start', index, id: callId(p.functionCall, id, calls++), name: str(p.functionCall.name) ?? '' });
        out.push({ type: 'tool_call_delta', index, argumentsDelta: JSON.stringify(p.functionCall.args ?? {}) });
        out.push({ type: 'block_stop', index });
      }
    }
    if (isObject(json.usageMetadata)) out.push({ type: 'usage', usage: usageFromGemini(json.usageMetadata as GeminiUsageWire) });
    const reason = str(cand?.finishReason);
    if (reason) {
      for (const i of [...open].sort((a, b) => a - b)) out.push({ type: 'block_stop', index: i });
      open.clear();
      out.push({ type: 'finish', finishReason: finishReasonFromGemini(reason, calls > 0), rawFinishReason: reason });
    }
  };

  const toChunks = (batch: { raw: Buffer; events: SseEvent[] } | null): StreamChunk[] => {
    if (!batch) return [];
    const events: StreamEvent[] = [];
    for (const sse of batch.events) translate(sse, events);
    return [{ raw: batch.raw, events }];
  };
  return { push: (bytes) => toChunks(decoder.push(bytes)), end: () => toChunks(decoder.end()) };
}
