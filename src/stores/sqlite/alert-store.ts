// Alert history and run-time rules in SQLite (<dataDir>/alerts.db): they survive a restart.

import { join } from 'node:path';
import { checkHistoryLimit, type AlertEvent, type AlertStore } from '../alerts.js';
import { migrate, openDatabase, type Db } from './database.js';

export const ALERTS_DB_FILE = 'alerts.db';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE alert_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, rule TEXT NOT NULL, event TEXT NOT NULL);
   CREATE INDEX alert_events_rule ON alert_events (rule, seq);
   CREATE TABLE alert_rules (name TEXT PRIMARY KEY, rule TEXT NOT NULL);`,
];

export class SqliteAlertStore implements AlertStore {
  private readonly db: Db;

  constructor(file: string) {
    this.db = openDatabase(file);
    migrate(this.db, MIGRATIONS, file);
  }

  static open(dataDir: string): SqliteAlertStore {
    return new SqliteAlertStore(join(dataDir, ALERTS_DB_FILE));
  }

  append(e: Omit<AlertEvent, 'seq'>): AlertEvent {
    const info = this.db.prepare('INSERT INTO alert_events (at, rule, event) VALUES (?, ?, ?)').run(e.at, e.rule, JSON.stringify(e));
    return { seq: Number(info.lastInsertRowid), ...e };
  }

  history(limit: number, before?: number, rule?: string): AlertEvent[] {
    checkHistoryLimit(limit);
    const where: string[] = [];
    const args: unknown[] = [];
    if (before !== undefined) {
      where.push('seq < ?');
      args.push(before);
    }
    if (rule !== undefined) {
      where.push('rule = ?');
      args.push(rule);
    }
    const sql = `SELECT seq, event FROM alert_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`;
    return this.db.prepare(sql).all(...args, limit).map((r) => {
      const row = r as { seq: number; event: string };
      return { ...(JSON.parse(row.event) as Omit<AlertEvent, 'seq'>), seq: row.seq };
    });
  }

  rules(): unknown[] {
    return this.db.prepare('SELECT rule FROM alert_rules ORDER BY name').all().map((r) => JSON.parse((r as { rule: string }).rule));
  }

  putRule(name: string, rule: unknown): void {
    this.db.prepare('INSERT INTO alert_rules (name, rule) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET rule = excluded.rule').run(name, JSON.stringify(rule));
  }

  deleteRule(name: string): boolean {
    return this.db.prepare('DELETE FROM alert_rules WHERE name = ?').run(name).changes > 0;
  }

  close(): void {
    this.db.close();
  }
}
