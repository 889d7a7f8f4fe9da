// The in-memory key store (tests, the SDK, YAML-only gateways): two maps, by id and by hash.

import { StoreInputError } from '../types.js';
import {
  checkListLimit,
  checkNewKey,
  hashSecret,
  isLive,
  newKeyId,
  newSecret,
  type ConfigKey,
  type KeySource,
  type KeyStore,
  type NewKey,
  type VirtualKey,
} from '../keys.js';

export class MemoryKeyStore implements KeyStore {
  private readonly byId = new Map<string, { key: VirtualKey; sha256: string }>();
  private readonly byHash = new Map<string, string>();
  private readonly now: () => number;

  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** The YAML keys, synchronously (what the authenticator needs at start); a duplicate id or sha256 is a StoreInputError. */
  static fromConfig(keys: readonly ConfigKey[], opts: { now?: () => number } = {}): MemoryKeyStore {
    const s = new MemoryKeyStore(opts);
    for (const k of keys) {
      if (s.byId.has(k.id)) throw new StoreInputError(`auth.keys: the id "${k.id}" appears twice`);
      s.put({ id: k.id, sha256: k.sha256, role: k.role, team: k.team, user: k.user, source: 'config' });
    }
    return s;
  }

  create(spec: NewKey): { key: VirtualKey; secret: string } {
    const s = checkNewKey(spec);
    const id = s.id ?? newKeyId();
    if (this.byId.has(id)) throw new StoreInputError(`a key with id "${id}" exists already`);
    const secret = newSecret();
    return { key: this.store(id, hashSecret(secret), s, 'store', undefined), secret };
  }

  put(spec: NewKey & { id: string; sha256: string; source: KeySource }): VirtualKey {
    const s = checkNewKey(spec, spec.sha256);
    if (typeof spec.id !== 'string') throw new StoreInputError('put() needs an id');
    const owner = this.byHash.get(spec.sha256);
    if (owner !== undefined && owner !== spec.id) throw new StoreInputError(`another key ("${owner}") has this sha256`);
    const old = this.byId.get(spec.id);
    if (old) this.byHash.delete(old.sha256);
    return this.store(spec.id, spec.sha256, s, spec.source === 'config' ? 'config' : 'store', old?.key.createdAt);
  }

  private store(id: string, sha256: string, s: NewKey & { role: VirtualKey['role'] }, source: KeySource, createdAt: number | undefined): VirtualKey {
    const key: VirtualKey = { id, role: s.role, source, createdAt: createdAt ?? this.now() };
    if (s.team !== undefined) key.team = s.team;
    if (s.user !== undefined) key.user = s.user;
    if (s.expiresAt !== undefined) key.expiresAt = s.expiresAt;
    this.byId.set(id, { key, sha256 });
    this.byHash.set(sha256, id);
    return { ...key };
  }

  verify(secret: string): VirtualKey | undefined {
    if (typeof secret !== 'string' || secret.length === 0) return undefined;
    const id = this.byHash.get(hashSecret(secret));
    const k = id === undefined ? undefined : this.byId.get(id)?.key;
    return k && isLive(k, this.now()) ? { ...k } : undefined;
  }

  get(id: string): VirtualKey | undefined {
    const k = this.byId.get(id)?.key;
    return k ? { ...k } : undefined;
  }

  revoke(id: string): boolean {
    const k = this.byId.get(id)?.key;
    if (!k || k.revokedAt !== undefined) return false;
    k.revokedAt = this.now();
    return true;
  }

  list(opts: { limit: number; includeRevoked?: boolean; team?: string }): VirtualKey[] {
    checkListLimit(opts?.limit);
    const out: VirtualKey[] = [];
    for (const { key } of [...this.byId.values()].sort((a, b) => Buffer.compare(Buffer.from(a.key.id), Buffer.from(b.key.id)))) {
      if (!opts.includeRevoked && key.revokedAt !== undefined) continue;
      if (opts.team !== undefined && key.team !== opts.team) continue;
      out.push({ ...key });
      if (out.length >= opts.limit) break;
    }
    return out;
  }

  close(): void {}
}
