// Experiments in SQLite (<dataDir>/experiments.db): a restart continues them where they were.

import { join } from 'node:path';
import type { Experiment } from '../../experiments/model.js';
import type { ExperimentStore } from '../experiments.js';
import { migrate, openDatabase, type Db } from './database.js';

export const EXPERIMENTS_DB_FILE = 'experiments.db';

const MIGRATIONS: readonly string[] = [`CREATE TABLE experiments (name TEXT PRIMARY KEY, experiment TEXT NOT NULL);`];

export class SqliteExperimentStore implements ExperimentStore {
  private readonly db: Db;

  constructor(file: string) {
    this.db = openDatabase(file);
    migrate(this.db, MIGRATIONS, file);
  }

  static open(dataDir: string): SqliteExperimentStore {
    return new SqliteExperimentStore(join(dataDir, EXPERIMENTS_DB_FILE));
  }

  list(): Experiment[] {
    return this.db.prepare('SELECT experiment FROM experiments ORDER BY name').all().map((r) => JSON.parse((r as { experiment: string }).experiment) as Experiment);
  }

  put(e: Experiment): void {
    this.db.prepare('INSERT INTO experiments (name, experiment) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET experiment = excluded.experiment').run(e.def.name, JSON.stringify(e));
  }

  close(): void {
    this.db.close();
  }
}
