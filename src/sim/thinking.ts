// Signatures of simulated thinking blocks. Anthropic signs each thinking block it returns and
// refuses a later request whose thinking block was altered or signed by someone else (400), so a
// gateway that edits, drops part of, or re-sends a signature to another provider is caught here as
// it would be in production. The signature is an HMAC of the thinking text under the simulator's
// key: stable across runs, unforgeable by a client that does not know the key.

import { createHmac, timingSafeEqual } from 'node:crypto';

/** the default key; a simulator started with another one stands for another provider (Bedrock, Vertex) */
export const DEFAULT_THINKING_KEY = 'tollgate-sim-thinking-v1';
const PREFIX = Buffer.from('simsig1:');

export function signThinking(thinking: string, key: string = DEFAULT_THINKING_KEY): string {
  return Buffer.concat([PREFIX, createHmac('sha256', key).update(thinking, 'utf8').digest()]).toString('base64');
}

export function verifyThinking(thinking: string, signature: unknown, key: string = DEFAULT_THINKING_KEY): boolean {
  if (typeof signature !== 'string' || signature.length === 0) return false;
  const got = Buffer.from(signature, 'base64');
  const want = Buffer.from(signThinking(thinking, key), 'base64');
  return got.length === want.length && timingSafeEqual(got, want);
}
