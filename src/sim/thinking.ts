// Signatures of simulated thinking blocks. Anthropic signs each thinking block it returns and
// refuses a later request whose thinking block was altered or signed by someone else (400), so a
// gateway that edits, drops part of, or re-sends a signature to another provider is caught here as
// it would be in production. The signature is an HMAC of the thinking text under the simulator's
// key: stable across runs, unforgeable by a client that does not know the key.

import { createHmac, timingSafeEqual } from 'node:crypto';

const KEY = 'tollgate-sim-thinking-v1';
const PREFIX = Buffer.from('simsig1:');

export function signThinking(thinking: string): string {
  return Buffer.concat([PREFIX, createHmac('sha256', KEY).update(thinking, 'utf8').digest()]).toString('base64');
}

export function verifyThinking(thinking: string, signature: unknown): boolean {
  if (typeof signature !== 'string' || signature.length === 0) return false;
  const got = Buffer.from(signature, 'base64');
  const want = Buffer.from(signThinking(thinking), 'base64');
  return got.length === want.length && timingSafeEqual(got, want);
}
