// Token counting with the o200k_base encoding (GPT-4o's), so simulated counts are realistic for
// every model. Claude's tokenizer is not public; o200k is a fair stand-in for the simulator.

import { encode, decode } from 'gpt-tokenizer/encoding/o200k_base';

export function encodeText(text: string): number[] {
  return encode(text);
}

export function countTokens(text: string): number {
  return text.length === 0 ? 0 : encode(text).length;
}

export function decodeTokens(ids: number[]): string {
  return decode(ids);
}

/**
 * Filler ids for the few framing tokens each chat message costs (OpenAI's cookbook counts 3 per
 * message and 3 to prime the reply). They only need to be stable so prefix hashing works.
 */
export const FRAME_TOKEN = 200_264;
