// Opening a Tollgate SQLite file: WAL, the durability level the ledger argues for, a busy timeout
// so a second connection (another process, the CLI) waits instead of failing, and forward-only
// migrations recorded in the file.

import Database from 'better-sqlite3';

export type Db = Database.Database;

export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL survives a process crash; only power loss can undo the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * Bring `db` to migrations.length; index i takes the schema from version i to i + 1 (never edit
 * one that shipped). `what` names the file in the error a newer schema gets.
 */
export function migrate(db: Db, migrations: readonly string[], what: string): void {
  const target = migrations.length;
  // IMMEDIATE: two processes opening a fresh file at once must not both run the migrations
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const current = schemaVersion(db);
    if (current > target) {
      throw new Error(`${what} has schema version ${current}, newer than this Tollgate understands (${target}); upgrade Tollgate`);
    }
    if (current === target) return;
    for (let v = current; v < target; v++) db.exec(migrations[v]!);
    db.prepare('DELETE FROM schema_version').run();
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(target);
  }).immediate();
}

/** 0 for a file not migrated yet */
export function schemaVersion(db: Db): number {
  try {
    const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    return row?.version ?? 0;
  } catch {
    return 0;
  }
}
