// Virtual API keys: clients present a key (OpenAI `Authorization: Bearer`, Anthropic `x-api-key`);
// only its SHA-256 is configured, so a leaked config file leaks no usable key. A key's role says
// whether it may also call the admin API and /metrics (admin) or only the model endpoints (client).

import { createHash } from 'node:crypto';
import type { TollgateConfig } from '../config/schema.js';
import type { Caller } from '../pipeline/stage.js';
import type { VirtualKey } from '../stores/keys.js';
import { MemoryKeyStore } from '../stores/memory/key-store.js';

/** what authentication needs of a key store: a synchronous lookup (both built-in stores are) */
export interface KeyVerifier {
  verify(secret: string): VirtualKey | undefined;
}

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

/** demo mode: every key that is not configured (or no key) is this client */
const DEMO_CALLER: Caller = Object.freeze({ keyId: 'demo', team: 'demo', role: 'client' });

/**
 * Keys come from a key store (default: the config's keys in memory; a SQLite store adds keys made at
 * run time). Revoked and expired keys are refused by the store.
 */
export function createAuthenticator(auth: TollgateConfig['auth'], keys: KeyVerifier = MemoryKeyStore.fromConfig(auth.keys)): Authenticate {
  const callerOf = (secret: string | undefined): Caller | undefined => {
    if (secret === undefined) return undefined;
    const k = keys.verify(secret);
    return k && { keyId: k.id, team: k.team, user: k.user, role: k.role };
  };
  if (auth.mode === 'demo') {
    if (auth.keys.length === 0 && keys instanceof MemoryKeyStore) return () => DEMO_CALLER;
    return (headers) => callerOf(presentedKey(headers)) ?? DEMO_CALLER;
  }
  return (headers) => callerOf(presentedKey(headers));
}

/** ids of the configured keys of each team, for admin routes that keep figures per key */
export function keyIdsByTeam(auth: TollgateConfig['auth']): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, string[]>();
  for (const k of auth.keys) {
    if (k.team === undefined) continue;
    let ids = out.get(k.team);
    if (!ids) out.set(k.team, (ids = []));
    ids.push(k.id);
  }
  return out;
}
