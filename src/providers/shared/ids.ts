// Response ids in each vendor's style, for responses the gateway synthesizes or translates.

import { randomBytes } from 'node:crypto';

export function randomId(prefix: string, bytes = 12): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

/** Reuses the core of a foreign id (msg_abc -> chatcmpl-abc) so a translated response stays traceable. */
export function idWithPrefix(id: string | undefined, prefix: string): string {
  if (!id) return randomId(prefix);
  if (id.startsWith(prefix)) return id;
  const core = id.replace(/^(chatcmpl-|msg_)/, '');
  return prefix + (core || randomBytes(12).toString('base64url'));
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
