// Flags in SQLite (<dataDir>/flags.db): the flags table and the append-only audit log, written in
// one transaction per change, so a flag never changes without its entry (and survives a restart).

import { join } from 'node:path';
import { checkAuditLimit, type Flag, type FlagChange, type FlagStore } from '../flags.js';
import { migrate, openDatabase, type Db } from './database.js';

export const FLAGS_DB_FILE = 'flags.db';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE flags (name TEXT PRIMARY KEY, flag TEXT NOT NULL);
   CREATE TABLE flag_audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, change TEXT NOT NULL);`,
];

export class SqliteFlagStore implements FlagStore {
  private readonly db: Db;

  constructor(file: string) {
    this.db = openDatabase(file);
    migrate(this.db, MIGRATIONS, file);
  }

  static open(dataDir: string): SqliteFlagStore {
    return new SqliteFlagStore(join(dataDir, FLAGS_DB_FILE));
  }

  list(): Flag[] {
    return this.db.prepare('SELECT flag FROM flags ORDER BY name').all().map((r) => JSON.parse((r as { flag: string }).flag) as Flag);
  }

  set(flag: Flag): FlagChange {
    return this.db.transaction(() => {
      const before = this.get(flag.name);
      this.db.prepare('INSERT INTO flags (name, flag) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET flag = excluded.flag').run(flag.name, JSON.stringify(flag));
      return this.append({ at: flag.updatedAt, by: flag.updatedBy, reason: flag.reason, name: flag.name, action: 'set', ...(before ? { before } : {}), after: flag });
    }).immediate();
  }

  unset(name: string, c: { at: number; by: string; reason: string }): FlagChange | null {
    return this.db.transaction(() => {
      const before = this.get(name);
      if (!before) return null;
      this.db.prepare('DELETE FROM flags WHERE name = ?').run(name);
      return this.append({ ...c, name, action: 'unset', before });
    }).immediate();
  }

  audit(limit: number, before?: number): FlagChange[] {
    checkAuditLimit(limit);
    const rows = before === undefined
      ? this.db.prepare('SELECT seq, change FROM flag_audit ORDER BY seq DESC LIMIT ?').all(limit)
      : this.db.prepare('SELECT seq, change FROM flag_audit WHERE seq < ? ORDER BY seq DESC LIMIT ?').all(before, limit);
    return rows.map((r) => {
      const row = r as { seq: number; change: string };
      return { seq: row.seq, ...(JSON.parse(row.change) as Omit<FlagChange, 'seq'>) };
    });
  }

  version(): number {
    const r = this.db.prepare('SELECT MAX(seq) AS v FROM flag_audit').get() as { v: number | null };
    return r.v ?? 0;
  }

  close(): void {
    this.db.close();
  }

  private get(name: string): Flag | undefined {
    const r = this.db.prepare('SELECT flag FROM flags WHERE name = ?').get(name) as { flag: string } | undefined;
    return r ? (JSON.parse(r.flag) as Flag) : undefined;
  }

  private append(c: Omit<FlagChange, 'seq'>): FlagChange {
    const info = this.db.prepare('INSERT INTO flag_audit (at, change) VALUES (?, ?)').run(c.at, JSON.stringify(c));
    return { seq: Number(info.lastInsertRowid), ...c };
  }
}
