// Token counting with the o200k_base encoding (GPT-4o's), so simulated counts are realistic for
// every model. Claude's tokenizer is not public; o200k is a fair stand-in for the simulator.

import { encode, decode } from 'gpt-tokenizer/encoding/o200k_base';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';

/**
 * BPE is quadratic in the length of one pre-tokenizer chunk (a run of one letter is one chunk), and
 * the demo runs the simulator in the gateway's process: chunks past MAX_CHUNK are encoded in pieces,
 * and past EXACT_CHARS of a text the rest is filler ids at ~4 characters a token (beyond any model's
 * context window anyway), so encoding is linear and bounded.
 */
const MAX_CHUNK = 128;
const EXACT_CHARS = 512 * 1024;
/** short chunks are encoded in batches of about this many characters */
const BATCH_CHARS = 4096;

export function encodeText(text: string): number[] {
  if (text.length <= MAX_CHUNK) return encode(text);
  const out: number[] = [];
  let batch = '';
  const flush = (): void => {
    if (batch) pushAll(out, encode(batch));
    batch = '';
  };
  let seen = 0;
  for (const m of text.matchAll(O200K_TOKEN_SPLIT_REGEX)) {
    const chunk = m[0];
    if (seen >= EXACT_CHARS) {
      const rest = text.length - (m.index ?? seen);
      for (let i = 0; i < Math.ceil(rest / 4); i++) out.push(FRAME_TOKEN);
      break;
    }
    seen += chunk.length;
    if (chunk.length > MAX_CHUNK) {
      flush();
      for (let i = 0; i < chunk.length; i += MAX_CHUNK) pushAll(out, encode(chunk.slice(i, i + MAX_CHUNK)));
    } else {
      batch += chunk;
      if (batch.length >= BATCH_CHARS) flush();
    }
  }
  flush();
  return out;
}

/** push without spreading (a spread of a long array overflows the call stack) */
export function pushAll(into: number[], ids: readonly number[]): void {
  for (let i = 0; i < ids.length; i++) into.push(ids[i]!);
}

export function countTokens(text: string): number {
  return text.length === 0 ? 0 : encodeText(text).length;
}

export function decodeTokens(ids: number[]): string {
  return decode(ids);
}

/**
 * Filler ids for the few framing tokens each chat message costs (OpenAI's cookbook counts 3 per
 * message and 3 to prime the reply). They only need to be stable so prefix hashing works.
 */
export const FRAME_TOKEN = 200_264;
