// OpenAI Embeddings: request and response, both directions. Vectors travel as float arrays or as
// base64 of little-endian float32 (what the official SDK asks for by default).

import type { EmbeddingsRequest, EmbeddingsResponse } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import { usageFromOpenAI } from './usage.js';
import { isObject, num, str } from '../shared/json.js';

function bad(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}

export function parseOpenAIEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (!isObject(body)) throw bad('The request body must be a JSON object.', 'body');
  if (typeof body.model !== 'string' || body.model === '') throw bad(`Missing required parameter: 'model'.`, 'model');
  const input = body.input;
  let texts: string[];
  let single = false;
  if (typeof input === 'string') {
    texts = [input];
    single = true;
  } else if (Array.isArray(input) && input.length > 0 && input.every((s) => typeof s === 'string')) {
    texts = input as string[];
  } else if (Array.isArray(input) && input.length > 0 && input.every((s) => typeof s === 'number' || Array.isArray(s))) {
    throw new GatewayError('unsupported', 'Token-array inputs are not supported by this gateway; send strings.', { param: 'input' });
  } else if (input === undefined) {
    throw bad(`Missing required parameter: 'input'.`, 'input');
  } else {
    throw bad(`Invalid 'input': expected a non-empty string or a non-empty array of strings.`, 'input');
  }
  if (texts.some((t) => t === '')) throw bad(`Invalid 'input': strings must not be empty.`, 'input');
  const req: EmbeddingsRequest = { model: body.model, input: texts, single };
  if (body.encoding_format !== undefined) {
    if (body.encoding_format !== 'float' && body.encoding_format !== 'base64') {
      throw bad(`Invalid value for 'encoding_format': expected 'float' or 'base64'.`, 'encoding_format');
    }
    req.encodingFormat = body.encoding_format;
  }
  if (body.dimensions !== undefined) {
    if (typeof body.dimensions !== 'number' || !Number.isInteger(body.dimensions) || body.dimensions < 1) throw bad(`Invalid 'dimensions': expected a positive integer.`, 'dimensions');
    req.dimensions = body.dimensions;
  }
  if (body.user !== undefined) {
    if (typeof body.user !== 'string') throw bad(`Invalid type for 'user': expected a string.`, 'user');
    req.user = body.user;
  }
  return req;
}

export function renderOpenAIEmbeddingsRequest(req: EmbeddingsRequest, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model, input: req.single ? req.input[0] : req.input };
  if (req.encodingFormat) body.encoding_format = req.encodingFormat;
  if (req.dimensions !== undefined) body.dimensions = req.dimensions;
  if (req.user !== undefined) body.user = req.user;
  return body;
}

export function encodeEmbeddingBase64(v: number[]): string {
  const f = new Float32Array(v);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
}

export function decodeEmbeddingBase64(s: string): number[] {
  const b = Buffer.from(s, 'base64');
  const out = new Array<number>(b.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

export function parseOpenAIEmbeddingsResponse(json: unknown): EmbeddingsResponse {
  if (!isObject(json) || !Array.isArray(json.data)) throw new GatewayError('upstream_error', 'The upstream answered with a body that is not an OpenAI embeddings list.');
  const rows = json.data
    .filter(isObject)
    .map((d, i) => ({ index: num(d.index) ?? i, v: typeof d.embedding === 'string' ? decodeEmbeddingBase64(d.embedding) : Array.isArray(d.embedding) ? (d.embedding as number[]) : [] }))
    .sort((a, b) => a.index - b.index);
  const u = isObject(json.usage) ? json.usage : {};
  return { model: str(json.model) ?? '', data: rows.map((r) => r.v), usage: usageFromOpenAI({ prompt_tokens: num(u.prompt_tokens) ?? 0, completion_tokens: 0 }) };
}

export function renderOpenAIEmbeddingsResponse(r: EmbeddingsResponse, opts: { model: string; encodingFormat?: 'float' | 'base64' }): Record<string, unknown> {
  const prompt = r.usage.input + r.usage.cacheRead + r.usage.cacheWrite5m + r.usage.cacheWrite1h;
  return {
    object: 'list',
    data: r.data.map((v, index) => ({ object: 'embedding', index, embedding: opts.encodingFormat === 'base64' ? encodeEmbeddingBase64(v) : v })),
    model: opts.model,
    usage: { prompt_tokens: prompt, total_tokens: prompt },
  };
}
