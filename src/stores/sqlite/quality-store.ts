// Lever quality state in SQLite (<dataDir>/quality.db): estimates and tightened thresholds survive
// a restart. One row per (lever, name), written when a judged sample or a tightening changes it
// (off the response path: judging is sampled and queued).

import { join } from 'node:path';
import type { LeverQualityState, QualityStore } from '../quality.js';
import { migrate, openDatabase, type Db } from './database.js';

export const QUALITY_DB_FILE = 'quality.db';

const MIGRATIONS: readonly string[] = [`CREATE TABLE lever_quality (lever TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (lever, name));`];

export class SqliteQualityStore implements QualityStore {
  private readonly db: Db;
  private readonly upsert;

  constructor(file: string) {
    this.db = openDatabase(file);
    migrate(this.db, MIGRATIONS, file);
    this.upsert = this.db.prepare('INSERT INTO lever_quality (lever, name, state) VALUES (?, ?, ?) ON CONFLICT (lever, name) DO UPDATE SET state = excluded.state');
  }

  static open(dataDir: string): SqliteQualityStore {
    return new SqliteQualityStore(join(dataDir, QUALITY_DB_FILE));
  }

  list(): LeverQualityState[] {
    return this.db.prepare('SELECT state FROM lever_quality ORDER BY lever, name').all().map((r) => JSON.parse((r as { state: string }).state) as LeverQualityState);
  }

  put(s: LeverQualityState): void {
    this.upsert.run(s.lever, s.name, JSON.stringify(s));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
