// Virtual API keys: clients present a key (OpenAI `Authorization: Bearer`, Anthropic `x-api-key`);
// only its SHA-256 is configured, so a leaked config file leaks no usable key.

import { createHash } from 'node:crypto';
import type { TollgateConfig } from '../config/schema.js';
import type { Caller } from '../pipeline/stage.js';

export type Authenticate = (headers: Record<string, string | string[] | undefined>) => Caller | undefined;

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const xKey = headers['x-api-key'];
  if (typeof xKey === 'string' && xKey) return xKey;
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1]!.trim();
  }
  return undefined;
}

const DEMO_CALLER: Caller = Object.freeze({ keyId: 'demo', team: 'demo' });

export function createAuthenticator(auth: TollgateConfig['auth']): Authenticate {
  if (auth.mode === 'demo') return () => DEMO_CALLER;
  const byHash = new Map<string, Caller>(auth.keys.map((k) => [k.sha256, Object.freeze({ keyId: k.id, team: k.team, user: k.user })]));
  return (headers) => {
    const key = presentedKey(headers);
    return key === undefined ? undefined : byHash.get(hashKey(key));
  };
}
