// The SQLite key store (<dataDir>/keys.db by default): one row per key with the SHA-256 of its
// secret (unique index: verify() is one point lookup), never the secret itself.

import { join } from 'node:path';
import { StoreInputError } from '../types.js';
import {
  checkListLimit,
  checkNewKey,
  hashSecret,
  isLive,
  newKeyId,
  newSecret,
  type KeySource,
  type KeyStore,
  type NewKey,
  type VirtualKey,
} from '../keys.js';
import { migrate, openDatabase, type Db } from './database.js';

export const KEYS_DB_FILE = 'keys.db';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE virtual_keys (
     id         TEXT PRIMARY KEY,
     sha256     TEXT NOT NULL UNIQUE,
     role       TEXT NOT NULL CHECK (role IN ('admin', 'client')),
     team       TEXT,
     user_id    TEXT,
     source     TEXT NOT NULL,
     created_at REAL NOT NULL,
     expires_at REAL,
     revoked_at REAL
   );`,
];

interface Row {
  id: string;
  sha256: string;
  role: VirtualKey['role'];
  team: string | null;
  user_id: string | null;
  source: KeySource;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

function keyOf(r: Row): VirtualKey {
  const k: VirtualKey = { id: r.id, role: r.role, source: r.source, createdAt: r.created_at };
  if (r.team !== null) k.team = r.team;
  if (r.user_id !== null) k.user = r.user_id;
  if (r.expires_at !== null) k.expiresAt = r.expires_at;
  if (r.revoked_at !== null) k.revokedAt = r.revoked_at;
  return k;
}

export class SqliteKeyStore implements KeyStore {
  private readonly db: Db;
  private readonly now: () => number;
  /** prepared once: verify() runs for every request */
  private readonly byHash;

  constructor(path: string, opts: { now?: () => number } = {}) {
    this.db = openDatabase(path);
    try {
      migrate(this.db, MIGRATIONS, 'keys.db');
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.now = opts.now ?? Date.now;
    this.byHash = this.db.prepare('SELECT * FROM virtual_keys WHERE sha256 = ?');
  }

  static inDataDir(dataDir: string, opts: { now?: () => number } = {}): SqliteKeyStore {
    return new SqliteKeyStore(join(dataDir, KEYS_DB_FILE), opts);
  }

  create(spec: NewKey): { key: VirtualKey; secret: string } {
    const s = checkNewKey(spec);
    const id = s.id ?? newKeyId();
    const secret = newSecret();
    const sha256 = hashSecret(secret);
    return this.db.transaction(() => {
      if (this.row(id)) throw new StoreInputError(`a key with id "${id}" exists already`);
      this.db
        .prepare('INSERT INTO virtual_keys (id, sha256, role, team, user_id, source, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, sha256, s.role, s.team ?? null, s.user ?? null, 'store', this.now(), s.expiresAt ?? null);
      return { key: keyOf(this.row(id)!), secret };
    }).immediate();
  }

  put(spec: NewKey & { id: string; sha256: string; source: KeySource }): VirtualKey {
    const s = checkNewKey(spec, spec.sha256);
    if (typeof spec.id !== 'string') throw new StoreInputError('put() needs an id');
    const source: KeySource = spec.source === 'config' ? 'config' : 'store';
    return this.db.transaction(() => {
      const owner = this.db.prepare('SELECT id FROM virtual_keys WHERE sha256 = ?').pluck().get(spec.sha256) as string | undefined;
      if (owner !== undefined && owner !== spec.id) throw new StoreInputError(`another key ("${owner}") has this sha256`);
      this.db
        .prepare(
          `INSERT INTO virtual_keys (id, sha256, role, team, user_id, source, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256, role = excluded.role, team = excluded.team, user_id = excluded.user_id,
             source = excluded.source, expires_at = excluded.expires_at, revoked_at = NULL`,
        )
        .run(spec.id, spec.sha256, s.role, s.team ?? null, s.user ?? null, source, this.now(), s.expiresAt ?? null);
      return keyOf(this.row(spec.id)!);
    }).immediate();
  }

  verify(secret: string): VirtualKey | undefined {
    if (typeof secret !== 'string' || secret.length === 0) return undefined;
    const r = this.byHash.get(hashSecret(secret)) as Row | undefined;
    const k = r && keyOf(r);
    return k && isLive(k, this.now()) ? k : undefined;
  }

  get(id: string): VirtualKey | undefined {
    const r = this.row(id);
    return r && keyOf(r);
  }

  revoke(id: string): boolean {
    return this.db.prepare('UPDATE virtual_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(this.now(), id).changes > 0;
  }

  list(opts: { limit: number; includeRevoked?: boolean; team?: string }): VirtualKey[] {
    checkListLimit(opts?.limit);
    const where: string[] = [];
    const args: unknown[] = [];
    if (!opts.includeRevoked) where.push('revoked_at IS NULL');
    if (opts.team !== undefined) {
      where.push('team = ?');
      args.push(opts.team);
    }
    const sql = `SELECT * FROM virtual_keys${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    return (this.db.prepare(sql).all(...args, opts.limit) as Row[]).map(keyOf);
  }

  close(): void {
    this.db.close();
  }

  private row(id: string): Row | undefined {
    return this.db.prepare('SELECT * FROM virtual_keys WHERE id = ?').get(id) as Row | undefined;
  }
}
