// The key store contract: virtual keys beyond the YAML file (created, listed and revoked at run
// time), looked up by the SHA-256 of the secret a client presents. Implementations:
// memory/key-store.ts, sqlite/key-store.ts; both run test/contracts/keys.contract.ts.
//
// Rules every implementation keeps:
// - a secret is never stored: only its SHA-256 (hex, the same value `auth.keys[].sha256` holds);
//   create() returns the secret once, and nothing can read it back;
// - verify() answers only for a key that is neither revoked nor expired;
// - ids and hashes are unique; a second key with either is refused (StoreInputError);
// - list() is bounded (a limit, at most MAX_KEY_LIST).

import { createHash, randomBytes } from 'node:crypto';
import { StoreInputError, type Awaitable } from './types.js';

export type KeyRole = 'admin' | 'client';
export const KEY_ROLES: readonly KeyRole[] = ['admin', 'client'];

/** where a key came from: the config file (reloaded at every start) or created at run time */
export type KeySource = 'config' | 'store';

export interface VirtualKey {
  /** stable id for the ledger and for revoking (never the secret) */
  id: string;
  role: KeyRole;
  team?: string;
  user?: string;
  source: KeySource;
  /** epoch ms */
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
}

export interface NewKey {
  id?: string;
  /** default 'client' */
  role?: KeyRole;
  team?: string;
  user?: string;
  expiresAt?: number;
}

export const MAX_KEY_LIST = 10_000;

export interface KeyStore {
  /** A new key with a fresh random secret; the secret is in this answer and nowhere else. */
  create(spec: NewKey): Awaitable<{ key: VirtualKey; secret: string }>;
  /** Insert or update (by id) a key whose hash is already known, e.g. from tollgate.yaml. */
  put(spec: NewKey & { id: string; sha256: string; source: KeySource }): Awaitable<VirtualKey>;
  /** The live key this secret belongs to; undefined when unknown, revoked or expired. */
  verify(secret: string): Awaitable<VirtualKey | undefined>;
  get(id: string): Awaitable<VirtualKey | undefined>;
  /** true when a live key was revoked now */
  revoke(id: string): Awaitable<boolean>;
  /** keys by id, at most `limit` (1..MAX_KEY_LIST); revoked ones only when asked */
  list(opts: { limit: number; includeRevoked?: boolean; team?: string }): Awaitable<VirtualKey[]>;
  close(): Awaitable<void>;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** 192 random bits, URL-safe, with a prefix that secret scanners and redaction can recognise */
export function newSecret(): string {
  return `tg_${randomBytes(24).toString('base64url')}`;
}

export function newKeyId(): string {
  return `key_${randomBytes(8).toString('hex')}`;
}

const ID_RE = /^[A-Za-z0-9._:@-]{1,128}$/;
const SHA_RE = /^[0-9a-f]{64}$/;

/** Checked, normalised key fields (role defaulted); a StoreInputError names the bad one. */
export function checkNewKey(spec: NewKey, sha256?: string): Required<Pick<NewKey, 'role'>> & NewKey {
  if (spec === null || typeof spec !== 'object') throw new StoreInputError('a key spec must be an object');
  if (spec.id !== undefined && (typeof spec.id !== 'string' || !ID_RE.test(spec.id))) {
    throw new StoreInputError('a key id is 1 to 128 characters of letters, digits and . _ : @ -');
  }
  const role = spec.role ?? 'client';
  if (!KEY_ROLES.includes(role)) throw new StoreInputError(`a key role is "admin" or "client", not "${String(role)}"`);
  for (const f of ['team', 'user'] as const) {
    const v = spec[f];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 256)) throw new StoreInputError(`a key's ${f} must be a string of 1 to 256 characters`);
  }
  if (spec.expiresAt !== undefined && (typeof spec.expiresAt !== 'number' || !Number.isFinite(spec.expiresAt))) {
    throw new StoreInputError('a key expiresAt must be epoch milliseconds');
  }
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !SHA_RE.test(sha256))) throw new StoreInputError('sha256 must be 64 lower-case hex characters');
  return { ...spec, role };
}

export function checkListLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_KEY_LIST) throw new StoreInputError(`limit must be a whole number from 1 to ${MAX_KEY_LIST}`);
}

export function isLive(k: VirtualKey, now: number): boolean {
  return k.revokedAt === undefined && (k.expiresAt === undefined || k.expiresAt > now);
}

/** The keys of `auth.keys` in tollgate.yaml, as the config schema declares them. */
export interface ConfigKey {
  id: string;
  sha256: string;
  role?: KeyRole;
  team?: string;
  user?: string;
}

/**
 * Load the YAML keys into the store at start: each is put (so an edited team or role takes
 * effect), and a config key no longer in the file is revoked. Keys created at run time are left alone.
 */
export async function loadConfigKeys(store: KeyStore, keys: readonly ConfigKey[]): Promise<void> {
  const ids = new Set<string>();
  for (const k of keys) {
    await store.put({ id: k.id, sha256: k.sha256, role: k.role, team: k.team, user: k.user, source: 'config' });
    ids.add(k.id);
  }
  for (const k of await store.list({ limit: MAX_KEY_LIST })) if (k.source === 'config' && !ids.has(k.id)) await store.revoke(k.id);
}
